#include "core/metainfo/file_layout.hpp"

#include <gtest/gtest.h>

namespace corrent::metainfo {
namespace {

info make(std::int64_t piece_length, std::vector<std::int64_t> lengths) {
  info t;
  t.piece_length = piece_length;
  std::int64_t off = 0;
  for (std::size_t i = 0; i < lengths.size(); ++i) {
    file_entry f;
    f.path = "f" + std::to_string(i);
    f.length = lengths[i];
    f.offset = off;
    off += lengths[i];
    t.files.push_back(f);
  }
  t.total_length = off;
  t.piece_hashes.assign(static_cast<std::size_t>((off + piece_length - 1) / piece_length) * 20,
                        'h');
  return t;
}

TEST(FileLayout, SingleFileMapsPiecesToOffsets) {
  file_layout l(make(16, {40}));
  EXPECT_EQ(l.map_piece(0), (std::vector<file_span>{{0, 0, 16}}));
  EXPECT_EQ(l.map_piece(2), (std::vector<file_span>{{0, 32, 8}}));
}

TEST(FileLayout, PieceSpansManyFiles) {
  // files: 5, 3, 10 bytes; piece 0 = [0,16) covers all three.
  file_layout l(make(16, {5, 3, 10}));
  EXPECT_EQ(l.map_piece(0), (std::vector<file_span>{{0, 0, 5}, {1, 0, 3}, {2, 0, 8}}));
  EXPECT_EQ(l.map_piece(1), (std::vector<file_span>{{2, 8, 2}}));
}

TEST(FileLayout, ZeroLengthFilesNeverAppearInSpans) {
  file_layout l(make(4, {0, 3, 0, 0, 5, 0}));
  EXPECT_EQ(l.map_piece(0), (std::vector<file_span>{{1, 0, 3}, {4, 0, 1}}));
  EXPECT_EQ(l.map_piece(1), (std::vector<file_span>{{4, 1, 4}}));
  EXPECT_EQ(l.map(3, 1), (std::vector<file_span>{{4, 0, 1}}));
  auto empty = l.piece_range(0);
  EXPECT_GT(empty.first, empty.second);
}

TEST(FileLayout, MapsBlocksInsidePieces) {
  file_layout l(make(32, {10, 100}));
  EXPECT_EQ(l.map_block(0, 8, 4), (std::vector<file_span>{{0, 8, 2}, {1, 0, 2}}));
  EXPECT_EQ(l.map_block(1, 16, 16), (std::vector<file_span>{{1, 38, 16}}));
}

TEST(FileLayout, PieceRangeOfAFile) {
  file_layout l(make(16, {5, 30, 1}));
  EXPECT_EQ(l.piece_range(0), (std::pair<std::int64_t, std::int64_t>{0, 0}));
  EXPECT_EQ(l.piece_range(1), (std::pair<std::int64_t, std::int64_t>{0, 2}));
  EXPECT_EQ(l.piece_range(2), (std::pair<std::int64_t, std::int64_t>{2, 2}));
}

TEST(FileLayout, EverySpanSumsToThePieceSize) {
  info t = make(7, {3, 0, 11, 1, 0, 20, 2});
  file_layout l(t);
  for (std::int64_t p = 0; p < t.num_pieces(); ++p) {
    std::int64_t sum = 0;
    for (const auto& s : l.map_piece(p)) {
      EXPECT_GT(s.length, 0);
      EXPECT_LE(s.file_offset + s.length, t.files[s.file_index].length);
      sum += s.length;
    }
    EXPECT_EQ(sum, t.piece_size(p)) << "piece " << p;
  }
}

}  // namespace
}  // namespace corrent::metainfo
