// swarm::bitfield — which pieces a peer (or we) have. Wire form (BEP 3): ceil(n/8) bytes,
// the high bit of byte 0 is piece 0, spare bits at the end must be zero.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace corrent::swarm {

class bitfield {
 public:
  bitfield() = default;
  explicit bitfield(std::size_t size, bool value = false);

  // errc (see swarm/errc.hpp): wrong byte length, or spare bits set.
  static result<bitfield> from_wire(std::string_view bytes, std::size_t size);
  std::string to_wire() const;

  std::size_t size() const { return size_; }
  bool test(std::size_t i) const { return (words_[i >> 6] >> (i & 63)) & 1; }
  void set(std::size_t i);
  void reset(std::size_t i);
  void set_all();
  std::size_t count() const { return count_; }
  bool all() const { return count_ == size_; }
  bool none() const { return count_ == 0; }

  // The bits 64 at a time: bit i is bit (i % 64) of word i / 64; bits past size() are
  // zero. For word-parallel scans (the picker) without a per-bit call.
  std::span<const std::uint64_t> words() const { return words_; }

  friend bool operator==(const bitfield& a, const bitfield& b) {
    return a.size_ == b.size_ && a.words_ == b.words_;
  }

 private:
  std::vector<std::uint64_t> words_;
  std::size_t size_ = 0;
  std::size_t count_ = 0;
};

}  // namespace corrent::swarm
