#include "core/swarm/peer_book.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace corrent::swarm {
namespace {

net::peer_address addr(std::uint32_t ip, std::uint16_t port) {
  return net::peer_address::v4(ip, port);
}
constexpr std::uint32_t lo = 0x7f000001;  // 127.0.0.1

std::vector<net::peer_address> pick(peer_book& b, double now, std::size_t max = 100) {
  std::vector<net::peer_address> out;
  b.pick(now, max, out);
  return out;
}

TEST(PeerBook, OffersEachDuePeerOnceUntilItsConnectionEnds) {
  peer_book b;
  EXPECT_TRUE(b.add(addr(lo, 1000), peer_source::tracker));
  EXPECT_TRUE(b.add(addr(lo, 1001), peer_source::tracker));
  EXPECT_EQ(pick(b, 0).size(), 2u);
  EXPECT_TRUE(pick(b, 100).empty());  // both in use
  EXPECT_TRUE(b.in_use(addr(lo, 1000)));
}

TEST(PeerBook, TakesNoMoreThanAsked) {
  peer_book b;
  for (std::uint16_t p = 1; p <= 10; ++p) b.add(addr(lo, p), peer_source::tracker);
  EXPECT_EQ(pick(b, 0, 3).size(), 3u);
  EXPECT_EQ(pick(b, 0, 100).size(), 7u);
}

TEST(PeerBook, FailedAttemptsBackOffExponentially) {
  peer_book_config c;
  c.backoff_base_s = 5;
  peer_book b(c);
  const auto a = addr(lo, 2000);
  b.add(a, peer_source::tracker);
  double now = 0;
  double expected = 10;  // 5 * 2^1 after the first failure
  for (int i = 0; i < 4; ++i) {
    ASSERT_EQ(pick(b, now).size(), 1u) << "attempt " << i;
    b.on_closed(a, false, now);
    EXPECT_TRUE(pick(b, now + expected - 0.5).empty()) << "too early after failure " << i + 1;
    now += expected;
    expected *= 2;
  }
  EXPECT_EQ(b.next_due(), now);
}

TEST(PeerBook, AWorkingConnectionIsRedialledAfterTheReconnectDelay) {
  peer_book b;
  const auto a = addr(lo, 2000);
  b.add(a, peer_source::tracker);
  pick(b, 0);
  b.on_closed(a, false, 0);  // one failure
  pick(b, 10);
  b.on_closed(a, true, 20);  // then a connection that worked: failures forgotten
  EXPECT_TRUE(pick(b, 24.9).empty());
  EXPECT_EQ(pick(b, 25).size(), 1u);
}

TEST(PeerBook, ForgetsAPeerThatKeepsFailingUnlessGivenByHand) {
  peer_book_config c;
  c.max_failures = 3;
  peer_book b(c);
  const auto tracker_peer = addr(lo, 1), manual_peer = addr(lo, 2);
  b.add(tracker_peer, peer_source::tracker);
  b.add(manual_peer, peer_source::manual);
  for (int i = 0; i < 3; ++i) {
    pick(b, 1e9 * i);
    b.on_closed(tracker_peer, false, 1e9 * i);
    b.on_closed(manual_peer, false, 1e9 * i);
  }
  EXPECT_FALSE(b.contains(tracker_peer));
  EXPECT_TRUE(b.contains(manual_peer));
}

TEST(PeerBook, BansAnIpOnEveryPort) {
  peer_book b;
  b.add(addr(lo, 1000), peer_source::tracker);
  b.add(addr(lo, 1001), peer_source::tracker);
  b.add(addr(lo + 1, 1000), peer_source::tracker);  // 127.0.0.2: another host
  b.ban(addr(lo, 5555));
  EXPECT_TRUE(b.is_banned(addr(lo, 1000)));
  EXPECT_TRUE(b.is_banned(addr(lo, 40000)));
  EXPECT_FALSE(b.is_banned(addr(lo + 1, 1000)));
  EXPECT_FALSE(b.add(addr(lo, 1002), peer_source::tracker));
  const auto left = pick(b, 0);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0], addr(lo + 1, 1000));
  EXPECT_EQ(b.banned_count(), 1u);
}

TEST(PeerBook, OurOwnAddressIsNeverDialledAgain) {
  peer_book b;
  const auto self = addr(lo, 6881);
  b.add(self, peer_source::tracker);
  ASSERT_EQ(pick(b, 0).size(), 1u);
  b.mark_self(self);
  EXPECT_FALSE(b.contains(self));
  EXPECT_FALSE(b.add(self, peer_source::tracker));  // the next announce names it again
  EXPECT_TRUE(pick(b, 1e9).empty());
  EXPECT_TRUE(b.add(addr(lo, 6882), peer_source::tracker));  // same IP, other port: fine
}

