// io::run_daemon — `corrent daemon`: one session and its HTTP API (docs/DAEMON.md) until
// SIGTERM/SIGINT, with its torrents kept in a state directory. Asio-free for the CLI.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "io/session/options.hpp"

namespace corrent::io {

struct daemon_options {
  std::filesystem::path state_dir;
  std::filesystem::path download_dir;  // absolute
  std::string api_host = "127.0.0.1";
  std::uint16_t api_port = 9080;
  std::filesystem::path watch_dir;  // empty: none
  std::filesystem::path web_root;   // empty: the web UI compiled in
  std::string api_user = "admin";
  std::string api_password;  // empty: none (then the API must be on loopback)
  session_options session;
};

// The process exit code: 0 after a clean stop, 1 when the daemon could not start.
int run_daemon(const daemon_options& options);

}  // namespace corrent::io
