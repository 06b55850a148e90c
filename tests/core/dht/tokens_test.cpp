#include "core/dht/tokens.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/crypto/sha1.hpp"

namespace corrent::dht {
namespace {

net::peer_address ip(std::string_view text, std::uint16_t port = 6881) {
  return *net::peer_address::parse_ip(text, port);
}

TEST(Tokens, ATokenIsEightBytesOfSha1OfTheSecretAndTheIp) {
  const tokens t("secret", 0);
  const std::string token = t.make(ip("1.2.3.4"));
  ASSERT_EQ(token.size(), 8u);
  const std::string input = std::string("secret") + "\x01\x02\x03\x04";
  EXPECT_EQ(token, std::string(crypto::as_bytes(crypto::sha1(input)).substr(0, 8)));
}

TEST(Tokens, ValidForTheSameIpOnAnyPortButNotForAnotherIp) {
  const tokens t("secret", 0);
  const std::string token = t.make(ip("1.2.3.4", 1000));
  EXPECT_TRUE(t.valid(token, ip("1.2.3.4", 1000), 1));
  EXPECT_TRUE(t.valid(token, ip("1.2.3.4", 2000), 1));
  EXPECT_FALSE(t.valid(token, ip("1.2.3.5", 1000), 1));
  EXPECT_FALSE(t.valid(token, ip("::ffff:1.2.3.4", 1000), 1));
  const std::string v6 = t.make(ip("2001:db8::1"));
  EXPECT_TRUE(t.valid(v6, ip("2001:db8::1"), 1));
  EXPECT_FALSE(t.valid(v6, ip("2001:db8::2"), 1));
  EXPECT_NE(v6, token);
}

TEST(Tokens, RejectsTokensOfTheWrongSizeOrFromAnotherSecret) {
  const tokens t("secret", 0), other("other", 0);
  const std::string token = t.make(ip("1.2.3.4"));
  EXPECT_FALSE(t.valid("", ip("1.2.3.4"), 1));
  EXPECT_FALSE(t.valid(token.substr(0, 7), ip("1.2.3.4"), 1));
  EXPECT_FALSE(t.valid(token + "x", ip("1.2.3.4"), 1));
  EXPECT_FALSE(t.valid(other.make(ip("1.2.3.4")), ip("1.2.3.4"), 1));
}

TEST(Tokens, StayValidForOneRotationThatIsFiveToTenMinutes) {
  tokens t("s0", 0);
  const auto a = ip("1.2.3.4");
  const std::string early = t.make(a);  // made at 0
  EXPECT_FALSE(t.rotation_due(299));
  ASSERT_TRUE(t.rotation_due(300));
  t.rotate("s1", 300);
  const std::string late = t.make(a);  // made at 300
  EXPECT_NE(early, late);
  EXPECT_TRUE(t.valid(early, a, 599));  // the previous secret
  EXPECT_TRUE(t.valid(late, a, 599));
  t.rotate("s2", 600);
  EXPECT_FALSE(t.valid(early, a, 600));  // ten minutes old: gone
  EXPECT_TRUE(t.valid(late, a, 899));    // five to ten minutes old: still fine
  t.rotate("s3", 900);
  EXPECT_FALSE(t.valid(late, a, 900));
}

TEST(Tokens, ExpireEvenWhenTheCallerIsLateToRotate) {
  tokens t("s0", 0);
  const auto a = ip("1.2.3.4");
  const std::string first = t.make(a);
  EXPECT_TRUE(t.valid(first, a, 599));
  EXPECT_FALSE(t.valid(first, a, 600));  // never rotated: still at most ten minutes
  t.rotate("s1", 300);
  const std::string second = t.make(a);
  EXPECT_TRUE(t.valid(first, a, 599));
  EXPECT_FALSE(t.valid(first, a, 600));  // rotation overdue: the previous secret is done
  EXPECT_TRUE(t.valid(second, a, 899));
}

}  // namespace
}  // namespace corrent::dht
