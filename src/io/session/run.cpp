#include "io/session/run.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/text/printable.hpp"
#include "io/session/session.hpp"

namespace corrent::io {
namespace asio = boost::asio;

// Debian starts processes with a soft limit of 1,024 descriptors and a hard one far above:
// peers, trackers and open files of many torrents need more, and only we can raise it.
void raise_descriptor_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max) return;
  const auto before = rl.rlim_cur;
  rl.rlim_cur = rl.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &rl) == 0) {
    spdlog::debug("descriptor limit raised from {} to {}", before, rl.rlim_cur);
  }
}

namespace {

asio::awaitable<void> drive(session& s, const std::vector<session_job>& jobs,
                            session_report& report, bool& interrupted) {
  for (const auto& job : jobs) {
    auto params = job.torrent ? job.torrent->to_add_params() : job.params;
    std::shared_ptr<const metainfo::info> info;
    if (job.torrent) info = std::shared_ptr<const metainfo::info>(job.torrent, job.torrent.get());
    const std::string name = params.name.empty() ? crypto::to_hex(params.info_hash) : params.name;
    if (auto r = s.add(std::move(params), std::move(info), job.options); !r) {
      spdlog::error("{}: {}", text::printable(name), text::printable(r.error().message()));
    }
  }
  co_await s.wait_until_done();
  co_await s.shutdown(interrupted);
  report.interrupted = interrupted;
}

}  // namespace

session_report run_session(const std::vector<session_job>& jobs, const session_options& options,
                           const std::function<void(const std::vector<torrent_status>&)>& on_status,
                           double time_limit_s) {
  session_report report;
  raise_descriptor_limit();
  asio::io_context ioc(1);
  bool interrupted = false;
  {
    session s(ioc.get_executor(), options);
    if (auto r = s.open(); !r) {
      report.error = r.error().message();
      return report;
    }
    if (on_status) s.on_tick([&] { on_status(s.status()); });
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      spdlog::warn("{} received: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
      interrupted = true;
      s.request_stop();  // drive() then shuts the session down
    });
    asio::steady_timer limit(ioc);
    if (time_limit_s > 0) {
      limit.expires_after(
          std::chrono::milliseconds(static_cast<std::int64_t>(time_limit_s * 1000)));
      limit.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) s.request_stop();
      });
    }
    asio::co_spawn(ioc, drive(s, jobs, report, interrupted), [&](std::exception_ptr e) {
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          spdlog::error("internal error: {}", ex.what());
        }
      }
      signals.cancel();
      limit.cancel();
    });
    ioc.run();
    report.interrupted = interrupted;
    report.torrents = s.summaries();
    report.dht = s.dht_status();
  }
  return report;
}

}  // namespace corrent::io
