#include "core/dht/node_id.hpp"

#include <algorithm>
#include <bit>

namespace corrent::dht {

node_id node_id::from_bytes(std::string_view twenty) {
  node_id id;
  if (twenty.size() == id.bytes.size())
    std::copy(twenty.begin(), twenty.end(), reinterpret_cast<char*>(id.bytes.data()));
  return id;
}

std::string node_id::hex() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(40);
  for (auto b : bytes) {
    s += digits[b >> 4];
    s += digits[b & 0xf];
  }
  return s;
}

node_id distance(const node_id& a, const node_id& b) {
  node_id d;
  for (std::size_t i = 0; i < d.bytes.size(); ++i) d.bytes[i] = a.bytes[i] ^ b.bytes[i];
  return d;
}

int common_prefix_bits(const node_id& a, const node_id& b) {
  for (std::size_t i = 0; i < a.bytes.size(); ++i) {
    const auto x = static_cast<std::uint8_t>(a.bytes[i] ^ b.bytes[i]);
    if (x != 0) return static_cast<int>(i * 8) + std::countl_zero(x);
  }
  return 160;
}

}  // namespace corrent::dht
