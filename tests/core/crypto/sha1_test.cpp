#include "core/crypto/sha1.hpp"

#include <gtest/gtest.h>

namespace corrent::crypto {
namespace {

TEST(Sha1, MatchesKnownVectors) {
  EXPECT_EQ(to_hex(sha1("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(to_hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(Sha1, IncrementalEqualsOneShotAndResets) {
  sha1_hasher h;
  h.update("a");
  h.update("bc");
  EXPECT_EQ(h.finish(), sha1("abc"));
  h.update("");
  EXPECT_EQ(h.finish(), sha1(""));
}

TEST(Sha1, HexRoundTripsAndRejectsGarbage) {
  const auto d = sha1("abc");
  EXPECT_EQ(sha1_from_hex(to_hex(d)), d);
  EXPECT_EQ(sha1_from_hex("A9993E364706816ABA3E25717850C26C9CD0D89D"), d);
  EXPECT_FALSE(sha1_from_hex("a9993e"));
  EXPECT_FALSE(sha1_from_hex("g9993e364706816aba3e25717850c26c9cd0d89d"));
}

}  // namespace
}  // namespace corrent::crypto
