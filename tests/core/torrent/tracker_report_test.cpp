// torrent_logic's report of its tracker tiers (the daemon's torrent details).
#include <gtest/gtest.h>

#include "core/torrent/logic_harness.hpp"

namespace corrent::torrent::testing {
namespace {

TEST(TrackerReport, SaysPerTierWhetherItWorksAndWhenItAnnouncesNext) {
  harness h(4, 2, {}, {{"http://t1/announce"}, {"http://t2/announce", "udp://t3:80"}});
  h.set_info();
  auto before = h.logic.tier_reports();
  ASSERT_EQ(before.size(), 2u);
  EXPECT_FALSE(before[0].announced);
  EXPECT_EQ(before[1].urls.size(), 2u);
  h.logic.on_tick(h.now);
  h.take_actions();
  EXPECT_TRUE(h.logic.tier_reports()[0].in_flight);
  tracker::announce_response r;
  r.interval = 1800;
  const std::string url = "http://t1/announce";
  h.logic.on_announced(0, &url, &r, h.now);
  const auto after = h.logic.tier_reports();
  EXPECT_TRUE(after[0].announced);
  EXPECT_TRUE(after[0].ok);
  EXPECT_FALSE(after[0].in_flight);
  EXPECT_DOUBLE_EQ(after[0].next_round_at, h.now + 1800);
  // A tier whose every URL failed backs off.
  if (after[1].in_flight) {
    h.logic.on_announced(1, nullptr, nullptr, h.now);
    const auto failed = h.logic.tier_reports()[1];
    EXPECT_TRUE(failed.announced);
    EXPECT_FALSE(failed.ok);
    EXPECT_GT(failed.next_round_at, h.now);
    EXPECT_LT(failed.next_round_at, h.now + 1800);
  }
}

TEST(TrackerReport, KeepsTheLastAnswersPeerCountAndSwarmCounts) {
  harness h(4, 2, {}, {{"http://t1/announce"}});
  h.set_info();
  h.logic.on_tick(h.now);
  h.take_actions();
  EXPECT_EQ(h.logic.tier_reports()[0].seeders, -1) << "nothing known yet";
  tracker::announce_response r;
  r.complete = 7;
  r.incomplete = 3;
  r.peers = {net::peer_address::v4(0x7f000002, 1), net::peer_address::v4(0x7f000003, 1)};
  const std::string url = "http://t1/announce";
  h.logic.on_announced(0, &url, &r, h.now);
  const auto rep = h.logic.tier_reports()[0];
  EXPECT_EQ(rep.last_peers, 2);
  EXPECT_EQ(rep.seeders, 7);
  EXPECT_EQ(rep.leechers, 3);
  EXPECT_DOUBLE_EQ(rep.counts_at, h.now);
}

}  // namespace
}  // namespace corrent::torrent::testing
