#include "core/swarm/download_slots.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace corrent::swarm {
namespace {

// A swarm where every peer gives `per_peer` bytes/s up to `ceiling` in all (what this
// machine or link can take); the session's smoothed rate as rate_meter computes it.
struct model {
  double per_peer;
  double ceiling;
  std::size_t peers;
  double smoothed = 0;
  double rate(std::size_t cap) {
    const double inst = std::min(per_peer * static_cast<double>(std::min(cap, peers)), ceiling);
    smoothed = smoothed == 0 ? inst : 0.6 * inst + 0.4 * smoothed;
    return smoothed;
  }
};

TEST(DownloadSlots, StartsAtTheInitialCap) {
  download_slots s;
  EXPECT_EQ(s.cap(), 4u);
  EXPECT_EQ(download_slots({.initial = 2}).cap(), 2u);
}

TEST(DownloadSlots, NoGrowthWhileSlotsAreFreeOrNobodyWaits) {
  download_slots s;
  for (int t = 0; t < 30; ++t) s.tick(1e6 * t, 3, true);  // a free slot
  EXPECT_EQ(s.cap(), 4u);
  for (int t = 0; t < 30; ++t) s.tick(1e6 * t, 4, false);  // nobody waits
  EXPECT_EQ(s.cap(), 4u);
}

// Many slow peers (50 KB/s each): every growth pays, so all 100 are in use within ~10 s.
TEST(DownloadSlots, SlowSwarmReachesEveryPeerInSeconds) {
  download_slots s;
  model m{50e3, 1e12, 100};
  int t = 0;
  for (; t < 60 && s.cap() < 100; ++t)
    s.tick(m.rate(s.cap()), std::min<std::size_t>(s.cap(), 100), true);
  EXPECT_GE(s.cap(), 100u);
  EXPECT_LE(t, 10) << "seconds to reach 100 peers";
}

// Fast peers that fill the machine with 4: growth never pays, the cap stays near 4 and
// is only probed (grown, then undone) every probe_ticks.
TEST(DownloadSlots, SaturatedSwarmStaysSmall) {
  download_slots s;
  model m{300e6, 900e6, 20};
  std::size_t max_cap = 0, sum = 0;
  const int ticks = 120;
  for (int t = 0; t < ticks; ++t) {
    s.tick(m.rate(s.cap()), s.cap(), true);
    max_cap = std::max(max_cap, s.cap());
    sum += s.cap();
  }
  EXPECT_LE(max_cap, 6u);
  EXPECT_LT(static_cast<double>(sum) / ticks, 4.5);
}

TEST(DownloadSlots, AGrowthThatDoesNotPayIsUndoneAndProbedLater) {
  download_slots s({.initial = 4, .gain = 1.1, .settle_ticks = 2, .probe_ticks = 10});
  s.tick(100, 4, true);
  EXPECT_EQ(s.cap(), 6u);
  s.tick(100, 6, true);  // not yet
  EXPECT_EQ(s.cap(), 6u);
  s.tick(105, 6, true);  // 5 %: does not pay
  EXPECT_EQ(s.cap(), 4u);
  for (int t = 0; t < 9; ++t) {
    s.tick(100, 4, true);
    EXPECT_EQ(s.cap(), 4u) << t;
  }
  s.tick(100, 4, true);  // the cool-down is over: probe again
  EXPECT_EQ(s.cap(), 6u);
  s.tick(200, 6, true);  // doubled: it paid, and the next growth follows at once
  EXPECT_EQ(s.cap(), 9u);
}

}  // namespace
}  // namespace corrent::swarm
