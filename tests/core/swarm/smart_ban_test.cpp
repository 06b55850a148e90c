#include "core/swarm/smart_ban.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace corrent::swarm {
namespace {

const auto honest = net::peer_address::v4(0x7f000001, 6881);
const auto liar = net::peer_address::v4(0x7f000001, 6882);
const auto other = net::peer_address::v4(0x7f000002, 6881);

std::string piece_bytes(char fill, std::size_t size) {
  std::string s(size, fill);
  for (std::size_t i = 0; i < size; i += 997) s[i] = static_cast<char>(i * 31);
  return s;
}

TEST(SmartBan, BlockDigestsHashEach16KiBBlock) {
  const auto data = piece_bytes('a', 40 * 1024);
  const auto d = block_digests(data);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0], crypto::sha1(std::string_view(data).substr(0, 16384)));
  EXPECT_EQ(d[2], crypto::sha1(std::string_view(data).substr(32768)));  // 8 KiB tail
  EXPECT_TRUE(block_digests("").empty());
}

TEST(SmartBan, NamesTheSenderOfTheBlockThatDiffered) {
  const auto good = piece_bytes('g', 64 * 1024);
  auto bad = good;
  bad[16384 + 5] ^= 0x5a;  // block 1 corrupt
  smart_ban sb;
  const std::vector<std::optional<net::peer_address>> senders{honest, liar, honest, other};
  EXPECT_FALSE(sb.watching(7));
  sb.on_piece_failed(7, senders, block_digests(bad));
  EXPECT_TRUE(sb.watching(7));
  EXPECT_FALSE(sb.watching(8));
  EXPECT_EQ(sb.on_piece_verified(7, block_digests(good)), std::vector<net::peer_address>{liar});
  EXPECT_FALSE(sb.watching(7));
  EXPECT_TRUE(sb.on_piece_verified(7, block_digests(good)).empty());  // record dropped
}

TEST(SmartBan, NobodyNamedWhenEveryRecordedBlockMatches) {
  // The failure came from a block whose sender is unknown (its connection is gone).
  const auto good = piece_bytes('g', 32 * 1024);
  auto bad = good;
  bad[100] ^= 1;
  smart_ban sb;
  const std::vector<std::optional<net::peer_address>> senders{std::nullopt, honest};
  sb.on_piece_failed(1, senders, block_digests(bad));
  EXPECT_TRUE(sb.on_piece_verified(1, block_digests(good)).empty());
}

TEST(SmartBan, TwoFailuresOfOnePieceAreBothChecked) {
  const auto good = piece_bytes('g', 32 * 1024);
  auto bad1 = good, bad2 = good;
  bad1[10] ^= 1;         // block 0 from liar
  bad2[16384 + 3] ^= 1;  // block 1 from other
  smart_ban sb;
  sb.on_piece_failed(2, std::vector<std::optional<net::peer_address>>{liar, honest},
                     block_digests(bad1));
  sb.on_piece_failed(2, std::vector<std::optional<net::peer_address>>{honest, other},
                     block_digests(bad2));
  EXPECT_EQ(sb.watched_pieces(), 1u);
  EXPECT_EQ(sb.on_piece_verified(2, block_digests(good)),
            (std::vector<net::peer_address>{liar, other}));
}

TEST(SmartBan, WatchesAtMostMaxPiecesOldestForgottenFirst) {
  const auto data = piece_bytes('x', 16384);
  const std::vector<std::optional<net::peer_address>> senders{liar};
  smart_ban sb(2);
  sb.on_piece_failed(1, senders, block_digests(data));
  sb.on_piece_failed(2, senders, block_digests(data));
  sb.on_piece_failed(3, senders, block_digests(data));
  EXPECT_EQ(sb.watched_pieces(), 2u);
  EXPECT_FALSE(sb.watching(1));
  EXPECT_TRUE(sb.watching(2));
  EXPECT_TRUE(sb.watching(3));
}

TEST(SmartBan, ShorterSpanBoundsTheRecord) {
  const auto good = piece_bytes('g', 48 * 1024);
  auto bad = good;
  bad[40000] ^= 1;  // block 2, whose sender is not given
  smart_ban sb;
  sb.on_piece_failed(0, std::vector<std::optional<net::peer_address>>{honest, honest},
                     block_digests(bad));
  EXPECT_TRUE(sb.on_piece_verified(0, block_digests(good)).empty());
  sb.on_piece_failed(0, std::vector<std::optional<net::peer_address>>{honest, honest, liar}, {});
  EXPECT_FALSE(sb.watching(0) && !sb.on_piece_verified(0, block_digests(good)).empty());
}

}  // namespace
}  // namespace corrent::swarm
