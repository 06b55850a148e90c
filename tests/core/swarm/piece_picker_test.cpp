#include "core/swarm/piece_picker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/swarm/errc.hpp"

namespace corrent::swarm {
namespace {

constexpr std::uint32_t kib16 = 16 * 1024;
constexpr peer_key a = 1, b = 2, c = 3;

// --- a small language for picker states ---

// "1101": piece i is had where s[i] == '1'.
bitfield bits(std::string_view s) {
  bitfield out(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '1') out.set(i);
  }
  return out;
}

// n pieces of `blocks` full 16 KiB blocks each.
piece_picker make_picker(std::uint32_t n, std::uint32_t blocks) {
  return piece_picker(n, std::int64_t{blocks} * kib16, std::int64_t{n} * blocks * kib16);
}

// Adds peers (none of them a seed unless a level covers every piece) until piece i is
// held by counts[i] of them: "2013".
void add_availability(piece_picker& p, std::string_view counts) {
  for (char level = '1'; level <= '9'; ++level) {
    std::string layer;
    for (const char ch : counts) layer += ch >= level ? '1' : '0';
    if (layer.find('1') == std::string::npos) return;
    p.add_peer(bits(layer));
  }
}

// One character per piece: 'h' have, '.' in the work queue; an in-progress piece is
// "[...]" with one character per block: '-' missing, 'r' requested from one peer, '2'..'9'
// from that many, 'x' received. "h[xr-]." = piece 0 verified, piece 1 open, piece 2 queued.
std::string describe(const piece_picker& p) {
  std::string s;
  for (std::uint32_t i = 0; i < p.num_pieces(); ++i) {
    switch (p.state(i)) {
      case piece_picker::piece_state::have:
        s += 'h';
        break;
      case piece_picker::piece_state::queued:
        s += '.';
        break;
      case piece_picker::piece_state::in_progress:
        s += '[';
        for (std::uint32_t k = 0; k < p.blocks_in_piece(i); ++k) {
          const std::uint32_t n = p.requesters(i, k);
          s += p.is_block_received(i, k) ? 'x' : n == 0 ? '-' : n == 1 ? 'r' : char('0' + n);
        }
        s += ']';
        break;
    }
  }
  return s;
}

std::vector<block_ref> pick(piece_picker& p, peer_key who, const bitfield& has, std::size_t max,
                            std::uint64_t random = 0) {
  std::vector<block_ref> out;
  p.pick_blocks(who, has, max, random, out);
  return out;
}

// The same for a peer on parole (exclusive pieces only).
std::vector<block_ref> pick_alone(piece_picker& p, peer_key who, const bitfield& has,
                                  std::size_t max) {
  std::vector<block_ref> out;
  p.pick_blocks(who, has, max, 0, out, true);
  return out;
}

std::vector<std::uint32_t> pieces_of(const std::vector<block_ref>& blocks) {
  std::vector<std::uint32_t> out;
  for (const auto& blk : blocks) out.push_back(blk.piece);
  return out;
}

std::vector<peer_key> sorted(std::vector<peer_key> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// --- geometry ---

TEST(PiecePicker, CutsPiecesInto16KiBBlocks) {
  const piece_picker p(3, 40000, 100000);  // pieces 40000, 40000, 20000
  EXPECT_EQ(p.num_pieces(), 3u);
  EXPECT_EQ(p.piece_size(0), 40000u);
  EXPECT_EQ(p.piece_size(2), 20000u);
  EXPECT_EQ(p.blocks_in_piece(0), 3u);
  EXPECT_EQ(p.blocks_in_piece(2), 2u);
  EXPECT_EQ(p.block(0, 1), (block_ref{0, kib16, kib16}));
  EXPECT_EQ(p.block(0, 2), (block_ref{0, 2 * kib16, 40000 - 2 * kib16}));
}

TEST(PiecePicker, LastBlockOfLastPieceIsShort) {
  piece_picker p(2, 2 * kib16, 2 * kib16 + kib16 + 100);
  EXPECT_EQ(p.blocks_in_piece(1), 2u);
  const auto got = pick(p, a, bitfield(2, true), 10);
  ASSERT_EQ(got.size(), 4u);
  std::vector<block_ref> expected{{0, 0, kib16}, {0, kib16, kib16}, {1, 0, kib16}, {1, kib16, 100}};
  std::vector<block_ref> sorted_got = got;
  std::sort(sorted_got.begin(), sorted_got.end(), [](const block_ref& x, const block_ref& y) {
    return std::tie(x.piece, x.begin) < std::tie(y.piece, y.begin);
  });
  EXPECT_EQ(sorted_got, expected);
}

TEST(PiecePicker, ChecksBlocksAgainstTheTorrent) {
  const piece_picker p(2, 2 * kib16, 2 * kib16 + 100);
  EXPECT_FALSE(p.check_block({0, 0, kib16}));
  EXPECT_FALSE(p.check_block({0, 100, kib16}));  // unaligned requests are legal
  EXPECT_FALSE(p.check_block({1, 0, 100}));
  EXPECT_EQ(p.check_block({2, 0, 100}), errc::piece_out_of_range);
  EXPECT_EQ(p.check_block({1, 0, 101}), errc::block_out_of_range);
  EXPECT_EQ(p.check_block({0, 0, kib16 + 1}), errc::block_out_of_range);
  EXPECT_EQ(p.check_block({0, 2 * kib16, 1}), errc::block_out_of_range);
  EXPECT_EQ(p.check_block({0, 0, 0}), errc::block_out_of_range);
}

// --- rarest first ---

TEST(PiecePicker, PrefersRarerPieces) {
  auto p = make_picker(4, 1);
  const bitfield peer = bits("1101");
  p.add_peer(peer);
  add_availability(p, "1310");  // with the peer: 2 4 1 1
  EXPECT_EQ(p.availability(0), 2u);
  EXPECT_EQ(p.availability(1), 4u);
  EXPECT_EQ(p.availability(3), 1u);
  EXPECT_EQ(pieces_of(pick(p, a, peer, 1)), std::vector<std::uint32_t>{3});
  EXPECT_EQ(pieces_of(pick(p, a, peer, 1)), std::vector<std::uint32_t>{0});
  EXPECT_EQ(pieces_of(pick(p, a, peer, 1)), std::vector<std::uint32_t>{1});
  EXPECT_EQ(describe(p), "[r][r].[r]");  // piece 2 is not the peer's to give
}

TEST(PiecePicker, SeedGetsTheRarestPieceFirst) {
  auto p = make_picker(4, 1);
  add_availability(p, "3120");
  p.add_peer(bitfield(4, true));
  EXPECT_EQ(p.availability(3), 1u);
  EXPECT_EQ(p.availability(0), 4u);
  std::vector<std::uint32_t> order;
  for (int i = 0; i < 4; ++i) order.push_back(pick(p, a, bitfield(4, true), 1).at(0).piece);
  EXPECT_EQ(order, (std::vector<std::uint32_t>{3, 1, 2, 0}));
}

TEST(PiecePicker, HavesAndDisconnectsReorderTheQueue) {
  auto p = make_picker(3, 1);
  const bitfield x = bits("011");
  p.add_peer(bits("111"));
  p.add_peer(x);  // 1 2 2
  p.add_have(0);
  p.add_have(0);     // 3 2 2
  p.remove_peer(x);  // 3 1 1
  p.add_have(1);     // 3 2 1
  EXPECT_EQ(p.availability(0), 3u);
  EXPECT_EQ(p.availability(2), 1u);
  EXPECT_EQ(pieces_of(pick(p, a, bits("111"), 3)), (std::vector<std::uint32_t>{2, 1, 0}));
}

TEST(PiecePicker, BreaksTiesWithTheRandomValue) {
  std::set<std::uint32_t> chosen;
  const bitfield peer = bits(std::string(100, '1') + std::string(100, '0'));
  for (std::uint64_t r = 0; r < 40; ++r) {
    auto p = make_picker(200, 1);
    p.add_peer(peer);
    const auto first = p.get_piece_from_work_queue(peer, r * 7919);
    ASSERT_TRUE(first.has_value());
    EXPECT_LT(*first, 100u);
    chosen.insert(*first);
    auto again = make_picker(200, 1);  // same random, same choice
    again.add_peer(peer);
    EXPECT_EQ(again.get_piece_from_work_queue(peer, r * 7919), first);
  }
  EXPECT_GT(chosen.size(), 10u);
}

TEST(PiecePicker, FindsRarePieceOfPeerOutsideTheRarestBuckets) {
  // 1990 pieces at availability 1 that the peer lacks hide its own pieces at 2 and 3.
  const std::uint32_t n = 2000;
  auto p = make_picker(n, 1);
  std::string peer_s(n, '0'), other(n, '0'), many(n, '0'), extra(n, '0');
  for (std::uint32_t i = 0; i < n; ++i) (i >= 1000 && i < 1010 ? peer_s : other)[i] = '1';
  for (std::uint32_t i = 1000; i < 1010; ++i) many[i] = '1';   // peer's pieces: 2
  for (std::uint32_t i = 1000; i < 1005; ++i) extra[i] = '1';  // 1000..1004: 3
  const bitfield peer = bits(peer_s);
  for (const auto& s : {peer_s, other, many, extra}) p.add_peer(bits(s));
  std::set<std::uint32_t> chosen;
  for (std::uint64_t r = 0; r < 20; ++r) {
    auto q = make_picker(n, 1);
    for (const auto& s : {peer_s, other, many, extra}) q.add_peer(bits(s));
    const auto got = q.get_piece_from_work_queue(peer, r * 0x9e3779b97f4a7c15ULL);
    ASSERT_TRUE(got.has_value());
    EXPECT_GE(*got, 1005u);
    EXPECT_LT(*got, 1010u);
    chosen.insert(*got);
  }
  EXPECT_GT(chosen.size(), 1u);
  // Once they are gone the peer's next rarest are 1000..1004, then nothing.
  std::vector<std::uint32_t> all = pieces_of(pick(p, a, peer, 100));
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all.size(), 10u);
  EXPECT_EQ(all.front(), 1000u);
  EXPECT_EQ(all.back(), 1009u);
}

TEST(PiecePicker, PieceFromWorkQueueIsNulloptWhenPeerHasNothingWeNeed) {
  auto p = make_picker(4, 1);
  p.on_piece_verified(1);
  const bitfield peer = bits("0100");
  p.add_peer(peer);
  EXPECT_FALSE(p.get_piece_from_work_queue(peer, 0).has_value());
  EXPECT_FALSE(p.get_piece_from_work_queue(bits("0000"), 0).has_value());
  EXPECT_TRUE(pick(p, a, peer, 10).empty());
  EXPECT_EQ(describe(p), ".h..");
  EXPECT_EQ(p.get_piece_from_work_queue(bits("0010"), 0), 2u);  // also for unknown peers
  EXPECT_EQ(describe(p), ".h[-].");
}

// --- requests ---

TEST(PiecePicker, DoesNotRequestSameBlockTwice) {
  auto p = make_picker(3, 4);
  const bitfield peer = bits("110");  // nobody has piece 2: no endgame
  p.add_peer(peer);
  p.add_peer(peer);
  EXPECT_EQ(pick(p, a, peer, 3).size(), 3u);
  const auto second = pick(p, b, peer, 10);
  EXPECT_EQ(second.size(), 5u);
  EXPECT_EQ(describe(p), "[rrrr][rrrr].");
  EXPECT_FALSE(p.in_endgame());
  EXPECT_TRUE(pick(p, a, peer, 10).empty());
  EXPECT_TRUE(pick(p, c, peer, 10).empty());
}

TEST(PiecePicker, FinishesPiecesInProgressBeforeStartingNew) {
  auto p = make_picker(3, 4);
  add_availability(p, "012");
  const bitfield all(3, true);
  EXPECT_EQ(pick(p, a, all, 2), (std::vector<block_ref>{{0, 0, kib16}, {0, kib16, kib16}}));
  EXPECT_EQ(describe(p), "[rr--]..");
  EXPECT_EQ(pick(p, b, all, 3),
            (std::vector<block_ref>{{0, 2 * kib16, kib16}, {0, 3 * kib16, kib16}, {1, 0, kib16}}));
  EXPECT_EQ(describe(p), "[rrrr][r---].");
  EXPECT_EQ(pieces_of(pick(p, c, all, 3)), (std::vector<std::uint32_t>{1, 1, 1}));
  EXPECT_EQ(p.in_progress_count(), 2u);
}

TEST(PiecePicker, ContinuesItsOwnPieceBeforeOtherOpenPieces) {
  auto p = make_picker(4, 4);
  bitfield has_a = bits("1000");
  p.add_peer(has_a);
  p.add_peer(bits("0100"));
  EXPECT_EQ(pieces_of(pick(p, a, has_a, 2)), (std::vector<std::uint32_t>{0, 0}));
  EXPECT_EQ(pieces_of(pick(p, b, bits("0100"), 2)), (std::vector<std::uint32_t>{1, 1}));
  EXPECT_EQ(describe(p), "[rr--][rr--]..");
  for (std::uint32_t i = 1; i < 4; ++i) {
    has_a.set(i);
    p.add_have(i);
  }
  EXPECT_EQ(pieces_of(pick(p, a, has_a, 2)), (std::vector<std::uint32_t>{0, 0}));
  EXPECT_EQ(describe(p), "[rrrr][rr--]..");
  EXPECT_EQ(pieces_of(pick(p, a, has_a, 2)), (std::vector<std::uint32_t>{1, 1}));
  EXPECT_EQ(describe(p), "[rrrr][rrrr]..");
}

TEST(PiecePicker, PutsPieceBackWhenPeerGoesAway) {
  auto p = make_picker(2, 4);
  add_availability(p, "12");
  const bitfield all(2, true);
  EXPECT_EQ(pick(p, a, all, 2).size(), 2u);
  EXPECT_EQ(describe(p), "[rr--].");
  p.on_peer_gone(a);
  EXPECT_EQ(describe(p), "..");
  EXPECT_EQ(p.in_progress_count(), 0u);
  EXPECT_EQ(pick(p, b, all, 1), (std::vector<block_ref>{{0, 0, kib16}}));
}

TEST(PiecePicker, KeepsPieceWithReceivedBlocksWhenPeerGoesAway) {
  auto p = make_picker(2, 4);
  add_availability(p, "12");
  const bitfield all(2, true);
  EXPECT_EQ(pick(p, a, all, 4).size(), 4u);
  EXPECT_TRUE(p.on_block_received(a, {0, kib16, kib16}).wanted);
  p.on_peer_gone(a);
  EXPECT_EQ(describe(p), "[-x--].");
  EXPECT_EQ(pick(p, b, all, 3),
            (std::vector<block_ref>{{0, 0, kib16}, {0, 2 * kib16, kib16}, {0, 3 * kib16, kib16}}));
  EXPECT_EQ(describe(p), "[rxrr].");
  // b was asked for block 0; a copy from a is taken all the same, and b is told to cancel.
  EXPECT_EQ(p.on_block_received(a, {0, 0, kib16}).cancel, std::vector<peer_key>{b});
  EXPECT_EQ(describe(p), "[xxrr].");
}

TEST(PiecePicker, OnlyTheGonePeersRequestsAreDropped) {
  auto p = make_picker(1, 4);
  const bitfield all(1, true);
  EXPECT_EQ(pick(p, a, all, 2).size(), 2u);
  EXPECT_EQ(pick(p, b, all, 2).size(), 2u);
  p.on_peer_gone(a);
  EXPECT_EQ(describe(p), "[--rr]");
  p.on_peer_gone(c);  // never asked for anything
  EXPECT_EQ(describe(p), "[--rr]");
  p.on_peer_gone(b);
  EXPECT_EQ(describe(p), ".");
}

TEST(PiecePicker, DroppedRequestBecomesRequestableAgain) {
  auto p = make_picker(2, 4);
  add_availability(p, "12");
  const bitfield all(2, true);
  EXPECT_EQ(pick(p, a, all, 4).size(), 4u);
  p.on_request_dropped(b, {0, kib16, kib16});  // b never asked: nothing changes
  EXPECT_EQ(describe(p), "[rrrr].");
  p.on_request_dropped(a, {0, kib16, kib16});
  EXPECT_EQ(describe(p), "[r-rr].");
  EXPECT_EQ(pick(p, b, all, 1), (std::vector<block_ref>{{0, kib16, kib16}}));
  EXPECT_EQ(describe(p), "[rrrr].");
}

TEST(PiecePicker, PieceWithNoRequestsLeftGoesBackToTheQueue) {
  auto p = make_picker(2, 2);
  add_availability(p, "12");
  const bitfield all(2, true);
  EXPECT_EQ(pick(p, a, all, 2).size(), 2u);
  p.on_request_dropped(a, {0, 0, kib16});
  EXPECT_EQ(describe(p), "[-r].");
  p.on_request_dropped(a, {0, kib16, kib16});
  EXPECT_EQ(describe(p), "..");
}

TEST(PiecePicker, PutPieceBackForgetsReceivedBlocks) {
  auto p = make_picker(2, 2);
  const auto piece = p.get_piece_from_work_queue(bitfield(2, true), 0);
  ASSERT_TRUE(piece.has_value());
  EXPECT_EQ(p.state(*piece), piece_picker::piece_state::in_progress);
  std::vector<block_ref> out;
  p.pick_blocks(a, bits(*piece == 0 ? "10" : "01"), 1, 0, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].piece, *piece);
  EXPECT_TRUE(p.on_block_received(a, out[0]).wanted);
  p.put_piece_back_to_work_queue(*piece);
  EXPECT_EQ(describe(p), "..");
  EXPECT_TRUE(p.contributors(*piece).empty());
  EXPECT_FALSE(p.on_block_received(a, out[0]).wanted);
  EXPECT_EQ(pick(p, a, bitfield(2, true), 4).size(), 4u);
}

