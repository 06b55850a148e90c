#include "cli/net_flags.hpp"

#include <fmt/format.h>

#include "cli/units.hpp"

namespace corrent::cli {

bool parse_listen_flag(const std::string& text, io::session_options& so) {
  const auto colon = text.rfind(':');
  std::int64_t port = 0;
  if (colon == std::string::npos || !parse_size(text.substr(colon + 1), port) || port > 65535) {
    fmt::print(stderr, "corrent: --listen {}: expected HOST:PORT\n", text);
    return false;
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  so.listen_host = host.empty() ? "0.0.0.0" : host;
  so.listen_port = static_cast<std::uint16_t>(port);
  so.listen_port_fixed = true;
  return true;
}

bool parse_peer_flags(const std::vector<std::string>& texts, std::vector<net::peer_address>& out) {
  for (const auto& text : texts) {
    auto a = net::peer_address::parse(text);
    if (!a) {
      fmt::print(stderr,
                 "corrent: --peer {}: expected IP:PORT (e.g. 127.0.0.1:6881 or [::1]:6881)\n",
                 text);
      return false;
    }
    out.push_back(*a);
  }
  return true;
}

void add_dht_flags(CLI::App* cmd, dht_flags& f) {
  cmd->add_option("--encryption", f.encryption,
                  "protocol encryption (MSE/PE): prefer (encrypted handshake, plaintext payload "
                  "when the peer allows; plaintext peers too), require (RC4 only), disable")
      ->capture_default_str()
      ->check(CLI::IsMember({"prefer", "require", "disable"}));
  cmd->add_flag("--no-dht", f.off, "do not use the DHT (BEP 5) to find peers");
  cmd->add_option("--dht-bootstrap", f.bootstrap,
                  "start the DHT from this node, HOST:PORT (repeatable; default: the saved "
                  "table, else the public routers)");
  cmd->add_flag("--dht-read-only", f.read_only,
                "use the DHT without answering other nodes' queries (BEP 43)");
}

bool apply_dht_flags(const dht_flags& f, const std::filesystem::path& state_file,
                     io::session_options& so) {
  for (const auto& b : f.bootstrap) {
    const auto colon = b.rfind(':');
    std::int64_t port = 0;
    std::string host = colon == std::string::npos ? "" : b.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    const bool host_ok =
        !host.empty() && host.size() <= 253 && host.find_first_of(" /[]\t") == std::string::npos;
    if (!host_ok || !parse_size(b.substr(colon + 1), port) || port < 1 || port > 65535) {
      fmt::print(stderr, "corrent: --dht-bootstrap {}: expected HOST:PORT (e.g. 127.0.0.1:6881)\n",
                 b);
      return false;
    }
  }
  if (f.off && (!f.bootstrap.empty() || f.read_only)) {
    fmt::print(stderr,
               "corrent: --no-dht cannot be used with --dht-bootstrap or --dht-read-only\n");
    return false;
  }
  so.encryption = f.encryption == "require"   ? io::encryption_policy::require
                  : f.encryption == "disable" ? io::encryption_policy::disable
                                              : io::encryption_policy::prefer;
  so.dht = !f.off;
  so.dht_bootstrap = f.bootstrap;
  so.dht_read_only = f.read_only;
  so.dht_state_file = state_file;
  return true;
}

}  // namespace corrent::cli
