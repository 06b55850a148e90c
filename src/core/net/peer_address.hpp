// net::peer_address — an IPv4 or IPv6 address and TCP/UDP port as plain bytes, so core
// can carry peers from trackers to the session without any socket type.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace corrent::net {

struct peer_address {
  std::array<std::uint8_t, 16> ip{};  // IPv4 in the first 4 bytes when !is_v6
  bool is_v6 = false;
  std::uint16_t port = 0;

  static peer_address v4(std::uint32_t host_order_ip, std::uint16_t port);
  static peer_address from_bytes(std::string_view ip_bytes /* 4 or 16 */, std::uint16_t port);

  // "1.2.3.4:6881" or "[::1]:6881".
  std::string to_string() const;
  // The address alone: "1.2.3.4" or "::1" (no brackets, no port).
  std::string ip_string() const;
  // Parses "1.2.3.4:6881", "[::1]:6881", "localhost" is NOT resolved (nullopt).
  static std::optional<peer_address> parse(std::string_view text);
  // A bare address ("1.2.3.4" or "::1", no brackets, no port) paired with `port`, as
  // trackers send it in dictionary peer lists. Strict: no DNS names, no zone ids.
  static std::optional<peer_address> parse_ip(std::string_view ip_text, std::uint16_t port);

  // False for port 0, unspecified (0.0.0.0, ::), multicast and broadcast addresses:
  // trackers that send them are ignored for those entries.
  bool is_usable() const;

  friend auto operator<=>(const peer_address&, const peer_address&) = default;
  friend bool operator==(const peer_address&, const peer_address&) = default;
};

}  // namespace corrent::net