// --- endgame ---

TEST(PiecePicker, EndgameRequestsFromSecondPeerAndReportsCancel) {
  auto p = make_picker(1, 2);
  const bitfield all(1, true);
  EXPECT_FALSE(p.in_endgame());
  EXPECT_EQ(pick(p, a, all, 1).size(), 1u);
  EXPECT_FALSE(p.in_endgame());  // block 1 is still unrequested
  EXPECT_EQ(pick(p, a, all, 1).size(), 1u);
  EXPECT_TRUE(p.in_endgame());
  EXPECT_TRUE(pick(p, a, all, 5).empty());  // never the same block twice to one peer
  EXPECT_EQ(pick(p, b, all, 5), (std::vector<block_ref>{{0, 0, kib16}, {0, kib16, kib16}}));
  EXPECT_EQ(describe(p), "[22]");

  const auto first = p.on_block_received(b, {0, 0, kib16});
  EXPECT_TRUE(first.wanted);
  EXPECT_FALSE(first.piece_complete);
  EXPECT_EQ(first.cancel, std::vector<peer_key>{a});
  EXPECT_EQ(describe(p), "[x2]");
  EXPECT_FALSE(p.on_block_received(a, {0, 0, kib16}).wanted);  // the copy we cancelled

  const auto last = p.on_block_received(a, {0, kib16, kib16});
  EXPECT_TRUE(last.wanted);
  EXPECT_TRUE(last.piece_complete);
  EXPECT_EQ(last.cancel, std::vector<peer_key>{b});
  EXPECT_EQ(sorted(p.contributors(0)), (std::vector<peer_key>{a, b}));
}

