// The daemon API's password rules (core/daemon/auth).
#include "core/daemon/auth.hpp"

#include <gtest/gtest.h>

#include "core/text/base64.hpp"

namespace corrent::daemon {
namespace {

TEST(Credentials, OnlyTheExactUserAndPasswordMatch) {
  const credentials c("admin", "s3cret");
  EXPECT_TRUE(c.matches("admin", "s3cret"));
  EXPECT_FALSE(c.matches("admin", "s3cre"));
  EXPECT_FALSE(c.matches("admin", "s3cret "));
  EXPECT_FALSE(c.matches("Admin", "s3cret"));
  EXPECT_FALSE(c.matches("", ""));
  // The split between user and password counts.
  EXPECT_FALSE(c.matches("admins", "3cret"));
  EXPECT_FALSE(c.matches("admin:s3cret", ""));
}

TEST(Credentials, APasswordWithColonsAndNonAsciiBytes) {
  const credentials c("u", "a:b\xc3\xbc");
  EXPECT_TRUE(c.matches("u", "a:b\xc3\xbc"));
  EXPECT_FALSE(c.matches("u", "a:b"));
}

TEST(BasicAuth, ParsesTheSchemeCaseInsensitivelyAndSplitsAtTheFirstColon) {
  const auto h = "Basic " + text::base64_encode("admin:pa:ss");
  const auto p = parse_basic_auth(h);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->first, "admin");
  EXPECT_EQ(p->second, "pa:ss");
  EXPECT_TRUE(parse_basic_auth("bAsIc " + text::base64_encode("a:")));
  EXPECT_EQ(parse_basic_auth("basic " + text::base64_encode("a:"))->second, "");
}

TEST(BasicAuth, RejectsOtherSchemesAndBadEncodings) {
  EXPECT_FALSE(parse_basic_auth(""));
  EXPECT_FALSE(parse_basic_auth("Basic"));
  EXPECT_FALSE(parse_basic_auth("Basic "));
  EXPECT_FALSE(parse_basic_auth("Bearer abc"));
  EXPECT_FALSE(parse_basic_auth("Basic !!!!"));
  EXPECT_FALSE(parse_basic_auth("Basic " + text::base64_encode("nocolon")));
  EXPECT_FALSE(parse_basic_auth("Basicx " + text::base64_encode("a:b")));
}

TEST(Cookies, FindsTheNamedCookieAmongOthers) {
  EXPECT_EQ(cookie_value("a=1; corrent_sid=abc; b=2", "corrent_sid"), "abc");
  EXPECT_EQ(cookie_value("corrent_sid=\"q\"", "corrent_sid"), "q");
  EXPECT_EQ(cookie_value("xcorrent_sid=1;corrent_sid=2", "corrent_sid"), "2");
  EXPECT_FALSE(cookie_value("a=1; b=2", "corrent_sid"));
  EXPECT_FALSE(cookie_value("", "corrent_sid"));
  EXPECT_FALSE(cookie_value("corrent_sid", "corrent_sid"));
}

TEST(LoginSessions, ExpireWhenIdleAndAtLogout) {
  login_sessions s(100.0, 10);
  s.open("a", 0);
  EXPECT_TRUE(s.touch("a", 90));
  EXPECT_TRUE(s.touch("a", 180)) << "each request restarts the idle time";
  EXPECT_FALSE(s.touch("a", 281));
  EXPECT_FALSE(s.touch("never", 0));
  s.open("b", 300);
  s.close("b");
  EXPECT_FALSE(s.touch("b", 301));
}

TEST(LoginSessions, AreBoundedTheLeastRecentlyUsedGoesFirst) {
  login_sessions s(1e9, 3);
  s.open("a", 1);
  s.open("b", 2);
  s.open("c", 3);
  EXPECT_TRUE(s.touch("a", 4));
  s.open("d", 5);
  EXPECT_EQ(s.size(), 3u);
  EXPECT_FALSE(s.touch("b", 6));
  EXPECT_TRUE(s.touch("a", 6));
  EXPECT_TRUE(s.touch("c", 6));
  EXPECT_TRUE(s.touch("d", 6));
}

TEST(LoginThrottle, BlocksAClientAfterTooManyFailuresUntilItsWindowEnds) {
  login_throttle t(3, 60.0);
  for (int i = 0; i < 2; ++i) t.on_failure("10.0.0.1", 10 + i);
  EXPECT_FALSE(t.blocked("10.0.0.1", 12));
  t.on_failure("10.0.0.1", 12);
  const auto wait = t.blocked("10.0.0.1", 13);
  ASSERT_TRUE(wait);
  EXPECT_DOUBLE_EQ(*wait, 57.0);
  EXPECT_FALSE(t.blocked("10.0.0.2", 13)) << "another client is not blocked";
  EXPECT_FALSE(t.blocked("10.0.0.1", 70.5)) << "the window ended";
  // A new window: the count starts again.
  t.on_failure("10.0.0.1", 71);
  EXPECT_FALSE(t.blocked("10.0.0.1", 72));
}

TEST(LoginThrottle, ASuccessClearsTheCountAndTheClientsRememberedAreBounded) {
  login_throttle t(2, 60.0, 2);
  t.on_failure("a", 1);
  t.on_success("a");
  t.on_failure("a", 2);
  EXPECT_FALSE(t.blocked("a", 3));
  t.on_failure("a", 3);
  EXPECT_TRUE(t.blocked("a", 4));
  t.on_failure("b", 5);
  t.on_failure("c", 6);  // forgets the oldest window (a's)
  EXPECT_FALSE(t.blocked("a", 7));
}

TEST(Base64, RoundTripsAndToleratesMissingPaddingAndLineBreaks) {
  for (const std::string& s : std::initializer_list<std::string>{
           "", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff", 2)}) {
    EXPECT_EQ(text::base64_decode(text::base64_encode(s)), s);
  }
  EXPECT_EQ(text::base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(text::base64_decode("Zm9vYg"), "foob");
  EXPECT_EQ(text::base64_decode("Zm9v\nYmFy\r\n"), "foobar");
  EXPECT_FALSE(text::base64_decode("Zm9vY"));
  EXPECT_FALSE(text::base64_decode("Zm9v*mFy"));
}

}  // namespace
}  // namespace corrent::daemon
