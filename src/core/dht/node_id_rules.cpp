#include "core/dht/node_id_rules.hpp"

#include <array>
#include <boost/crc.hpp>
#include <cstring>
#include <random>

namespace corrent::dht {
namespace {

bool is_v4_mapped(const net::peer_address& a) {
  static constexpr std::array<std::uint8_t, 12> prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return a.is_v6 && std::memcmp(a.ip.data(), prefix.data(), prefix.size()) == 0;
}

// The CRC32C of the masked address with r in its top 3 bits (BEP 42).
std::uint32_t bep42_crc(const net::peer_address& a, std::uint8_t r) {
  static constexpr std::array<std::uint8_t, 4> v4_mask{0x03, 0x0f, 0x3f, 0xff};
  static constexpr std::array<std::uint8_t, 8> v6_mask{0x01, 0x03, 0x07, 0x0f,
                                                       0x1f, 0x3f, 0x7f, 0xff};
  std::array<std::uint8_t, 8> ip{};
  std::size_t n = 0;
  if (!a.is_v6 || is_v4_mapped(a)) {
    const std::uint8_t* v4 = a.ip.data() + (a.is_v6 ? 12 : 0);
    for (n = 0; n < 4; ++n) ip[n] = v4[n] & v4_mask[n];
  } else {
    for (n = 0; n < 8; ++n) ip[n] = a.ip[n] & v6_mask[n];
  }
  ip[0] |= static_cast<std::uint8_t>((r & 7) << 5);
  return crc32c(ip.data(), n);
}

}  // namespace

std::uint32_t crc32c(const void* data, std::size_t size) {
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;  // Castagnoli
  crc.process_bytes(data, size);
  return crc.checksum();
}

node_id bep42_id(const net::peer_address& external, std::uint8_t rand, std::uint64_t seed) {
  const std::uint32_t crc = bep42_crc(external, rand & 7);
  node_id id;
  std::mt19937_64 rng(seed);
  std::uint64_t bits = 0;
  for (std::size_t i = 2; i < 19; ++i) {
    if ((i - 2) % 8 == 0) bits = rng();
    id.bytes[i] = static_cast<std::uint8_t>(bits);
    bits >>= 8;
  }
  id.bytes[0] = static_cast<std::uint8_t>(crc >> 24);
  id.bytes[1] = static_cast<std::uint8_t>(crc >> 16);
  id.bytes[2] = static_cast<std::uint8_t>(((crc >> 8) & 0xf8) | (id.bytes[2] & 0x07));
  id.bytes[19] = rand;
  return id;
}

bool bep42_valid(const node_id& id, const net::peer_address& address) {
  const std::uint32_t crc = bep42_crc(address, id.bytes[19] & 7);
  return id.bytes[0] == static_cast<std::uint8_t>(crc >> 24) &&
         id.bytes[1] == static_cast<std::uint8_t>(crc >> 16) &&
         (id.bytes[2] & 0xf8) == (static_cast<std::uint8_t>(crc >> 8) & 0xf8);
}

bool bep42_exempt(const net::peer_address& address) {
  const auto& b = address.ip;
  if (!address.is_v6 || is_v4_mapped(address)) {
    const std::uint8_t* v4 = b.data() + (address.is_v6 ? 12 : 0);
    return v4[0] == 10 || v4[0] == 127 || (v4[0] == 172 && (v4[1] & 0xf0) == 16) ||
           (v4[0] == 192 && v4[1] == 168) || (v4[0] == 169 && v4[1] == 254);
  }
  static constexpr std::array<std::uint8_t, 16> loopback{0, 0, 0, 0, 0, 0, 0, 0,
                                                         0, 0, 0, 0, 0, 0, 0, 1};
  if (b == loopback) return true;
  if ((b[0] & 0xfe) == 0xfc) return true;        // fc00::/7: unique local
  return b[0] == 0xfe && (b[1] & 0xc0) == 0x80;  // fe80::/10: link-local
}

}  // namespace corrent::dht
