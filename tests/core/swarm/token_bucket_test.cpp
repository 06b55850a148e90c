#include "core/swarm/token_bucket.hpp"

#include <gtest/gtest.h>

namespace corrent::swarm {
namespace {

TEST(TokenBucket, UnlimitedWhenRateIsZero) {
  token_bucket b;
  EXPECT_FALSE(b.limited());
  b.consume(1e9, 0);
  EXPECT_GT(b.available(0), 1e12);
}

TEST(TokenBucket, StartsWithOneBurstAndRefillsAtTheRate) {
  token_bucket b(1000, 500);
  EXPECT_DOUBLE_EQ(b.available(0), 500);
  b.consume(500, 0);
  EXPECT_DOUBLE_EQ(b.available(0), 0);
  EXPECT_DOUBLE_EQ(b.available(0.2), 200);
  EXPECT_DOUBLE_EQ(b.available(10), 500);  // capped at the burst
}

TEST(TokenBucket, DebtIsPaidBackBeforeMoreIsAvailable) {
  token_bucket b(1000, 100);
  b.consume(300, 0);  // a whole block in flight
  EXPECT_DOUBLE_EQ(b.available(0), -200);
  EXPECT_DOUBLE_EQ(b.available(0.25), 50);
}

TEST(TokenBucket, LongRunAverageMatchesTheRate) {
  token_bucket b(16384 * 10, 16384 * 2);  // 10 blocks per second
  double sent = 0;
  for (int ms = 0; ms <= 10000; ++ms) {
    const double now = ms / 1000.0;
    while (b.available(now) >= 16384) {
      b.consume(16384, now);
      sent += 16384;
    }
  }
  const double rate = sent / 10.0;
  EXPECT_NEAR(rate, 16384 * 10, 16384 * 10 * 0.05);
}

}  // namespace
}  // namespace corrent::swarm