TEST(PiecePicker, EndgameAsksForBlocksWithFewestRequestersFirst) {
  auto p = make_picker(1, 2);
  const bitfield all(1, true);
  EXPECT_EQ(pick(p, a, all, 2).size(), 2u);
  EXPECT_EQ(pick(p, b, all, 1), (std::vector<block_ref>{{0, 0, kib16}}));
  EXPECT_EQ(describe(p), "[2r]");
  EXPECT_EQ(pick(p, c, all, 1), (std::vector<block_ref>{{0, kib16, kib16}}));
  EXPECT_EQ(describe(p), "[22]");
  const auto got = p.on_block_received(c, {0, kib16, kib16});
  EXPECT_EQ(got.cancel, std::vector<peer_key>{a});
}

TEST(PiecePicker, EndgameEndsWhenARequestIsDropped) {
  auto p = make_picker(1, 2);
  const bitfield all(1, true);
  EXPECT_EQ(pick(p, a, all, 2).size(), 2u);
  EXPECT_EQ(pick(p, b, all, 2).size(), 2u);
  p.on_peer_gone(a);
  EXPECT_EQ(describe(p), "[rr]");
  EXPECT_TRUE(p.in_endgame());
  p.on_request_dropped(b, {0, 0, kib16});
  EXPECT_FALSE(p.in_endgame());
  EXPECT_EQ(describe(p), "[-r]");
  // The free block first; that starts endgame again, so the other one is shared.
  EXPECT_EQ(pick(p, c, all, 2), (std::vector<block_ref>{{0, 0, kib16}, {0, kib16, kib16}}));
  EXPECT_EQ(describe(p), "[r2]");
}