TEST(PeerBook, RefusesUnusableAddressesAndStaysBounded) {
  peer_book_config c;
  c.max_known = 3;
  peer_book b(c);
  EXPECT_FALSE(b.add(addr(lo, 0), peer_source::tracker));
  EXPECT_FALSE(b.add(addr(0, 6881), peer_source::tracker));
  for (std::uint16_t p = 1; p <= 5; ++p) b.add(addr(lo, p), peer_source::tracker);
  EXPECT_EQ(b.size(), 3u);
  EXPECT_TRUE(b.add(addr(lo, 1), peer_source::pex));  // known already: fine
}

TEST(PeerBook, StandingIsKeptByIp) {
  peer_book b;
  b.standing_of(addr(lo, 1000)).trust = -4;
  b.standing_of(addr(lo, 1000)).parole = true;
  ASSERT_NE(b.find_standing(addr(lo, 2222)), nullptr);
  EXPECT_EQ(b.find_standing(addr(lo, 2222))->trust, -4);
  EXPECT_TRUE(b.find_standing(addr(lo, 2222))->parole);
  EXPECT_EQ(b.find_standing(addr(lo + 1, 1000)), nullptr);
}

TEST(PeerBook, OneOriginHoldsABoundedShareAndRecyclesItsFailures) {
  peer_book_config c;
  c.max_known = 10;
  c.max_per_origin = 5;
  peer_book b(c);
  // Tier 0 floods: only its share gets in.
  for (std::uint16_t p = 1; p <= 20; ++p) b.add(addr(lo, p), peer_source::tracker, 0);
  EXPECT_EQ(b.size(), 5u);
  // Tier 1 still has room.
  EXPECT_TRUE(b.add(addr(lo + 1, 6881), peer_source::tracker, 1));
  // Tier 0's entries fail: a fresh batch from it replaces them, not tier 1's.
  for (const auto& a : pick(b, 0)) {
    if (a != addr(lo + 1, 6881)) b.on_closed(a, false, 0);
  }
  for (std::uint16_t p = 100; p < 110; ++p) b.add(addr(lo, p), peer_source::tracker, 0);
  EXPECT_EQ(b.size(), 6u);
  EXPECT_TRUE(b.contains(addr(lo + 1, 6881)));
  EXPECT_TRUE(b.contains(addr(lo, 100)));
  EXPECT_FALSE(b.contains(addr(lo, 1)));
}

TEST(PeerBook, AFullBookMakesRoomByDroppingFailingEntries) {
  peer_book_config c;
  c.max_known = 4;
  c.max_per_origin = 4;
  peer_book b(c);
  for (std::uint16_t p = 1; p <= 4; ++p) b.add(addr(lo, p), peer_source::tracker, 0);
  EXPECT_FALSE(b.add(addr(lo + 1, 1), peer_source::tracker, 1)) << "nothing failing to drop yet";
  auto got = pick(b, 0, 1);
  ASSERT_EQ(got.size(), 1u);
  b.on_closed(got[0], false, 0);
  EXPECT_TRUE(b.add(addr(lo + 1, 1), peer_source::tracker, 1));
  EXPECT_FALSE(b.contains(got[0]));
  EXPECT_EQ(b.size(), 4u);
}

TEST(PeerBook, BansAndStandingAreBounded) {
  peer_book_config c;
  c.max_ips = 3;
  peer_book b(c);
  for (std::uint32_t i = 0; i < 5; ++i) b.ban(addr(lo + i, 1));
  EXPECT_EQ(b.banned_count(), 3u);
  EXPECT_FALSE(b.is_banned(addr(lo, 1))) << "the oldest ban lapses first";
  EXPECT_TRUE(b.is_banned(addr(lo + 4, 1)));
  b.standing_of(addr(lo, 1)).trust = -6;
  b.standing_of(addr(lo + 1, 1));  // says nothing
  b.standing_of(addr(lo + 2, 1)).parole = true;
  b.standing_of(addr(lo + 3, 1)).trust = 2;
  EXPECT_EQ(b.find_standing(addr(lo + 1, 1)), nullptr) << "the empty record went first";
  ASSERT_NE(b.find_standing(addr(lo, 1)), nullptr);
  EXPECT_EQ(b.find_standing(addr(lo, 1))->trust, -6);
  EXPECT_NE(b.find_standing(addr(lo + 2, 1)), nullptr);
}

}  // namespace
}  // namespace corrent::swarm
