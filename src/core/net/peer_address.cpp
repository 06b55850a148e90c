#include "core/net/peer_address.hpp"

#include <arpa/inet.h>

#include <algorithm>

namespace corrent::net {
namespace {

// ::ffff:0:0/96 (RFC 4291 2.5.5.2): an IPv4 address carried in IPv6 form.
constexpr std::array<std::uint8_t, 12> v4_mapped_prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool is_v4_mapped(const peer_address& a) {
  return a.is_v6 && std::equal(v4_mapped_prefix.begin(), v4_mapped_prefix.end(), a.ip.begin());
}

bool is_usable_v4(const std::uint8_t* b) {
  if (b[0] == 0) return false;              // 0.0.0.0/8: "this network", never a destination
  if ((b[0] & 0xf0) == 0xe0) return false;  // 224.0.0.0/4: multicast
  if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255) return false;  // broadcast
  return true;
}

void append_dotted(std::string& out, const std::uint8_t* b) {
  for (int i = 0; i < 4; ++i) {
    if (i) out += '.';
    out += std::to_string(b[i]);
  }
}

void append_hex_group(std::string& out, unsigned group) {
  static constexpr char hex[] = "0123456789abcdef";
  bool started = false;
  for (int shift = 12; shift >= 0; shift -= 4) {
    const unsigned nibble = (group >> shift) & 0xf;
    if (nibble || started || shift == 0) {
      out += hex[nibble];
      started = true;
    }
  }
}

// RFC 5952: lower-case hex without leading zeros; the longest run of two or more zero
// groups (the first one on a tie) becomes "::"; IPv4-mapped addresses end in dotted form.
void append_v6(std::string& out, const std::array<std::uint8_t, 16>& ip, bool v4_mapped) {
  if (v4_mapped) {
    out += "::ffff:";
    append_dotted(out, ip.data() + 12);
    return;
  }
  std::array<unsigned, 8> groups{};
  for (int i = 0; i < 8; ++i) groups[i] = (unsigned{ip[2 * i]} << 8) | ip[2 * i + 1];
  int best_start = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (groups[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_len) {
      best_start = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) best_start = -1;
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_len - 1;
      continue;
    }
    if (i != 0 && i != best_start + best_len) out += ':';
    append_hex_group(out, groups[i]);
  }
}

// Decimal 1..65535, digits only, no sign and no leading zero.
std::optional<std::uint16_t> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5 || s[0] == '0') return std::nullopt;
  unsigned value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

}  // namespace

peer_address peer_address::v4(std::uint32_t host_order_ip, std::uint16_t port) {
  peer_address a;
  a.ip[0] = static_cast<std::uint8_t>(host_order_ip >> 24);
  a.ip[1] = static_cast<std::uint8_t>(host_order_ip >> 16);
  a.ip[2] = static_cast<std::uint8_t>(host_order_ip >> 8);
  a.ip[3] = static_cast<std::uint8_t>(host_order_ip);
  a.port = port;
  return a;
}

// Any other size gives the all-zero address, which is_usable() rejects.
peer_address peer_address::from_bytes(std::string_view ip_bytes, std::uint16_t port) {
  peer_address a;
  if (ip_bytes.size() != 4 && ip_bytes.size() != 16) return a;
  a.is_v6 = ip_bytes.size() == 16;
  std::copy(ip_bytes.begin(), ip_bytes.end(), a.ip.begin());
  a.port = port;
  return a;
}

std::string peer_address::ip_string() const {
  std::string out;
  if (is_v6) {
    append_v6(out, ip, is_v4_mapped(*this));
  } else {
    append_dotted(out, ip.data());
  }
  return out;
}

std::string peer_address::to_string() const {
  std::string out;
  if (is_v6) {
    out += '[';
    append_v6(out, ip, is_v4_mapped(*this));
    out += ']';
  } else {
    append_dotted(out, ip.data());
  }
  out += ':';
  out += std::to_string(port);
  return out;
}

std::optional<peer_address> peer_address::parse_ip(std::string_view ip_text, std::uint16_t port) {
  // inet_pton wants a C string: refuse embedded NULs (they would cut the text short) and
  // anything longer than the longest IPv6 text.
  if (ip_text.empty() || ip_text.size() >= INET6_ADDRSTRLEN ||
      ip_text.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  const std::string c_text(ip_text);
  peer_address a;
  a.port = port;
  a.is_v6 = ip_text.find(':') != std::string_view::npos;
  if (inet_pton(a.is_v6 ? AF_INET6 : AF_INET, c_text.c_str(), a.ip.data()) != 1) {
    return std::nullopt;
  }
  return a;
}

std::optional<peer_address> peer_address::parse(std::string_view text) {
  std::string_view host, port_text;
  if (!text.empty() && text.front() == '[') {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
    if (host.find(':') == std::string_view::npos) return std::nullopt;  // "[1.2.3.4]:80"
  } else {
    const std::size_t colon = text.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);  // an unbracketed IPv6 leaves a non-digit in port_text
    port_text = text.substr(colon + 1);
  }
  const auto port = parse_port(port_text);
  if (!port) return std::nullopt;
  return parse_ip(host, *port);
}

bool peer_address::is_usable() const {
  if (port == 0) return false;
  if (!is_v6) return is_usable_v4(ip.data());
  if (is_v4_mapped(*this)) return is_usable_v4(ip.data() + 12);
  if (ip[0] == 0xff) return false;  // ff00::/8: multicast
  return std::any_of(ip.begin(), ip.end(), [](std::uint8_t b) { return b != 0; });  // not ::
}

}  // namespace corrent::net
