#include "core/daemon/event_log.hpp"

#include <gtest/gtest.h>

namespace corrent::daemon {
namespace {

TEST(EventLog, NumbersEventsFromOneAndReplaysWhatWasMissed) {
  event_log log(8);
  EXPECT_EQ(log.last_id(), 0u);
  ASSERT_TRUE(log.since(0).has_value());
  EXPECT_TRUE(log.since(0)->empty());
  EXPECT_EQ(log.push("added", "{\"id\":\"a\"}"), 1u);
  EXPECT_EQ(log.push("state", "{}"), 2u);
  EXPECT_EQ(log.push("removed", "{}"), 3u);
  auto all = log.since(0);
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].type, "added");
  EXPECT_EQ((*all)[0].data, "{\"id\":\"a\"}");
  auto after2 = log.since(2);
  ASSERT_TRUE(after2.has_value());
  ASSERT_EQ(after2->size(), 1u);
  EXPECT_EQ((*after2)[0].id, 3u);
  EXPECT_TRUE(log.since(3)->empty());
}

TEST(EventLog, AskingForEventsThatFellOutMeansResync) {
  event_log log(4);
  for (int i = 0; i < 10; ++i) log.push("stats", std::to_string(i));
  EXPECT_EQ(log.size(), 4u);
  EXPECT_FALSE(log.since(0).has_value()) << "events 1..6 are gone";
  EXPECT_FALSE(log.since(5).has_value()) << "event 6 is gone";
  auto ok = log.since(6);
  ASSERT_TRUE(ok.has_value());
  ASSERT_EQ(ok->size(), 4u);
  EXPECT_EQ(ok->front().id, 7u);
  EXPECT_EQ(ok->back().data, "9");
}

TEST(EventLog, AnIdFromTheFutureIsAnotherRunsAndMeansResync) {
  event_log log;
  log.push("added", "{}");
  EXPECT_FALSE(log.since(2).has_value());
  EXPECT_FALSE(log.since(~0ull).has_value());
}

}  // namespace
}  // namespace corrent::daemon
