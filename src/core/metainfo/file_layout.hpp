// metainfo::file_layout — maps ranges of the piece space (all files concatenated, BEP 3)
// to the (file, offset, length) spans that hold them. A piece may span many files;
// zero-length files hold no bytes and never appear in a span.
#pragma once

#include <cstdint>
#include <vector>

#include "core/metainfo/info.hpp"

namespace corrent::metainfo {

struct file_span {
  std::size_t file_index = 0;
  std::int64_t file_offset = 0;
  std::int64_t length = 0;
  friend bool operator==(const file_span&, const file_span&) = default;
};

class file_layout {
 public:
  explicit file_layout(const info& t);

  // Calls f(file_span) for each file span covering [offset, offset + length) of the
  // piece space, in order. Precondition: the range lies within the total length.
  template <class F>
  void for_each_span(std::int64_t offset, std::int64_t length, F&& f) const {
    std::size_t i = first_file_at(offset);
    while (length > 0 && i < starts_.size()) {
      const std::int64_t in_file = offset - starts_[i];
      const std::int64_t n = std::min(length, lengths_[i] - in_file);
      if (n > 0) {
        f(file_span{i, in_file, n});
        offset += n;
        length -= n;
      }
      ++i;
    }
  }

  std::vector<file_span> map(std::int64_t offset, std::int64_t length) const;
  std::vector<file_span> map_piece(std::int64_t piece) const;
  std::vector<file_span> map_block(std::int64_t piece, std::int64_t offset_in_piece,
                                   std::int64_t length) const;

  // Pieces [first, last] that file `file_index` overlaps (empty files: first > last).
  std::pair<std::int64_t, std::int64_t> piece_range(std::size_t file_index) const;

 private:
  std::size_t first_file_at(std::int64_t offset) const;  // first non-empty file containing it

  std::vector<std::int64_t> starts_;
  std::vector<std::int64_t> lengths_;
  std::int64_t piece_length_;
  std::int64_t total_length_;
};

}  // namespace corrent::metainfo
