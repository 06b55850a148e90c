#include "core/net/peer_address.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "core/net/peer_address_print.hpp"

namespace corrent::net {
namespace {

using namespace std::string_view_literals;

peer_address v6(std::array<std::uint8_t, 16> ip, std::uint16_t port) {
  peer_address a;
  a.ip = ip;
  a.is_v6 = true;
  a.port = port;
  return a;
}

TEST(PeerAddress, V4KeepsHostOrderIpInNetworkByteOrder) {
  const auto a = peer_address::v4(0x01020304, 6881);
  EXPECT_FALSE(a.is_v6);
  EXPECT_EQ(a.ip[0], 1);
  EXPECT_EQ(a.ip[1], 2);
  EXPECT_EQ(a.ip[2], 3);
  EXPECT_EQ(a.ip[3], 4);
  EXPECT_EQ(a.port, 6881);
  EXPECT_EQ(a.to_string(), "1.2.3.4:6881");
}

TEST(PeerAddress, FromBytesReadsFourOrSixteenBytes) {
  const auto a4 = peer_address::from_bytes("\x7f\x00\x00\x01"sv, 80);
  EXPECT_EQ(a4, peer_address::v4(0x7f000001, 80));

  const auto a6 = peer_address::from_bytes(
      "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"sv, 443);
  EXPECT_TRUE(a6.is_v6);
  EXPECT_EQ(a6.ip[0], 0x20);
  EXPECT_EQ(a6.ip[15], 0x01);
  EXPECT_EQ(a6.port, 443);
  EXPECT_EQ(a6.to_string(), "[2001:db8::1]:443");
}

TEST(PeerAddress, FromBytesOfAnyOtherSizeIsUnusable) {
  for (std::string_view bytes : {""sv, "\x01\x02\x03"sv, "\x01\x02\x03\x04\x05"sv}) {
    const auto a = peer_address::from_bytes(bytes, 6881);
    EXPECT_FALSE(a.is_usable()) << bytes.size() << " bytes";
    EXPECT_EQ(a, peer_address{}) << bytes.size() << " bytes";
  }
}

struct formatting {
  std::array<std::uint8_t, 16> ip;
  const char* text;
};

void PrintTo(const formatting& f, std::ostream* os) {
  *os << f.text;
}

class PeerAddressFormatsV6 : public ::testing::TestWithParam<formatting> {};

TEST_P(PeerAddressFormatsV6, InRfc5952Form) {
  EXPECT_EQ(v6(GetParam().ip, 6881).to_string(), GetParam().text);
}

INSTANTIATE_TEST_SUITE_P(
    Rfc5952, PeerAddressFormatsV6,
    ::testing::Values(
        formatting{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, "[::1]:6881"},
        formatting{{}, "[::]:6881"},
        formatting{{0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "[fe80::]:6881"},
        // Leading zeros in a group go; hex is lower case.
        formatting{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd, 0x00, 0x0f},
                   "[2001:db8::abcd:f]:6881"},
        // A single zero group is not compressed.
        formatting{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1},
                   "[2001:db8:0:1:1:1:1:1]:6881"},
        // Of two equal runs the first is compressed.
        formatting{{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1},
                   "[2001:db8::1:0:0:1]:6881"},
        // The longest run wins even when it comes later.
        formatting{{0x20, 0x01, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, "[2001:0:0:1::]:6881"},
        formatting{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1},
                   "[::ffff:192.0.2.1]:6881"}));

struct parse_case {
  const char* text;
  std::optional<peer_address> expected;
};

void PrintTo(const parse_case& c, std::ostream* os) {
  *os << '"' << c.text << '"';
}

class PeerAddressParses : public ::testing::TestWithParam<parse_case> {};

TEST_P(PeerAddressParses, StrictlyWithoutDns) {
  const std::string text = GetParam().text;
  EXPECT_EQ(peer_address::parse(text), GetParam().expected) << text;
}

INSTANTIATE_TEST_SUITE_P(
    Valid, PeerAddressParses,
    ::testing::Values(
        parse_case{"1.2.3.4:6881", peer_address::v4(0x01020304, 6881)},
        parse_case{"255.255.255.255:65535", peer_address::v4(0xffffffff, 65535)},
        parse_case{"0.0.0.0:1", peer_address::v4(0, 1)},
        parse_case{"[::1]:6881", v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 6881)},
        parse_case{"[2001:DB8::aBcD]:80",
                   v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd}, 80)},
        parse_case{"[::ffff:1.2.3.4]:80",
                   v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4}, 80)}));