TEST(PiecePicker, NoEndgameWhileAPieceIsQueued) {
  auto p = make_picker(2, 1);
  EXPECT_EQ(pick(p, a, bits("10"), 5).size(), 1u);
  EXPECT_FALSE(p.in_endgame());  // piece 1: nobody asked, nobody has it
  EXPECT_TRUE(pick(p, b, bits("10"), 5).empty());
}

// --- receiving and verifying ---

TEST(PiecePicker, IgnoresBlocksNobodyAskedFor) {
  auto p = make_picker(3, 2);
  add_availability(p, "122");
  EXPECT_FALSE(p.on_block_received(a, {0, 0, kib16}).wanted);  // piece still queued
  EXPECT_EQ(describe(p), "...");
  EXPECT_EQ(pick(p, a, bitfield(3, true), 1), (std::vector<block_ref>{{0, 0, kib16}}));
  EXPECT_FALSE(p.on_block_received(a, {0, kib16, kib16}).wanted);  // open piece, not asked
  EXPECT_EQ(describe(p), "[r-]..");
}

TEST(PiecePicker, IgnoresMalformedDuplicateAndFinishedBlocks) {
  auto p = make_picker(2, 2);
  add_availability(p, "12");
  EXPECT_EQ(pick(p, a, bitfield(2, true), 2).size(), 2u);
  EXPECT_FALSE(p.on_block_received(a, {0, 0, 100}).wanted);        // wrong length
  EXPECT_FALSE(p.on_block_received(a, {0, 10, kib16}).wanted);     // unaligned
  EXPECT_FALSE(p.on_block_received(a, {0, 2 * kib16, 1}).wanted);  // past the piece
  EXPECT_FALSE(p.on_block_received(a, {7, 0, kib16}).wanted);      // no such piece
  EXPECT_EQ(describe(p), "[rr].");
  EXPECT_TRUE(p.on_block_received(a, {0, 0, kib16}).wanted);
  EXPECT_FALSE(p.on_block_received(a, {0, 0, kib16}).wanted);  // received already
  EXPECT_TRUE(p.on_block_received(a, {0, kib16, kib16}).piece_complete);
  p.on_piece_verified(0);
  EXPECT_FALSE(p.on_block_received(a, {0, 0, kib16}).wanted);  // a piece we have
  EXPECT_EQ(describe(p), "h.");
}

