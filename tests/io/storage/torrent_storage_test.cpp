#include "io/storage/torrent_storage.hpp"

#include "core/resume/resume_state.hpp"
#include "io/storage/recheck.hpp"
#include "io/storage/whole_file.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

namespace corrent::io {
namespace {
namespace fs = std::filesystem;

// A multi-file torrent of `files` files of 1,000..2,999 bytes (pieces of 4 KiB span
// several files), in a few directories; the piece hashes are not needed by storage.
metainfo::info many_files(std::size_t files) {
  metainfo::info t;
  t.name = "many";
  t.multi_file = true;
  t.piece_length = 4096;
  std::mt19937 rng(7);
  for (std::size_t i = 0; i < files; ++i) {
    metainfo::file_entry f;
    f.path = "many/d" + std::to_string(i / 100) + "/f" + std::to_string(i);
    f.length = 1000 + static_cast<std::int64_t>(rng() % 2000);
    f.offset = t.total_length;
    t.total_length += f.length;
    t.files.push_back(f);
  }
  const auto pieces = (t.total_length + t.piece_length - 1) / t.piece_length;
  t.piece_hashes.assign(static_cast<std::size_t>(pieces) * 20, '\0');
  t.info_hash[0] = 0x42;
  return t;
}

std::size_t open_fds() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

class TorrentStorage : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("corrent-storage-test-" +
            std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

// More files than the descriptor cache holds, written in a shuffled piece order: every
// byte lands in the right file, at most max_open_files descriptors are open at any time,
// and the files end up at their final paths.
TEST_F(TorrentStorage, WritesAndReadsMoreFilesThanItKeepsOpen) {
  const auto t = many_files(file_cache::default_max_open + 300);
  std::string content(static_cast<std::size_t>(t.total_length), '\0');
  std::mt19937 rng(1);
  for (auto& c : content) c = static_cast<char>(rng());
  const auto before = open_fds();
  {
    file_cache cache;
    torrent_storage s(t, dir_, cache);
    ASSERT_TRUE(s.prepare());
    EXPECT_LE(open_fds() - before, file_cache::default_max_open);
    std::vector<std::int64_t> order(static_cast<std::size_t>(t.num_pieces()));
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::int64_t>(i);
    std::shuffle(order.begin(), order.end(), rng);
    for (const auto piece : order) {
      auto r = s.write_piece(piece, content.data() + piece * t.piece_length);
      ASSERT_TRUE(r) << r.error().message();
      ASSERT_LE(open_fds() - before, file_cache::default_max_open);
    }
    ASSERT_TRUE(s.sync());
    std::string back(static_cast<std::size_t>(t.piece_length), '\0');
    for (const auto piece : order) {
      ASSERT_TRUE(s.read_piece(piece, back.data()));
      ASSERT_EQ(back.substr(0, static_cast<std::size_t>(t.piece_size(piece))),
                content.substr(static_cast<std::size_t>(piece * t.piece_length),
                               static_cast<std::size_t>(t.piece_size(piece))))
          << "piece " << piece;
    }
    auto moved = s.move_to_final();
    ASSERT_TRUE(moved) << moved.error().message();
  }
  EXPECT_EQ(open_fds(), before);
  for (const auto& f : t.files) {
    ASSERT_EQ(read_file(dir_ / f.path), content.substr(static_cast<std::size_t>(f.offset),
                                                       static_cast<std::size_t>(f.length)))
        << f.path;
  }
  EXPECT_FALSE(fs::exists(dir_ / ".corrent-parts"));
}

// A symbolic link planted at a final path is never moved over or written through.
TEST_F(TorrentStorage, RefusesToMoveOverASymbolicLink) {
  const auto t = many_files(3);
  std::string content(static_cast<std::size_t>(t.total_length), 'x');
  file_cache cache;
  torrent_storage s(t, dir_, cache);
  ASSERT_TRUE(s.prepare());
  for (std::int64_t p = 0; p < t.num_pieces(); ++p)
    ASSERT_TRUE(s.write_piece(p, content.data() + p * t.piece_length));
  fs::create_directories(dir_ / "many/d0");
  const auto outside = dir_.parent_path() / (dir_.filename().string() + "-outside");
  { std::ofstream(outside) << "keep"; }
  fs::create_symlink(outside, dir_ / t.files[1].path);
  auto r = s.move_to_final();
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("symbolic link"), std::string::npos) << r.error().message();
  EXPECT_EQ(read_file(outside), "keep");
  fs::remove(outside);
}

// A directory of the parts swapped for a link after prepare() checked it: the first write
// to a file below it fails rather than write outside (open_beneath, not a path open).
TEST_F(TorrentStorage, ADirectorySwappedForALinkAfterTheCheckIsNotWrittenThrough) {
  const auto t = many_files(3);  // many/d0/f0..f2
  std::string content(static_cast<std::size_t>(t.total_length), 'x');
  file_cache cache(1);  // prepare() leaves at most one file open: the others open anew
  torrent_storage s(t, dir_, cache);
  ASSERT_TRUE(s.prepare());
  const auto d0 = s.parts_dir() / "many" / "d0";
  ASSERT_TRUE(fs::is_directory(d0));
  const auto outside = dir_.parent_path() / (dir_.filename().string() + "-outside-dir");
  fs::remove_all(outside);
  fs::create_directories(outside);
  fs::remove_all(d0);
  fs::create_directory_symlink(outside, d0);
  bool any_failed = false;
  for (std::int64_t p = 0; p < t.num_pieces(); ++p)
    any_failed = !s.write_piece(p, content.data() + p * t.piece_length) || any_failed;
  EXPECT_TRUE(any_failed);
  EXPECT_TRUE(fs::is_empty(outside)) << "a write went through the link";
  fs::remove_all(outside);
}

// Files are created by their first write, so a checkpoint records some as missing; on
// resume, still missing is unchanged (no "N file(s) changed" and the verified pieces of the
// other files are trusted without hashing).
TEST_F(TorrentStorage, ResumeTrustsFilesThatWereMissingAtTheCheckpoint) {
  const auto t = many_files(40);
  std::string content(static_cast<std::size_t>(t.total_length), 'y');
  file_cache cache;
  torrent_storage s(t, dir_, cache);
  ASSERT_TRUE(s.prepare());
  swarm::bitfield verified(static_cast<std::size_t>(t.num_pieces()));
  for (std::int64_t p = 0; p < 3; ++p) {
    ASSERT_TRUE(s.write_piece(p, content.data() + p * t.piece_length));
    verified.set(static_cast<std::size_t>(p));
  }
  ASSERT_TRUE(s.sync());
  ASSERT_FALSE(fs::exists(s.parts_dir() / t.files.back().path));  // never written
  const auto state = make_resume_state(t, s.parts_dir(), verified, 3 * t.piece_length, 0);
  ASSERT_TRUE(replace_file_atomically(s.resume_path(), resume::encode_resume(state)));
  const auto r = recheck(t, s.parts_dir(), s.resume_path(), 1);
  EXPECT_EQ(r.note, "");
  EXPECT_EQ(r.trusted, 3);
  EXPECT_EQ(r.verified.count(), 3u);
}

// Two torrents share one cache: together they never hold more descriptors than its cap,
// and a file of one evicted by the other is reopened and read back intact.
TEST_F(TorrentStorage, TwoTorrentsShareOneDescriptorCap) {
  auto a = many_files(60);
  auto b = many_files(60);
  a.info_hash[0] = 1;
  b.info_hash[0] = 2;
  std::string content(static_cast<std::size_t>(a.total_length), 'z');
  const auto before = open_fds();
  file_cache cache(16);
  {
    torrent_storage sa(a, dir_ / "a", cache), sb(b, dir_ / "b", cache);
    fs::create_directories(dir_ / "a");
    fs::create_directories(dir_ / "b");
    ASSERT_TRUE(sa.prepare());
    ASSERT_TRUE(sb.prepare());
    for (std::int64_t p = 0; p < a.num_pieces(); ++p) {
      ASSERT_TRUE(sa.write_piece(p, content.data() + p * a.piece_length));
      ASSERT_TRUE(sb.write_piece(p, content.data() + p * b.piece_length));
      ASSERT_LE(open_fds() - before, 16u);
    }
    ASSERT_TRUE(sa.sync());  // some of its files were closed dirty: a syncfs
    std::string back(static_cast<std::size_t>(a.piece_length), '\0');
    ASSERT_TRUE(sa.read_piece(0, back.data()));
    EXPECT_EQ(back.substr(0, static_cast<std::size_t>(a.piece_size(0))),
              content.substr(0, static_cast<std::size_t>(a.piece_size(0))));
  }
  EXPECT_EQ(cache.open_count(), 0u);
  EXPECT_EQ(open_fds(), before);
}

}  // namespace
}  // namespace corrent::io
