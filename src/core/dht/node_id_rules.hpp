// dht::node_id_rules — BEP 42: a node id tied to the node's external IP, so that no one
// can place many nodes next to an info-hash without holding many addresses. The first 21
// bits of the id come from CRC32C of the masked IP (with a 3-bit r mixed in) and the last
// byte carries r; everything else is random. Addresses on local networks (and loopback)
// are exempt: bep42_exempt() tells them apart, and the routing table and lookups use it
// to allow more than one node per IP there. Pure: randomness is passed in.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dht/node_id.hpp"
#include "core/net/peer_address.hpp"

namespace corrent::dht {

// CRC32C (Castagnoli, Boost.CRC), as BEP 42 specifies.
// crc32c("123456789") == 0xe3069283.
std::uint32_t crc32c(const void* data, std::size_t size);

// An id valid for `external` (its port is ignored; an IPv4-mapped IPv6 address counts as
// IPv4). `rand` is the last byte, and its low 3 bits are BEP 42's r; the remaining random
// bits (the low 3 bits of byte 2, bytes 3..18) come from `seed`.
node_id bep42_id(const net::peer_address& external, std::uint8_t rand, std::uint64_t seed);

// Whether the first 21 bits of `id` match what BEP 42 asks for the address (with r taken
// from the id's last byte). Strict: it says nothing about exemptions.
bool bep42_valid(const node_id& id, const net::peer_address& address);

// Local addresses BEP 42 exempts from the check (10/8, 172.16/12, 192.168/16, 169.254/16,
// 127/8), and their IPv6 kin (::1, fc00::/7, fe80::/10).
bool bep42_exempt(const net::peer_address& address);

}  // namespace corrent::dht