INSTANTIATE_TEST_SUITE_P(
    Invalid, PeerAddressParses,
    ::testing::Values(
        parse_case{"", std::nullopt}, parse_case{"1.2.3.4", std::nullopt},
        parse_case{"1.2.3.4:", std::nullopt}, parse_case{"1.2.3.4:0", std::nullopt},
        parse_case{"1.2.3.4:65536", std::nullopt}, parse_case{"1.2.3.4:999999", std::nullopt},
        parse_case{"1.2.3.4:-1", std::nullopt}, parse_case{"1.2.3.4:+80", std::nullopt},
        parse_case{"1.2.3.4:080", std::nullopt}, parse_case{"1.2.3.4:80 ", std::nullopt},
        parse_case{" 1.2.3.4:80", std::nullopt}, parse_case{"1.2.3:80", std::nullopt},
        parse_case{"1.2.3.4.5:80", std::nullopt}, parse_case{"256.1.1.1:80", std::nullopt},
        parse_case{"01.2.3.4:80", std::nullopt}, parse_case{"localhost:80", std::nullopt},
        parse_case{"example.com:80", std::nullopt}, parse_case{"[::1]", std::nullopt},
        parse_case{"[::1]80", std::nullopt}, parse_case{"[::1:80", std::nullopt},
        parse_case{"::1:80", std::nullopt}, parse_case{"[1.2.3.4]:80", std::nullopt},
        parse_case{"[fe80::1%eth0]:80", std::nullopt}, parse_case{"[::1::2]:80", std::nullopt},
        parse_case{"[12345::]:80", std::nullopt}));

TEST(PeerAddress, ParseRejectsEmbeddedNul) {
  EXPECT_EQ(peer_address::parse("1.2.3.4\0:80"sv), std::nullopt);
  EXPECT_EQ(peer_address::parse_ip("1.2.3.4\0junk"sv, 80), std::nullopt);
  EXPECT_EQ(peer_address::parse_ip("1.2.3.4"sv, 80), peer_address::v4(0x01020304, 80));
}

TEST(PeerAddress, ParseIpTakesBareAddressesOnly) {
  EXPECT_EQ(peer_address::parse_ip("::1", 6881),
            v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 6881));
  EXPECT_EQ(peer_address::parse_ip("[::1]", 6881), std::nullopt);
  EXPECT_EQ(peer_address::parse_ip("1.2.3.4:80", 6881), std::nullopt);
  EXPECT_EQ(peer_address::parse_ip("tracker.example", 6881), std::nullopt);
  EXPECT_EQ(peer_address::parse_ip("", 6881), std::nullopt);
}

TEST(PeerAddress, RoundTripsThroughText) {
  const std::vector<peer_address> addresses = {
      peer_address::v4(0x7f000001, 6881),
      peer_address::v4(0xc0a80001, 1),
      v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1}, 65535),
      v6({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1}, 6881),
      v6({0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0}, 51413),
  };
  for (const auto& a : addresses) {
    EXPECT_EQ(peer_address::parse(a.to_string()), a) << a.to_string();
  }
}

struct usability {
  const char* text;
  bool usable;
};

void PrintTo(const usability& u, std::ostream* os) {
  *os << u.text;
}

class PeerAddressUsability : public ::testing::TestWithParam<usability> {};

TEST_P(PeerAddressUsability, FollowsTheAddressClass) {
  const auto a = peer_address::parse(GetParam().text);
  ASSERT_TRUE(a) << GetParam().text;
  EXPECT_EQ(a->is_usable(), GetParam().usable) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Classes, PeerAddressUsability,
    ::testing::Values(usability{"1.2.3.4:6881", true}, usability{"127.0.0.1:6881", true},
                      usability{"10.0.0.1:6881", true}, usability{"223.255.255.255:1", true},
                      usability{"240.0.0.1:6881", true}, usability{"0.0.0.0:6881", false},
                      usability{"0.1.2.3:6881", false}, usability{"224.0.0.1:6881", false},
                      usability{"239.255.255.250:1900", false},
                      usability{"255.255.255.255:6881", false}, usability{"[::1]:6881", true},
                      usability{"[2001:db8::1]:6881", true}, usability{"[fe80::1]:6881", true},
                      usability{"[::]:6881", false}, usability{"[ff02::1]:6881", false},
                      usability{"[ff0e::1]:6881", false}, usability{"[::ffff:1.2.3.4]:6881", true},
                      usability{"[::ffff:0.0.0.0]:6881", false},
                      usability{"[::ffff:224.0.0.1]:6881", false}));

TEST(PeerAddress, PortZeroIsUnusable) {
  EXPECT_TRUE(peer_address::v4(0x01020304, 1).is_usable());
  EXPECT_FALSE(peer_address::v4(0x01020304, 0).is_usable());
  EXPECT_FALSE(v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 0).is_usable());
}

}  // namespace
}  // namespace corrent::net
