// `corrent daemon --state DIR`: one session with many torrents, run until SIGTERM/SIGINT and
// driven over its HTTP API (docs/DAEMON.md).
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/ip/address.hpp>
#include <fstream>
#include <memory>
#include <optional>

#include "cli/commands.hpp"
#include "cli/net_flags.hpp"
#include "cli/units.hpp"
#include "io/daemon/run_daemon.hpp"

namespace corrent::cli {
namespace {

struct daemon_cli_options {
  std::string state;
  std::string listen;
  std::string api = "127.0.0.1:9080";
  std::string download_dir;
  std::string watch;
  std::string web_root;
  std::string api_user = "admin";
  std::string password_file;
  std::string max_down;
  std::string max_up;
  int max_peers = 50;
  bool verbose = false;
  dht_flags dht;
};

// The password: the file's first line (without its line break). Not empty; a file others
// may read is only warned about.
std::optional<std::string> read_password_file(const std::string& path) {
  std::error_code ec;
  const auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::is_regular_file(st)) {
    fmt::print(stderr, "corrent: --api-password-file {}: not a readable file\n", path);
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  std::string line;
  if (!in || !std::getline(in, line)) line.clear();
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    fmt::print(stderr, "corrent: --api-password-file {}: the first line (the password) is empty\n",
               path);
    return std::nullopt;
  }
  using std::filesystem::perms;
  if ((st.permissions() & (perms::group_read | perms::others_read)) != perms::none) {
    fmt::print(stderr, "corrent: warning: --api-password-file {} can be read by other users\n",
               path);
  }
  return line;
}

int run(const daemon_cli_options& o) {
  io::daemon_options d;
  std::error_code ec;
  d.state_dir = std::filesystem::absolute(o.state, ec);
  if (ec || o.state.empty()) {
    fmt::print(stderr, "corrent: --state {}: not a usable directory\n", o.state);
    return exit_bad_input;
  }
  d.state_dir = d.state_dir.lexically_normal();
  d.download_dir = o.download_dir.empty() ? d.state_dir / "downloads"
                                          : std::filesystem::absolute(o.download_dir, ec);
  d.download_dir = d.download_dir.lexically_normal();
  if (d.download_dir.has_filename() == false && d.download_dir != d.download_dir.root_path()) {
    d.download_dir = d.download_dir.parent_path();  // no trailing slash
  }
  // --api HOST:PORT; beyond loopback only with a password.
  const auto colon = o.api.rfind(':');
  std::string host = colon == std::string::npos ? std::string() : o.api.substr(0, colon);
  if (host.size() > 1 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  std::int64_t port = -1;
  try {
    std::size_t used = 0;
    port = colon == std::string::npos ? -1 : std::stoll(o.api.substr(colon + 1), &used);
    if (used != o.api.size() - colon - 1) port = -1;
  } catch (const std::exception&) {
    port = -1;
  }
  boost::system::error_code aec;
  const auto addr = boost::asio::ip::make_address(host, aec);
  if (aec || port < 0 || port > 65535) {
    fmt::print(stderr, "corrent: --api {}: expected IP:PORT, e.g. 127.0.0.1:9080\n", o.api);
    return exit_bad_input;
  }
  if (!o.password_file.empty()) {
    auto pw = read_password_file(o.password_file);
    if (!pw) return exit_bad_input;
    d.api_password = std::move(*pw);
    d.api_user = o.api_user;
    if (d.api_user.empty() || d.api_user.find(':') != std::string::npos) {
      fmt::print(stderr, "corrent: --api-user \"{}\": a non-empty name without ':'\n", o.api_user);
      return exit_bad_input;
    }
  }
  if (!addr.is_loopback() && d.api_password.empty()) {
    fmt::print(stderr,
               "corrent: --api {}: an API reachable from other machines needs a password: "
               "give --api-password-file FILE (or bind 127.0.0.1 or ::1)\n",
               o.api);
    return exit_bad_input;
  }
  if (!o.watch.empty()) {
    d.watch_dir = std::filesystem::absolute(o.watch, ec).lexically_normal();
    if (ec || !std::filesystem::is_directory(d.watch_dir, ec)) {
      fmt::print(stderr, "corrent: --watch {}: not a directory\n", o.watch);
      return exit_bad_input;
    }
  }
  if (!o.web_root.empty()) {
    d.web_root = std::filesystem::absolute(o.web_root, ec).lexically_normal();
    if (ec || !std::filesystem::is_directory(d.web_root, ec)) {
      fmt::print(stderr, "corrent: --web-root {}: not a directory\n", o.web_root);
      return exit_bad_input;
    }
  }
  d.api_host = host;
  d.api_port = static_cast<std::uint16_t>(port);
  d.session.max_peers = o.max_peers;
  for (auto [text, out, flag] :
       {std::tuple{&o.max_down, &d.session.max_download_rate, "--max-download-rate"},
        std::tuple{&o.max_up, &d.session.max_upload_rate, "--max-upload-rate"}}) {
    if (text->empty()) continue;
    std::int64_t rate = 0;
    if (!parse_size(*text, rate) || rate <= 0) {
      fmt::print(stderr, "corrent: {} {}: expected bytes per second, e.g. 500K or 2M\n", flag,
                 *text);
      return exit_bad_input;
    }
    *out = static_cast<double>(rate);
  }
  if (!o.listen.empty() && !parse_listen_flag(o.listen, d.session)) return exit_bad_input;
  if (!apply_dht_flags(o.dht, d.state_dir / "dht.dat", d.session)) return exit_bad_input;
  return io::run_daemon(d);
}

}  // namespace

command_runner register_daemon(CLI::App& app) {
  auto o = std::make_shared<daemon_cli_options>();
  auto* cmd = app.add_subcommand(
      "daemon", "run a session for many torrents until SIGTERM, driven over an HTTP API");
  cmd->add_option("--state", o->state, "the daemon's state directory (torrent list, lock)")
      ->required();
  cmd->add_option("--api", o->api,
                  "IP:PORT of the HTTP API (default 127.0.0.1:9080; another address needs "
                  "--api-password-file)");
  cmd->add_option("--api-password-file", o->password_file,
                  "FILE whose first line is the API's password (login, or HTTP Basic)");
  cmd->add_option("--api-user", o->api_user, "the API's user name (default admin)");
  cmd->add_option("--web-root", o->web_root,
                  "serve the web UI's files from DIR (for working on them; default: built in)");
  cmd->add_option("--download-dir", o->download_dir,
                  "where torrents are saved (default STATE/downloads); save paths must be inside");
  cmd->add_option("--watch", o->watch,
                  "add .torrent files dropped into this directory (renamed .added/.invalid)");
  cmd->add_option("--listen", o->listen, "HOST:PORT for peers (default 0.0.0.0:6881)");
  cmd->add_option("--max-peers", o->max_peers, "connections per torrent (default 50)");
  cmd->add_option("--max-download-rate", o->max_down, "total download limit, e.g. 2M");
  cmd->add_option("--max-upload-rate", o->max_up, "total upload limit, e.g. 500K");
  cmd->add_flag("-v,--verbose", o->verbose, "log peers, trackers and API requests");
  add_dht_flags(cmd, o->dht);
  return [o] {
    // Logs go to stderr: stdout carries the one line that says where the API is.
    spdlog::set_default_logger(spdlog::stderr_color_st("corrent"));
    spdlog::set_pattern("%Y-%m-%d %H:%M:%S %^%l%$ %v");
    spdlog::set_level(o->verbose ? spdlog::level::debug : spdlog::level::info);
    return run(*o);
  };
}

}  // namespace corrent::cli