TEST(PiecePicker, ContributorsAreThePeersWhoseBlocksWereAccepted) {
  auto p = make_picker(2, 3);
  add_availability(p, "12");
  const bitfield all(2, true);
  EXPECT_EQ(pick(p, a, all, 1).size(), 1u);
  EXPECT_EQ(pick(p, b, all, 2).size(), 2u);
  EXPECT_EQ(describe(p), "[rrr].");
  EXPECT_TRUE(p.contributors(0).empty());
  EXPECT_TRUE(p.on_block_received(b, {0, kib16, kib16}).wanted);
  EXPECT_FALSE(p.on_block_received(c, {0, kib16, kib16}).wanted);  // a late copy
  EXPECT_TRUE(p.on_block_received(b, {0, 2 * kib16, kib16}).wanted);
  EXPECT_EQ(p.contributors(0), std::vector<peer_key>{b});
  EXPECT_TRUE(p.on_block_received(a, {0, 0, kib16}).piece_complete);
  EXPECT_EQ(sorted(p.contributors(0)), (std::vector<peer_key>{a, b}));
  EXPECT_TRUE(p.contributors(1).empty());
}

TEST(PiecePicker, FailedPieceIsRequestedAgain) {
  auto p = make_picker(2, 2);
  add_availability(p, "12");
  const bitfield all(2, true);
  EXPECT_EQ(pick(p, a, all, 1).size(), 1u);
  EXPECT_EQ(pick(p, b, all, 1).size(), 1u);
  EXPECT_TRUE(p.on_block_received(a, {0, 0, kib16}).wanted);
  EXPECT_TRUE(p.on_block_received(b, {0, kib16, kib16}).piece_complete);
  EXPECT_EQ(describe(p), "[xx].");
  EXPECT_EQ(sorted(p.contributors(0)), (std::vector<peer_key>{a, b}));
  p.on_piece_failed(0);
  EXPECT_EQ(describe(p), "..");
  EXPECT_FALSE(p.have(0));
  EXPECT_TRUE(p.contributors(0).empty());
  EXPECT_EQ(pick(p, c, all, 2), (std::vector<block_ref>{{0, 0, kib16}, {0, kib16, kib16}}));
  EXPECT_TRUE(p.on_block_received(c, {0, 0, kib16}).wanted);
  EXPECT_EQ(p.contributors(0), std::vector<peer_key>{c});
}

TEST(PiecePicker, BlockSendersNameWhoDeliveredEachBlock) {
  auto p = make_picker(1, 3);
  add_availability(p, "1");
  const bitfield all(1, true);
  EXPECT_EQ(pick(p, a, all, 2).size(), 2u);
  EXPECT_EQ(pick(p, b, all, 1).size(), 1u);
  EXPECT_TRUE(p.on_block_received(b, {0, 2 * kib16, kib16}).wanted);
  EXPECT_TRUE(p.on_block_received(a, {0, 0, kib16}).wanted);
  EXPECT_EQ(p.block_senders(0), (std::vector<peer_key>{a, 0, b}));
  EXPECT_TRUE(p.on_block_received(a, {0, kib16, kib16}).piece_complete);
  EXPECT_EQ(p.block_senders(0), (std::vector<peer_key>{a, a, b}));
}

TEST(PiecePicker, PeerOnParoleDownloadsWholePiecesAlone) {
  auto p = make_picker(3, 4);
  add_availability(p, "222");
  const bitfield all(3, true);
  // b (normal) opens piece 0 and leaves blocks unrequested there.
  EXPECT_EQ(pieces_of(pick(p, b, all, 2)), (std::vector<std::uint32_t>{0, 0}));
  // a on parole does not join piece 0: it starts a piece of its own, one at a time.
  const auto mine = pick_alone(p, a, all, 8);
  ASSERT_EQ(mine.size(), 4u);
  const std::uint32_t own = mine.front().piece;
  EXPECT_NE(own, 0u);
  // b fills piece 0, then starts the remaining piece: never a's.
  const auto theirs = pick(p, b, all, 10);
  for (const auto& blk : theirs) EXPECT_NE(blk.piece, own);
  EXPECT_EQ(theirs.size(), 6u);  // 2 left of piece 0 + all 4 of the third piece
  // Endgame: b is not given duplicates of a's blocks, a none of b's.
  EXPECT_TRUE(p.in_endgame());
  for (const auto& blk : pick(p, b, all, 10)) EXPECT_NE(blk.piece, own);
  EXPECT_TRUE(pick_alone(p, a, all, 10).empty());
  for (const auto& blk : mine) EXPECT_TRUE(p.on_block_received(a, blk).wanted);
  EXPECT_EQ(p.contributors(own), std::vector<peer_key>{a});
}

TEST(PiecePicker, PeerOnParoleFinishesItsPieceAfterItsRequestsRanOut) {
  auto p = make_picker(2, 4);
  add_availability(p, "22");
  p.set_max_open_pieces(1);
  const bitfield all(2, true);
  const auto first = pick_alone(p, a, all, 2);  // a rate limit allowed two blocks
  ASSERT_EQ(first.size(), 2u);
  for (const auto& blk : first) EXPECT_TRUE(p.on_block_received(a, blk).wanted);
  // No request of a's is out now; its piece still needs two blocks, from a alone.
  EXPECT_TRUE(pick(p, b, all, 10).empty());
  const auto rest = pick_alone(p, a, all, 10);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].piece, first[0].piece);
  for (const auto& blk : rest) EXPECT_TRUE(p.on_block_received(a, blk).wanted);
  EXPECT_EQ(p.contributors(first[0].piece), std::vector<peer_key>{a});
}

TEST(PiecePicker, EndOfParoleOpensThePeersPiecesToEveryone) {
  auto p = make_picker(1, 4);
  add_availability(p, "2");
  const bitfield all(1, true);
  EXPECT_EQ(pick_alone(p, a, all, 2).size(), 2u);
  EXPECT_TRUE(pick(p, b, all, 10).empty());
  p.end_exclusive(a);
  EXPECT_EQ(pick(p, b, all, 2),
            (std::vector<block_ref>{{0, 2 * kib16, kib16}, {0, 3 * kib16, kib16}}));
}

