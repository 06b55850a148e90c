#include "core/tracker/peer_list.hpp"

namespace corrent::tracker {

void peer_list::add(const net::peer_address& peer) {
  if (full() || !peer.is_usable()) return;
  if (seen_.insert(peer).second) peers_.push_back(peer);
}

void peer_list::add_compact(std::string_view bytes, bool ipv6) {
  const std::size_t ip_size = ipv6 ? 16 : 4;
  const std::size_t entry_size = ip_size + 2;
  for (std::size_t at = 0; at + entry_size <= bytes.size() && !full(); at += entry_size) {
    const auto hi = static_cast<std::uint8_t>(bytes[at + ip_size]);
    const auto lo = static_cast<std::uint8_t>(bytes[at + ip_size + 1]);
    add(net::peer_address::from_bytes(bytes.substr(at, ip_size),
                                      static_cast<std::uint16_t>((hi << 8) | lo)));
  }
}

}  // namespace corrent::tracker
