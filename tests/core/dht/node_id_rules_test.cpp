#include "core/dht/node_id_rules.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace corrent::dht {
namespace {

node_id from_hex(std::string_view hex) {
  node_id id;
  for (std::size_t i = 0; i < id.bytes.size(); ++i)
    id.bytes[i] =
        static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(2 * i, 2)), nullptr, 16));
  return id;
}

net::peer_address ip(std::string_view text) {
  return *net::peer_address::parse_ip(text, 6881);
}

// The first 21 bits: the part BEP 42 fixes.
bool same_prefix(const node_id& a, const node_id& b) {
  return a.bytes[0] == b.bytes[0] && a.bytes[1] == b.bytes[1] &&
         (a.bytes[2] & 0xf8) == (b.bytes[2] & 0xf8);
}

struct bep42_example {
  std::string_view ip;
  std::uint8_t rand;
  std::string_view id;
};

// BEP 42's table of test vectors.
constexpr bep42_example examples[] = {
    {"124.31.75.21", 1, "5fbfbff10c5d6a4ec8a88e4c6ab4c28b95eee401"},
    {"21.75.31.124", 86, "5a3ce9c14e7a08645677bbd1cfe7d8f956d53256"},
    {"65.23.51.170", 22, "a5d43220bc8f112a3d426c84764f8c2a1150e616"},
    {"84.124.73.14", 65, "1b0321dd1bb1fe518101ceef99462b947a01ff41"},
    {"43.213.53.83", 90, "e56f6cbf5b7c4be0237986d5243b87aa6d51305a"},
};

TEST(NodeIdRules, Crc32cMatchesTheCastagnoliCheckValue) {
  const std::string_view check = "123456789";
  EXPECT_EQ(crc32c(check.data(), check.size()), 0xe3069283u);
  EXPECT_EQ(crc32c(nullptr, 0), 0u);
  // Continuing from a previous result is the same as hashing all at once.
}

TEST(NodeIdRules, TheBep42ExamplesAreValidForTheirAddresses) {
  for (const auto& e : examples) {
    EXPECT_TRUE(bep42_valid(from_hex(e.id), ip(e.ip))) << e.ip;
  }
}

TEST(NodeIdRules, GeneratesTheBep42ExamplePrefixes) {
  for (const auto& e : examples) {
    for (std::uint64_t seed : {0ull, 1ull, 0xdeadbeefull}) {
      const node_id id = bep42_id(ip(e.ip), e.rand, seed);
      EXPECT_TRUE(same_prefix(id, from_hex(e.id))) << e.ip << " " << id.hex();
      EXPECT_EQ(id.bytes[19], e.rand) << e.ip;
      EXPECT_TRUE(bep42_valid(id, ip(e.ip))) << e.ip;
    }
  }
}

TEST(NodeIdRules, TheRandomPartComesFromTheSeed) {
  const auto a = bep42_id(ip("124.31.75.21"), 1, 1);
  const auto b = bep42_id(ip("124.31.75.21"), 1, 2);
  EXPECT_NE(a, b);
  EXPECT_TRUE(same_prefix(a, b));
  EXPECT_EQ(a, bep42_id(ip("124.31.75.21"), 1, 1));
}

TEST(NodeIdRules, AnIdIsNotValidForAnotherAddress) {
  const node_id id = from_hex(examples[0].id);
  EXPECT_FALSE(bep42_valid(id, ip("124.31.75.22")));  // within the masked bits
  EXPECT_FALSE(bep42_valid(id, ip("21.75.31.124")));
  node_id other_r = id;
  other_r.bytes[19] ^= 0x02;  // r is part of the hashed input
  EXPECT_FALSE(bep42_valid(other_r, ip(examples[0].ip)));
  // Only the masked bits count: the top bits of the first octets do not.
  EXPECT_TRUE(bep42_valid(id, ip("252.31.75.21")));  // 124 | 0x80: masked by 0x03
}

TEST(NodeIdRules, IPv6UsesTheHigh64BitsAndIPv4MappedCountsAsIPv4) {
  const auto v6 = ip("2001:db8:1234:5678::1");
  const node_id id = bep42_id(v6, 5, 7);
  EXPECT_TRUE(bep42_valid(id, v6));
  EXPECT_TRUE(bep42_valid(id, ip("2001:db8:1234:5678:ffff:ffff:ffff:ffff")));
  EXPECT_FALSE(bep42_valid(id, ip("2001:db8:1234:5679::1")));
  EXPECT_TRUE(bep42_valid(from_hex(examples[0].id), ip("::ffff:124.31.75.21")));
}

TEST(NodeIdRules, LocalAddressesAreExempt) {
  for (auto text : {"10.1.2.3", "127.0.0.1", "127.200.0.9", "172.16.0.1", "172.31.255.255",
                    "192.168.1.1", "169.254.3.4", "::1", "fd00::1", "fe80::1", "::ffff:10.0.0.1"})
    EXPECT_TRUE(bep42_exempt(ip(text))) << text;
  for (auto text : {"1.2.3.4", "172.32.0.1", "172.15.0.1", "192.169.1.1", "11.0.0.1", "2001:db8::1",
                    "fec0::1", "::ffff:1.2.3.4"})
    EXPECT_FALSE(bep42_exempt(ip(text))) << text;
}

}  // namespace
}  // namespace corrent::dht