TEST(PiecePicker, ParolePieceIsSharedOnceItsOwnerDropsARequest) {
  auto p = make_picker(1, 4);
  add_availability(p, "2");
  const bitfield all(1, true);
  EXPECT_EQ(pick_alone(p, a, all, 2).size(), 2u);
  EXPECT_TRUE(pick(p, b, all, 10).empty());    // piece 0 is a's alone
  p.on_request_dropped(a, {0, kib16, kib16});  // a is snubbed: others may finish it
  // Blocks 1..3, then (endgame) a duplicate of block 0, still asked of a.
  EXPECT_EQ(pick(p, b, all, 10),
            (std::vector<block_ref>{
                {0, kib16, kib16}, {0, 2 * kib16, kib16}, {0, 3 * kib16, kib16}, {0, 0, kib16}}));
}

TEST(PiecePicker, ParolePieceIsSharedOnceItsOwnerIsGone) {
  auto p = make_picker(1, 2);
  add_availability(p, "2");
  const bitfield all(1, true);
  const auto got = pick_alone(p, a, all, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(p.on_block_received(a, got[0]).wanted);
  EXPECT_TRUE(pick(p, b, all, 10).empty());
  p.on_peer_gone(a);
  EXPECT_EQ(pick(p, b, all, 10), (std::vector<block_ref>{{0, kib16, kib16}}));
}

TEST(PiecePicker, MaxOpenPiecesMakesPeersShareOpenPieces) {
  auto p = make_picker(4, 4);
  add_availability(p, "2222");
  p.set_max_open_pieces(2);
  const bitfield all(4, true);
  EXPECT_EQ(pieces_of(pick(p, a, all, 2, 0)).size(), 2u);  // opens one piece
  EXPECT_EQ(pick(p, b, all, 4, 1).size(), 4u);             // its 2 left, then opens a second
  EXPECT_EQ(p.in_progress_count(), 2u);
  // Both open pieces hold unrequested blocks: c takes those, and opens nothing new.
  const auto got = pick(p, c, all, 10, 2);
  EXPECT_EQ(p.in_progress_count(), 2u);
  EXPECT_FALSE(p.in_endgame());
  for (const auto& blk : got)
    EXPECT_TRUE(p.state(blk.piece) == piece_picker::piece_state::in_progress);
  // A peer on parole opens nothing past the cap either (each open piece is a buffer of
  // the session's budget); with room, one piece of its own, not a second.
  EXPECT_TRUE(pick_alone(p, 4, all, 10).empty());
  EXPECT_EQ(p.in_progress_count(), 2u);
  p.set_max_open_pieces(4);
  EXPECT_EQ(pick_alone(p, 4, all, 10).size(), 4u);
  EXPECT_EQ(p.in_progress_count(), 3u);
  EXPECT_TRUE(pick_alone(p, 4, all, 10).empty());
}

TEST(PiecePicker, DownloadFinishedAfterAllVerified) {
  auto p = make_picker(3, 1);
  const bitfield all(3, true);
  p.add_peer(all);
  EXPECT_TRUE(p.is_interesting(all));
  const auto blocks = pick(p, a, all, 10);
  ASSERT_EQ(blocks.size(), 3u);
  for (const auto& blk : blocks) EXPECT_TRUE(p.on_block_received(a, blk).piece_complete);
  EXPECT_FALSE(p.download_finished());
  EXPECT_EQ(describe(p), "[x][x][x]");
  p.on_piece_verified(blocks[0].piece);
  p.on_piece_verified(blocks[1].piece);
  EXPECT_FALSE(p.download_finished());
  EXPECT_EQ(p.have_count(), 2u);
  EXPECT_TRUE(p.in_endgame());  // nothing left to ask for, one hash pending
  p.on_piece_verified(blocks[2].piece);
  EXPECT_TRUE(p.download_finished());
  EXPECT_FALSE(p.in_endgame());
  EXPECT_EQ(p.have_count(), 3u);
  EXPECT_EQ(p.have_bitfield(), all);
  EXPECT_FALSE(p.is_interesting(all));
  EXPECT_EQ(p.in_progress_count(), 0u);
  EXPECT_TRUE(pick(p, a, all, 10).empty());
}

TEST(PiecePicker, PiecesVerifiedAtResumeAreNeverRequested) {
  auto p = make_picker(4, 1);
  p.on_piece_verified(0);
  p.on_piece_verified(2);
  p.on_piece_verified(2);
  EXPECT_EQ(p.have_count(), 2u);
  EXPECT_EQ(describe(p), "h.h.");
  auto got = pieces_of(pick(p, a, bitfield(4, true), 10));
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<std::uint32_t>{1, 3}));
  EXPECT_TRUE(p.is_interesting(bits("0100")));
  EXPECT_FALSE(p.is_interesting(bits("1010")));
  EXPECT_FALSE(p.is_interesting(bits("111")));  // wrong size
}

TEST(PiecePicker, AvailabilityCountsPeersSeedsAndHaves) {
  auto p = make_picker(3, 1);
  const bitfield partial = bits("110");
  p.add_peer(partial);
  p.add_peer(bitfield(3, true));
  p.add_have(2);
  EXPECT_EQ(p.availability(0), 2u);
  EXPECT_EQ(p.availability(1), 2u);
  EXPECT_EQ(p.availability(2), 2u);
  p.remove_peer(bitfield(3, true));
  EXPECT_EQ(p.availability(0), 1u);
  EXPECT_EQ(p.availability(2), 1u);
  // A peer that completed through haves leaves with a full bitfield.
  p.add_have(2);  // partial's owner now has everything too
  p.remove_peer(bitfield(3, true));
  EXPECT_EQ(p.availability(0), 0u);
  EXPECT_EQ(p.availability(1), 0u);
  EXPECT_EQ(p.availability(2), 1u);
  EXPECT_EQ(p.availability(9), 0u);
}

