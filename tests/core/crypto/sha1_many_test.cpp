#include "core/crypto/sha1_many.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace corrent::crypto {
namespace {

std::vector<std::string> random_messages(std::size_t count, std::size_t size, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::string> m(count, std::string(size, '\0'));
  for (auto& s : m) {
    for (auto& c : s) c = static_cast<char>(rng());
  }
  return m;
}

std::vector<sha1_digest> many(const std::vector<std::string>& m) {
  std::vector<std::string_view> views(m.begin(), m.end());
  std::vector<sha1_digest> out(m.size());
  sha1_many(views, out);
  return out;
}

// Every length where the padding changes shape (tail of 0..55 bytes: one block; 56..63:
// two), block multiples, a piece-sized message; every lane count 1..16.
TEST(Sha1X16, MatchesOpenSslForEveryLaneCountAndTailShape) {
  if (!sha1_many_vectorized()) GTEST_SKIP() << "no AVX-512 on this CPU: OpenSSL path only";
  for (const std::size_t size :
       {0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 16384, 16384 + 61, 262144}) {
    for (std::size_t n = 1; n <= 16; n += (size > 20000 ? 5 : 1)) {
      const auto m = random_messages(n, size, static_cast<unsigned>(size * 31 + n));
      std::vector<std::string_view> views(m.begin(), m.end());
      std::vector<sha1_digest> out(n);
      ASSERT_TRUE(detail::sha1_x16(views, out));
      for (std::size_t i = 0; i < n; ++i) {
        EXPECT_EQ(out[i], sha1(m[i])) << "size " << size << " lanes " << n << " lane " << i;
      }
    }
  }
}

TEST(Sha1X16, KnownVectorInEveryLane) {
  if (!sha1_many_vectorized()) GTEST_SKIP() << "no AVX-512 on this CPU: OpenSSL path only";
  const std::vector<std::string_view> abc(16, "abc");
  std::vector<sha1_digest> out(16);
  ASSERT_TRUE(detail::sha1_x16(abc, out));
  for (const auto& d : out) EXPECT_EQ(to_hex(d), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(Sha1X16, OneBitChangesOnlyItsLane) {
  if (!sha1_many_vectorized()) GTEST_SKIP() << "no AVX-512 on this CPU: OpenSSL path only";
  auto m = random_messages(16, 4096, 7);
  const auto before = many(m);
  m[9][4000] ^= 1;
  const auto after = many(m);
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 9) {
      EXPECT_NE(after[i], before[i]);
      EXPECT_EQ(after[i], sha1(m[i]));
    } else {
      EXPECT_EQ(after[i], before[i]) << "lane " << i;
    }
  }
}

// Mixed lengths and counts: groups of one length go 16 at a time, odd ones one by one;
// every digest lands at its own message's index.
TEST(Sha1Many, MixedLengthsLandAtTheirIndex) {
  std::vector<std::string> m;
  for (const auto& s : random_messages(23, 1 << 14, 1)) m.push_back(s);
  for (const auto& s : random_messages(3, 100, 2)) m.push_back(s);
  for (const auto& s : random_messages(9, 777, 3)) m.push_back(s);
  m.push_back("");
  std::shuffle(m.begin(), m.end(), std::mt19937(5));
  const auto out = many(m);
  ASSERT_EQ(out.size(), m.size());
  for (std::size_t i = 0; i < m.size(); ++i) EXPECT_EQ(out[i], sha1(m[i])) << i;
}

TEST(Sha1Many, BatchSizeFillsTheLanesOrIsOne) {
  const std::int64_t mib = 1 << 20;
  if (!sha1_many_vectorized()) {
    EXPECT_EQ(sha1_batch_size(16 * 1024, 12 * mib), 1u);
    return;
  }
  EXPECT_EQ(sha1_batch_size(mib, 12 * mib), 12u);
  EXPECT_EQ(sha1_batch_size(16 * 1024, 12 * mib), 16u);  // at most the 16 lanes
  EXPECT_EQ(sha1_batch_size(12 * mib / 7, 12 * mib), 7u);
  EXPECT_EQ(sha1_batch_size(2 * mib, 12 * mib), 1u);  // 6 fit: OpenSSL one at a time
  EXPECT_EQ(sha1_batch_size(0, 12 * mib), 16u);
}

TEST(Sha1Many, EmptyAndSingle) {
  std::vector<sha1_digest> none;
  sha1_many({}, none);
  const auto one = many({"abc"});
  EXPECT_EQ(to_hex(one[0]), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

}  // namespace
}  // namespace corrent::crypto
