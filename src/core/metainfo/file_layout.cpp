#include "core/metainfo/file_layout.hpp"

#include <algorithm>

namespace corrent::metainfo {

file_layout::file_layout(const info& t)
    : piece_length_(t.piece_length), total_length_(t.total_length) {
  starts_.reserve(t.files.size());
  lengths_.reserve(t.files.size());
  for (const auto& f : t.files) {
    starts_.push_back(f.offset);
    lengths_.push_back(f.length);
  }
}

std::size_t file_layout::first_file_at(std::int64_t offset) const {
  // Last file starting at or before offset; zero-length files there are skipped by the
  // caller's loop because they contribute n == 0.
  auto it = std::upper_bound(starts_.begin(), starts_.end(), offset);
  if (it == starts_.begin()) return 0;
  std::size_t i = static_cast<std::size_t>(it - starts_.begin()) - 1;
  // Step back over files that start at the same offset (zero-length ones before it).
  while (i > 0 && starts_[i - 1] == starts_[i]) --i;
  return i;
}

std::vector<file_span> file_layout::map(std::int64_t offset, std::int64_t length) const {
  std::vector<file_span> spans;
  for_each_span(offset, length, [&](const file_span& s) { spans.push_back(s); });
  return spans;
}

std::vector<file_span> file_layout::map_piece(std::int64_t piece) const {
  const std::int64_t start = piece * piece_length_;
  return map(start, std::min(piece_length_, total_length_ - start));
}

std::vector<file_span> file_layout::map_block(std::int64_t piece, std::int64_t offset_in_piece,
                                              std::int64_t length) const {
  return map(piece * piece_length_ + offset_in_piece, length);
}

std::pair<std::int64_t, std::int64_t> file_layout::piece_range(std::size_t file_index) const {
  const std::int64_t len = lengths_[file_index];
  if (len == 0) return {1, 0};
  const std::int64_t start = starts_[file_index];
  return {start / piece_length_, (start + len - 1) / piece_length_};
}

}  // namespace corrent::metainfo
