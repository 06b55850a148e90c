#include "io/session/download.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "io/session/torrent_session.hpp"

namespace corrent::io {

download_summary run_download(const metainfo::torrent& t, const download_options& opts,
                              const std::function<void(const download_status&)>& on_status) {
  boost::asio::io_context ioc(1);
  download_summary summary;
  {
    torrent_session session(ioc, t, opts, on_status);
    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      spdlog::warn("{} received: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
      session.stop(true);
    });
    boost::asio::co_spawn(ioc, session.run(), [&](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          spdlog::error("internal error: {}", ex.what());
        }
      }
      signals.cancel();
      ioc.stop();
    });
    ioc.run();
    summary = session.summary();
  }
  return summary;
}

}  // namespace corrent::io