TEST(PiecePicker, MovedPickerKeepsItsState) {
  auto p = make_picker(2, 2);
  EXPECT_EQ(pick(p, a, bits("10"), 1).size(), 1u);
  piece_picker q = std::move(p);
  EXPECT_EQ(describe(q), "[r-].");
  p = std::move(q);
  EXPECT_EQ(describe(p), "[r-].");
}

// --- a randomized swarm ---

// Peers with random bitfields come and go, choke, reject requests, learn pieces and
// deliver blocks in random order; one of them sometimes sends corrupt data. A model kept
// beside the picker predicts every answer it gives.
struct simulation_stats {
  std::size_t steps = 0;
  std::size_t verified = 0;
  std::size_t failed = 0;
  std::size_t endgame_requests = 0;
  std::size_t cancels = 0;
  std::size_t unwanted = 0;
};

class swarm_simulation {
 public:
  const simulation_stats& stats() const { return stats_; }

  // Up to `max_pieces` pieces; the full model check runs every `check_every` steps.
  swarm_simulation(std::uint64_t seed, std::uint32_t max_pieces, std::size_t check_every)
      : rng_(seed), check_every_(check_every) {
    const std::uint32_t blocks = uniform(1, 4);
    const std::uint32_t n = uniform(1, max_pieces);
    const std::int64_t length = std::int64_t{blocks} * kib16 - uniform(0, 3) * 1000;
    const std::int64_t total = std::int64_t{n - 1} * length + uniform(1, std::uint32_t(length));
    picker_ = piece_picker(n, length, total);
    received_.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) received_[i].assign(picker_.blocks_in_piece(i), false);
    contributors_.resize(n);
    corrupt_.assign(n, false);
    peers_.resize(6);
    for (std::size_t k = 0; k < peers_.size(); ++k) {
      peers_[k].has = bitfield(n, k == 0);  // peer 0 is a seed
      const std::uint32_t density = uniform(10, 90);
      for (std::uint32_t i = 0; k != 0 && i < n; ++i) {
        if (uniform(0, 99) < density) peers_[k].has.set(i);
      }
    }
    peers_.back().sends_corrupt_data = true;
  }

  void run() {
    while (!picker_.download_finished()) {
      ASSERT_LT(++stats_.steps, 200000u) << "the download stalled: " << describe(picker_);
      step();
      if (::testing::Test::HasFatalFailure()) return;
      if (stats_.steps % check_every_ == 0) check_invariants();
      if (::testing::Test::HasFailure()) return;
    }
    for (std::uint32_t i = 0; i < picker_.num_pieces(); ++i) EXPECT_TRUE(picker_.have(i));
    EXPECT_GT(stats_.verified, 0u);
  }

 private:
  struct peer {
    bitfield has;
    bool connected = false;
    bool choked = true;
    bool sends_corrupt_data = false;
    std::set<std::pair<std::uint32_t, std::uint32_t>> asked;  // (piece, block index)
  };

  std::uint32_t uniform(std::uint32_t lo, std::uint32_t hi) {
    return std::uniform_int_distribution<std::uint32_t>(lo, hi)(rng_);
  }
  peer_key key(std::size_t k) const { return static_cast<peer_key>(k + 10); }

  void step() {
    if (!pending_.empty() && uniform(0, 3) == 0) return verify_one();
    const std::size_t k = uniform(0, static_cast<std::uint32_t>(peers_.size() - 1));
    peer& pr = peers_[k];
    if (!pr.connected) {
      if (uniform(0, 2) == 0) {
        pr.connected = true;
        pr.choked = true;
        picker_.add_peer(pr.has);
      }
      return;
    }
    const std::uint32_t r = uniform(0, 99);
    if (r < 3) {
      picker_.on_peer_gone(key(k));
      picker_.remove_peer(pr.has);
      pr.connected = false;
      pr.asked.clear();
    } else if (r < 8) {
      picker_.on_peer_gone(key(k));
      pr.choked = true;
      pr.asked.clear();
    } else if (r < 20) {
      pr.choked = false;
    } else if (r < 24) {
      const std::uint32_t i = uniform(0, picker_.num_pieces() - 1);
      if (!pr.has.test(i)) {
        pr.has.set(i);
        picker_.add_have(i);
      }
    } else if (r < 30) {
      if (pr.asked.empty()) return;
      const auto it = std::next(pr.asked.begin(), uniform(0, std::uint32_t(pr.asked.size() - 1)));
      picker_.on_request_dropped(key(k), picker_.block(it->first, it->second));
      pr.asked.erase(it);
    } else if (r < 60) {
      request(k);
    } else if (r < 66) {
      // A block nobody may have asked this peer for.
      const std::uint32_t i = uniform(0, picker_.num_pieces() - 1);
      deliver(k, i, uniform(0, picker_.blocks_in_piece(i) - 1));
    } else if (!pr.asked.empty()) {
      const auto it = std::next(pr.asked.begin(), uniform(0, std::uint32_t(pr.asked.size() - 1)));
      deliver(k, it->first, it->second);
    }
  }

  void request(std::size_t k) {
    peer& pr = peers_[k];
    if (pr.choked || pr.asked.size() >= 6) return;
    const std::size_t max = 6 - pr.asked.size();
    std::vector<block_ref> out;
    picker_.pick_blocks(key(k), pr.has, max, rng_(), out);
    ASSERT_LE(out.size(), max);
    for (const auto& blk : out) {
      ASSERT_FALSE(picker_.check_block(blk)) << blk.piece << " " << blk.begin;
      ASSERT_EQ(blk.begin % kib16, 0u);
      const std::uint32_t index = blk.begin / kib16;
      ASSERT_EQ(blk, picker_.block(blk.piece, index));
      EXPECT_TRUE(pr.has.test(blk.piece));
      EXPECT_FALSE(picker_.have(blk.piece));
      EXPECT_FALSE(received_[blk.piece][index]);
      EXPECT_TRUE(pr.asked.emplace(blk.piece, index).second) << "asked the same peer twice";
      if (asked_of_others(k, blk.piece, index) > 0) {
        EXPECT_TRUE(picker_.in_endgame()) << "duplicate request outside endgame";
        ++stats_.endgame_requests;
      }
    }
  }

  std::size_t asked_of_others(std::size_t k, std::uint32_t piece, std::uint32_t index) const {
    std::size_t n = 0;
    for (std::size_t j = 0; j < peers_.size(); ++j)
      n += j != k && peers_[j].asked.count({piece, index});
    return n;
  }

  void deliver(std::size_t k, std::uint32_t piece, std::uint32_t index) {
    const bool asked_by_anyone =
        asked_of_others(k, piece, index) + peers_[k].asked.count({piece, index}) > 0;
    const bool expect_wanted = !picker_.have(piece) && !received_[piece][index] && asked_by_anyone;
    std::vector<peer_key> expect_cancel;
    for (std::size_t j = 0; j < peers_.size(); ++j) {
      if (j != k && peers_[j].asked.count({piece, index})) expect_cancel.push_back(key(j));
    }
    const auto got = picker_.on_block_received(key(k), picker_.block(piece, index));
    ASSERT_EQ(got.wanted, expect_wanted) << "piece " << piece << " block " << index;
    peers_[k].asked.erase({piece, index});
    if (!got.wanted) {
      ++stats_.unwanted;
      EXPECT_TRUE(got.cancel.empty());
      EXPECT_FALSE(got.piece_complete);
      return;
    }
    EXPECT_EQ(sorted(got.cancel), expect_cancel);
    stats_.cancels += got.cancel.size();
    for (std::size_t j = 0; j < peers_.size(); ++j) peers_[j].asked.erase({piece, index});
    received_[piece][index] = true;
    contributors_[piece].insert(key(k));
    if (peers_[k].sends_corrupt_data && uniform(0, 4) == 0) corrupt_[piece] = true;
    const bool complete =
        std::all_of(received_[piece].begin(), received_[piece].end(), [](bool x) { return x; });
    EXPECT_EQ(got.piece_complete, complete);
    if (complete) pending_.push_back(piece);
  }

  void verify_one() {
    const std::size_t at = uniform(0, std::uint32_t(pending_.size() - 1));
    const std::uint32_t piece = pending_[at];
    pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(at));
    const std::vector<peer_key> expected(contributors_[piece].begin(), contributors_[piece].end());
    EXPECT_EQ(sorted(picker_.contributors(piece)), expected);
    if (corrupt_[piece]) {
      picker_.on_piece_failed(piece);
      received_[piece].assign(received_[piece].size(), false);
      contributors_[piece].clear();
      corrupt_[piece] = false;
      ++stats_.failed;
    } else {
      picker_.on_piece_verified(piece);
      ++stats_.verified;
    }
  }

  // The picker's view agrees with the model, piece by piece and block by block.
  void check_invariants() {
    bool every_block_asked_or_in = !picker_.download_finished();
    for (std::uint32_t i = 0; i < picker_.num_pieces(); ++i) {
      std::uint32_t holders = 0;
      for (const auto& pr : peers_) holders += pr.connected && pr.has.test(i);
      ASSERT_EQ(picker_.availability(i), holders) << "piece " << i;
      const auto state = picker_.state(i);
      if (state == piece_picker::piece_state::have) continue;
      bool touched = false;  // an open piece has a block asked for or in
      for (std::uint32_t blk = 0; blk < picker_.blocks_in_piece(i); ++blk) {
        std::uint32_t asked = 0;
        for (const auto& pr : peers_) asked += pr.asked.count({i, blk}) ? 1 : 0;
        ASSERT_EQ(picker_.requesters(i, blk), asked) << "piece " << i << " block " << blk;
        ASSERT_EQ(picker_.is_block_received(i, blk), received_[i][blk]) << describe(picker_);
        if (state == piece_picker::piece_state::queued) {
          ASSERT_EQ(asked, 0u);
          ASSERT_FALSE(received_[i][blk]);
        }
        if (asked == 0 && !received_[i][blk]) every_block_asked_or_in = false;
        touched = touched || asked > 0 || received_[i][blk];
      }
      ASSERT_EQ(state == piece_picker::piece_state::in_progress, touched) << describe(picker_);
    }
    ASSERT_EQ(picker_.in_endgame(), every_block_asked_or_in) << describe(picker_);
  }

  std::mt19937_64 rng_;
  std::size_t check_every_ = 1;
  piece_picker picker_{0, 1, 0};
  std::vector<peer> peers_;
  std::vector<std::vector<bool>> received_;
  std::vector<std::set<peer_key>> contributors_;
  std::vector<bool> corrupt_;
  std::vector<std::uint32_t> pending_;  // complete, waiting for their hash check
  simulation_stats stats_;
};

