#include "core/crypto/rc4.hpp"

#include <utility>

namespace corrent::crypto {

rc4::rc4(std::span<const std::uint8_t> key) {
  for (std::size_t n = 0; n < s_.size(); ++n) s_[n] = static_cast<std::uint8_t>(n);
  const std::size_t size = key.empty() ? 1 : key.size();
  std::uint8_t j = 0;
  for (std::size_t n = 0; n < s_.size(); ++n) {
    const std::uint8_t k = key.empty() ? 0 : key[n % size];
    j = static_cast<std::uint8_t>(j + s_[n] + k);
    std::swap(s_[n], s_[j]);
  }
}

rc4::rc4(std::string_view key)
    : rc4(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(key.data()),
                                        key.size())) {}

void rc4::discard(std::size_t n) {
  std::uint8_t i = i_, j = j_;
  for (; n > 0; --n) {
    i = static_cast<std::uint8_t>(i + 1);
    j = static_cast<std::uint8_t>(j + s_[i]);
    std::swap(s_[i], s_[j]);
  }
  i_ = i;
  j_ = j;
}

void rc4::apply(std::span<std::uint8_t> data) {
  std::uint8_t i = i_, j = j_;
  for (std::uint8_t& b : data) {
    i = static_cast<std::uint8_t>(i + 1);
    const std::uint8_t si = s_[i];
    j = static_cast<std::uint8_t>(j + si);
    const std::uint8_t sj = s_[j];
    s_[i] = sj;
    s_[j] = si;
    b ^= s_[static_cast<std::uint8_t>(si + sj)];
  }
  i_ = i;
  j_ = j;
}

void rc4::apply(std::span<char> data) {
  apply(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(data.data()), data.size()));
}

}  // namespace corrent::crypto
