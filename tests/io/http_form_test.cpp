// io::parse_form: application/x-www-form-urlencoded bodies (logins, qBittorrent-style calls).
#include <gtest/gtest.h>

#include "io/rpc/http_server.hpp"

namespace corrent::io {
namespace {

TEST(HttpForm, DecodesPlusAsSpaceAndPercentEscapes) {
  const auto f = parse_form("username=ops&password=c0rrect+horse&x=a%2Bb%26c&empty=&flag");
  ASSERT_TRUE(f);
  EXPECT_EQ(f->at("username"), "ops");
  EXPECT_EQ(f->at("password"), "c0rrect horse");
  EXPECT_EQ(f->at("x"), "a+b&c");
  EXPECT_EQ(f->at("empty"), "");
  EXPECT_EQ(f->at("flag"), "");
}

TEST(HttpForm, MalformedEscapesAreRefused) {
  EXPECT_FALSE(parse_form("a=%zz"));
  EXPECT_FALSE(parse_form("a=%4"));
  const auto e = parse_form("");
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->empty());
}

}  // namespace
}  // namespace corrent::io
