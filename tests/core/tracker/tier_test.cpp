#include "core/tracker/tier.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace corrent::tracker {
namespace {

const std::vector<std::string> urls = {"udp://a:1", "http://b/announce", "http://c/announce",
                                       "udp://d:2"};

TEST(Tier, ShufflesOnceKeepingEveryUrl) {
  tier t(urls, 42);
  auto got = t.urls();
  std::sort(got.begin(), got.end());
  auto want = urls;
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
}

TEST(Tier, ShuffleFollowsTheRandomValue) {
  std::set<std::vector<std::string>> orders;
  for (std::uint64_t r = 0; r < 50; ++r) orders.insert(tier(urls, r).urls());
  EXPECT_GT(orders.size(), 5u);
  EXPECT_EQ(tier(urls, 7).urls(), tier(urls, 7).urls());
}

TEST(Tier, TrackerThatAnsweredMovesToTheFront) {
  tier t(urls, 1);
  const auto before = t.urls();
  const std::string third = before[2];
  t.on_success(third);
  EXPECT_EQ(t.urls()[0], third);
  EXPECT_EQ(t.urls()[1], before[0]);
  EXPECT_EQ(t.urls()[2], before[1]);
  EXPECT_EQ(t.urls()[3], before[3]);
  t.on_success("http://unknown/");
  EXPECT_EQ(t.urls()[0], third);
}

TEST(AnnounceSchedule, WaitsForTheIntervalWhenPeersAreEnough) {
  announce_schedule s;
  s.interval_s = 1800;
  s.min_interval_s = 900;
  s.on_round(true);
  EXPECT_FALSE(s.due(1000, 10, false));
  EXPECT_TRUE(s.due(1800, 10, false));
}

TEST(AnnounceSchedule, ReannouncesEarlyWhenLowOnPeersButRespectsMinInterval) {
  announce_schedule s;
  s.interval_s = 1800;
  s.min_interval_s = 900;
  s.on_round(true);
  EXPECT_FALSE(s.due(899, 0, false));
  EXPECT_TRUE(s.due(900, 0, false));
  EXPECT_FALSE(s.due(900, 5, false));  // enough peers
  EXPECT_FALSE(s.due(900, 0, true));   // a seed does not hunt for peers
}

TEST(AnnounceSchedule, FailuresBackOffExponentiallyUpToFiveMinutes) {
  announce_schedule s;
  std::vector<double> waits;
  for (int i = 0; i < 8; ++i) {
    s.on_round(false);
    waits.push_back(s.backoff_s());
  }
  EXPECT_EQ(waits, (std::vector<double>{15, 30, 60, 120, 240, 300, 300, 300}));
  EXPECT_FALSE(s.due(299, 0, false));  // no early re-announce after a failure
  EXPECT_TRUE(s.due(300, 0, false));
  s.on_round(true);
  s.on_round(false);
  EXPECT_EQ(s.backoff_s(), 15);  // a success resets the backoff
}

}  // namespace
}  // namespace corrent::tracker