TEST(PiecePicker, RandomizedSwarmDownloadsEverything) {
  simulation_stats total;
  for (std::uint64_t seed = 1; seed <= 66; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    // Mostly small torrents checked at every step; a few of up to 1500 pieces, where the
    // work queue's buckets outgrow its walk and the word-parallel pass runs too.
    const bool large = seed > 60;
    swarm_simulation sim(seed, large ? 1500 : 40, large ? 97 : 1);
    sim.run();
    if (HasFailure()) return;
    total.steps += sim.stats().steps;
    total.verified += sim.stats().verified;
    total.failed += sim.stats().failed;
    total.endgame_requests += sim.stats().endgame_requests;
    total.cancels += sim.stats().cancels;
    total.unwanted += sim.stats().unwanted;
  }
  // The runs went through every path the invariants are about.
  EXPECT_GT(total.failed, 0u);
  EXPECT_GT(total.endgame_requests, 0u);
  EXPECT_GT(total.cancels, 0u);
  EXPECT_GT(total.unwanted, 0u);
  std::printf(
      "simulated %zu steps: %zu pieces verified, %zu failed, %zu endgame requests, "
      "%zu cancels, %zu unwanted blocks\n",
      total.steps, total.verified, total.failed, total.endgame_requests, total.cancels,
      total.unwanted);
}

}  // namespace
}  // namespace corrent::swarm
