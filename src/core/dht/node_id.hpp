// dht::node_id — a 160-bit Kademlia identifier (BEP 5): node ids and info-hashes share the
// space, and closeness is the XOR of two ids read as a big-endian number. Pure.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/net/peer_address.hpp"

namespace corrent::dht {

struct node_id {
  std::array<std::uint8_t, 20> bytes{};

  static node_id from_bytes(std::string_view twenty);  // exactly 20 bytes (else all zero)
  std::string_view view() const {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
  }
  std::string hex() const;

  friend auto operator<=>(const node_id&, const node_id&) = default;
  friend bool operator==(const node_id&, const node_id&) = default;
};

// A node as the DHT passes it around: its id and where it listens (the compact node info
// of BEP 5 / BEP 32 on the wire; an entry of the routing table).
struct node_contact {
  node_id id;
  net::peer_address address;
  friend bool operator==(const node_contact&, const node_contact&) = default;
};

// a XOR b, as an id (compare two distances with <).
node_id distance(const node_id& a, const node_id& b);
// The number of leading bits a and b share (160 when equal): the bucket index.
int common_prefix_bits(const node_id& a, const node_id& b);
// Whether a is closer to target than b.
inline bool closer(const node_id& target, const node_id& a, const node_id& b) {
  return distance(target, a) < distance(target, b);
}

}  // namespace corrent::dht
