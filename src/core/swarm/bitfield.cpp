#include "core/swarm/bitfield.hpp"

#include <bit>
#include <string>

#include "core/swarm/errc.hpp"

namespace corrent::swarm {
namespace {

// Wire order is most significant bit first; in memory piece i is bit i % 64, so every
// wire byte is bit-reversed on the way in and out.
constexpr std::uint8_t reverse_bits(std::uint8_t b) {
  b = static_cast<std::uint8_t>((b & 0xF0) >> 4 | (b & 0x0F) << 4);
  b = static_cast<std::uint8_t>((b & 0xCC) >> 2 | (b & 0x33) << 2);
  b = static_cast<std::uint8_t>((b & 0xAA) >> 1 | (b & 0x55) << 1);
  return b;
}

constexpr std::size_t wire_bytes(std::size_t size) {
  return (size + 7) / 8;
}
constexpr std::size_t word_count(std::size_t size) {
  return (size + 63) / 64;
}

}  // namespace

bitfield::bitfield(std::size_t size, bool value) : words_(word_count(size)), size_(size) {
  if (value) set_all();
}

result<bitfield> bitfield::from_wire(std::string_view bytes, std::size_t size) {
  if (bytes.size() != wire_bytes(size)) {
    return error{make_error_code(errc::bad_bitfield_length),
                 "got " + std::to_string(bytes.size()) + " bytes, expected " +
                     std::to_string(wire_bytes(size)) + " for " + std::to_string(size) + " pieces"};
  }
  if (size % 8 != 0) {
    const auto last = static_cast<std::uint8_t>(bytes.back());
    const auto spare_mask = static_cast<std::uint8_t>((1u << (8 - size % 8)) - 1);
    if ((last & spare_mask) != 0) {
      return error{make_error_code(errc::bitfield_spare_bits),
                   "bits past piece " + std::to_string(size - 1) + " are set"};
    }
  }
  bitfield b(size);
  for (std::size_t j = 0; j < bytes.size(); ++j) {
    const std::uint64_t r = reverse_bits(static_cast<std::uint8_t>(bytes[j]));
    b.words_[j / 8] |= r << (8 * (j % 8));
  }
  for (const std::uint64_t w : b.words_) b.count_ += static_cast<std::size_t>(std::popcount(w));
  return b;
}

std::string bitfield::to_wire() const {
  std::string out(wire_bytes(size_), '\0');
  for (std::size_t j = 0; j < out.size(); ++j) {
    const auto byte = static_cast<std::uint8_t>(words_[j / 8] >> (8 * (j % 8)));
    out[j] = static_cast<char>(reverse_bits(byte));
  }
  return out;
}

void bitfield::set(std::size_t i) {
  const std::uint64_t mask = std::uint64_t{1} << (i & 63);
  std::uint64_t& w = words_[i >> 6];
  count_ += (w & mask) == 0;
  w |= mask;
}

void bitfield::reset(std::size_t i) {
  const std::uint64_t mask = std::uint64_t{1} << (i & 63);
  std::uint64_t& w = words_[i >> 6];
  count_ -= (w & mask) != 0;
  w &= ~mask;
}

void bitfield::set_all() {
  for (std::uint64_t& w : words_) w = ~std::uint64_t{0};
  if (size_ % 64 != 0) words_.back() = (std::uint64_t{1} << (size_ % 64)) - 1;
  count_ = size_;
}

}  // namespace corrent::swarm
