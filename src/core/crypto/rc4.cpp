#include "core/crypto/rc4.hpp"

#include <bit>
#include <cstring>
#include <utility>

namespace corrent::crypto {

rc4::rc4(std::span<const std::uint8_t> key) {
  for (std::uint32_t n = 0; n < s_.size(); ++n) s_[n] = n;
  const std::size_t size = key.empty() ? 1 : key.size();
  std::uint32_t j = 0;
  for (std::size_t n = 0; n < s_.size(); ++n) {
    const std::uint32_t k = key.empty() ? 0 : key[n % size];
    j = (j + s_[n] + k) & 0xff;
    std::swap(s_[n], s_[j]);
  }
}

rc4::rc4(std::string_view key)
    : rc4(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(key.data()),
                                        key.size())) {}

namespace {

static_assert(std::endian::native == std::endian::little, "rc4::apply packs bytes LSB first");

// One step of the keystream generator: returns the next keystream byte.
inline std::uint32_t next_byte(std::uint32_t* s, std::uint32_t& i, std::uint32_t& j) {
  i = (i + 1) & 0xff;
  const std::uint32_t si = s[i];
  j = (j + si) & 0xff;
  const std::uint32_t sj = s[j];
  s[i] = sj;
  s[j] = si;
  return s[(si + sj) & 0xff];
}

}  // namespace

void rc4::discard(std::size_t n) {
  std::uint32_t i = i_, j = j_;
  for (; n > 0; --n) next_byte(s_.data(), i, j);
  i_ = i;
  j_ = j;
}

void rc4::apply(std::span<std::uint8_t> data) {
  std::uint32_t i = i_, j = j_;
  std::uint32_t* s = s_.data();
  std::uint8_t* p = data.data();
  std::size_t left = data.size();
  // Eight keystream bytes gathered into one word, XORed in with one load and one store: the
  // per-byte read-modify-write of the data would otherwise compete with the state's own
  // loads and stores.
  for (; left >= 8; left -= 8, p += 8) {
    std::uint64_t ks = 0;
#pragma GCC unroll 8
    for (unsigned q = 0; q < 8; ++q) {
      ks |= static_cast<std::uint64_t>(next_byte(s, i, j)) << (8 * q);
    }
    std::uint64_t word;
    std::memcpy(&word, p, 8);
    word ^= ks;  // keystream byte q lands on data byte q (little-endian: asserted below)
    std::memcpy(p, &word, 8);
  }
  for (; left > 0; --left, ++p) *p ^= static_cast<std::uint8_t>(next_byte(s, i, j));
  i_ = i;
  j_ = j;
}

void rc4::apply(std::span<char> data) {
  apply(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(data.data()), data.size()));
}

}  // namespace corrent::crypto
