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

}  // namespace corrent::cli
