#include "io/tracker/gzip.hpp"

#include <gtest/gtest.h>

#include <string>

namespace corrent::io {
namespace {

using namespace std::string_literals;

// `printf 'd8:intervali1800e5:peers0:e' | gzip -n | xxd -i`
const std::string gz_reply =
    "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\x4b\xb1\xb0\xca\xcc\x2b\x49\x2d\x2a\x4b\xcc\xc9\x34"
    "\xb4"
    "\x30\x30\x48\x35\xb5\x2a\x48\x4d\x2d\x2a\x36\xb0\x4a\x05\x00\xab\xd9\x98\x92\x1b\x00\x00\x00"s;

TEST(Gunzip, DecodesAGzipTrackerReply) {
  auto r = gunzip(gz_reply, 1 << 20);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(*r, "d8:intervali1800e5:peers0:e");
}

TEST(Gunzip, RefusesOutputAboveTheCap) {
  auto r = gunzip(gz_reply, 10);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("too large"), std::string::npos);
}

TEST(Gunzip, RejectsNonGzipAndTruncatedInput) {
  EXPECT_FALSE(gunzip("d8:intervali1800ee", 1 << 20));
  EXPECT_FALSE(gunzip(gz_reply.substr(0, 20), 1 << 20));
  EXPECT_FALSE(gunzip(std::string(30, '\0'), 1 << 20));
}

}  // namespace
}  // namespace corrent::io
