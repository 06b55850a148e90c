#include "io/daemon/run_daemon.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <cstdio>

#include "io/daemon/daemon_api.hpp"
#include "io/daemon/state_store.hpp"
#include "io/rpc/http_server.hpp"
#include "io/session/run.hpp"
#include "io/session/session.hpp"
#include "io/storage/whole_file.hpp"

namespace corrent::io {
namespace asio = boost::asio;

int run_daemon(const daemon_options& o) {
  state_store store(o.state_dir);
  if (auto r = store.open(); !r) {
    fmt::print(stderr, "corrent: {}\n", r.error().detail);
    return 1;
  }
  auto saved = store.load();
  if (!saved) {
    fmt::print(stderr, "corrent: {}\n", saved.error().message());
    return 1;
  }
  std::error_code ec;
  std::filesystem::create_directories(o.download_dir, ec);
  if (ec) {
    fmt::print(stderr, "corrent: cannot create {}: {}\n", o.download_dir.string(), ec.message());
    return 1;
  }
  raise_descriptor_limit();
  asio::io_context ioc(1);
  int code = 0;
  {
    session s(ioc.get_executor(), o.session);
    if (auto r = s.open(); !r) {
      fmt::print(stderr, "corrent: {}\n", r.error().message());
      return 1;
    }
    torrent_options defaults;
    defaults.seed = true;  // a daemon keeps what it downloaded available
    daemon_api api(s, store, o.download_dir, defaults);
    if (!o.watch_dir.empty()) api.set_watch_dir(o.watch_dir);
    if (!o.web_root.empty()) api.set_web_root(o.web_root);
    if (!o.api_password.empty()) api.set_password(o.api_user, o.api_password);
    s.on_tick([&] { api.on_tick(); });
    s.on_state_change(
        [&](torrent& t, torrent_state from, torrent_state to) { api.on_state(t, from, to); });
    http_server server(ioc.get_executor(), [&](http_request r) { return api.handle(std::move(r)); },
                       {});
    if (auto r = server.listen(o.api_host, o.api_port); !r) {
      fmt::print(stderr, "corrent: {}\n", r.error().message());
      code = 1;
    } else {
      api.restore(std::move(*saved));
      const std::string host =
          o.api_host.find(':') != std::string::npos ? "[" + o.api_host + "]" : o.api_host;
      const std::string url = fmt::format("http://{}:{}/", host, server.port());
      if (auto w = replace_file_atomically(o.state_dir / "api-url", url + "\n"); !w) {
        spdlog::warn("cannot write {}: {}", (o.state_dir / "api-url").string(),
                     w.error().message());
      }
      fmt::print("api {}\n", url);
      std::fflush(stdout);
      spdlog::info("daemon: {} torrents, API at {}, state in {}", s.torrents().size(), url,
                   o.state_dir.string());
    }
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    bool stopping = false;
    auto stop = [&]() -> asio::awaitable<void> {
      api.close_streams();
      co_await server.stop();
      co_await s.shutdown(false);
    };
    signals.async_wait([&](const boost::system::error_code& e, int sig) {
      if (e || stopping) return;
      stopping = true;
      spdlog::warn("{} received: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
      asio::co_spawn(ioc, stop(), [&](std::exception_ptr ex) {
        if (ex) {
          try {
            std::rethrow_exception(ex);
          } catch (const std::exception& x) {
            spdlog::error("internal error while stopping: {}", x.what());
            code = 1;
          }
        }
      });
    });
    if (code != 0) {
      // The API could not listen: stop what was started.
      signals.cancel();
      asio::co_spawn(ioc, stop(), asio::detached);
    }
    ioc.run();
  }
  return code;
}

}  // namespace corrent::io
