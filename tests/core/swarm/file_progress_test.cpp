// swarm::file_bytes_done: a file's verified bytes from the verified pieces.
#include "core/swarm/file_progress.hpp"

#include <gtest/gtest.h>

namespace corrent::swarm {
namespace {

metainfo::info three_files() {
  // Pieces of 10 bytes over files of 15, 3 and 12 bytes: piece 1 spans all three.
  metainfo::info t;
  t.name = "d";
  t.piece_length = 10;
  t.total_length = 30;
  t.piece_hashes.assign(3 * 20, '\0');
  std::int64_t offset = 0;
  for (auto [path, len] : {std::pair{"d/a", 15}, std::pair{"d/b", 3}, std::pair{"d/c", 12}}) {
    metainfo::file_entry f;
    f.path = path;
    f.length = len;
    f.offset = offset;
    offset += len;
    t.files.push_back(f);
  }
  return t;
}

TEST(FileProgress, ASpanningPieceCountsInEachFileItTouches) {
  const auto t = three_files();
  bitfield have(3);
  EXPECT_EQ(file_bytes_done(t, have), (std::vector<std::int64_t>{0, 0, 0}));
  have.set(1);  // bytes 10..19: a 10-14, b 15-17, c 18-19
  EXPECT_EQ(file_bytes_done(t, have), (std::vector<std::int64_t>{5, 3, 2}));
  have.set(0);
  have.set(2);
  EXPECT_EQ(file_bytes_done(t, have), (std::vector<std::int64_t>{15, 3, 12}));
}

TEST(FileProgress, ABitfieldOfTheWrongSizeCountsNothing) {
  const auto t = three_files();
  bitfield have(2);
  have.set_all();
  EXPECT_EQ(file_bytes_done(t, have), (std::vector<std::int64_t>{0, 0, 0}));
}

}  // namespace
}  // namespace corrent::swarm
