#include "core/mse/dh.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/mse/errc.hpp"
#include "core/mse/forge.hpp"

namespace corrent::mse {
namespace {

using test::key_a;
using test::key_b;
using test::key_of;

std::string hex(const dh_key& k) {
  std::string s;
  for (const std::uint8_t b : k) {
    s += "0123456789abcdef"[b >> 4];
    s += "0123456789abcdef"[b & 0xf];
  }
  return s;
}

dh_key from_hex(std::string_view h) {
  dh_key k{};
  for (std::size_t i = 0; i < k.size(); ++i) {
    k[i] = static_cast<std::uint8_t>(std::stoi(std::string(h.substr(2 * i, 2)), nullptr, 16));
  }
  return k;
}

// The MSE prime, as the spec writes it.
constexpr std::string_view prime_hex =
    "ffffffffffffffffc90fdaa22168c234c4c6628b80dc1cd129024e088a67cc74020bbea63b139b22514a0879"
    "8e3404ddef9519b3cd3a431b302b0a6df25f14374fe1356d6d51c245e485b576625e7ec6f44c42e9a63a3621"
    "0000000000090563";

// Computed by an independent implementation (Python: pow(2, X, P), pow(Yb, Xa, P)) for
// X = 0x0102...14 and 0x2122...34.
TEST(MseDh, MatchesAnIndependentImplementation) {
  EXPECT_EQ(hex(public_key(key_a)),
            "96e112dab29e8c5272accb9b17b26887ce54a144a4e3b697c7d159b7a817e556b0918db2b4c658e02a"
            "87f7e5fb14b18a553e084cbf3dad2d30f16596ccb982d406258c61b30c5c1dae2ddc60bdbd48d79896"
            "312aad63238c39e1a633821eb693");
  EXPECT_EQ(hex(public_key(key_b)),
            "8f9c9f400fe9b3258f3e48598a95c7805cc90c995cd770283322679d132ebdae09b75eeadc01de698e"
            "f86945cf38314a95fad08c2ad5641802bd5f658eb3ea0db2712c04aa5efed03deecc5104f75d869d2d"
            "197e4336c61f0d71d763bee99416");
  const auto s = shared_secret(key_a, public_key(key_b));
  ASSERT_TRUE(s);
  EXPECT_EQ(hex(*s),
            "cd8536d5f2c98f01f8f5a648f69f6f2d6a6aafd044666b01fc8beb81f63ddbea0a862b2b6306431f7a"
            "308b063f795d181ca711b22ab0602a9c4b5d1c53269837773ff53a4de47d9aace6b6a1b789ea370775"
            "07842742eb7581ea180b16748826");
}

TEST(MseDh, BothSidesReachTheSameSecret) {
  for (std::uint8_t seed : {0x10, 0x57, 0xa0, 0xf1}) {
    const private_key x = key_of(seed), y = key_of(static_cast<std::uint8_t>(seed ^ 0x5a));
    const auto s1 = shared_secret(x, public_key(y));
    const auto s2 = shared_secret(y, public_key(x));
    ASSERT_TRUE(s1 && s2);
    EXPECT_EQ(*s1, *s2);
    EXPECT_NE(*s1, public_key(x));
  }
}

TEST(MseDh, KeysAreLeftPaddedTo96Bytes) {
  private_key one{};
  one.back() = 1;
  dh_key two{};
  two.back() = 2;
  EXPECT_EQ(public_key(one), two);  // 2^1: 95 zero bytes, then 2
  private_key three{};
  three.back() = 3;
  const auto s = shared_secret(three, two);  // 2^3
  ASSERT_TRUE(s);
  dh_key eight{};
  eight.back() = 8;
  EXPECT_EQ(*s, eight);
}

TEST(MseDh, RefusesPublicKeysOutsideTwoToPMinusTwo) {
  const dh_key p = from_hex(prime_hex);
  ASSERT_EQ(hex(p), prime_hex);
  dh_key zero{}, one{}, p_minus_1 = p, p_minus_2 = p, p_plus_1 = p, all_ff{};
  one.back() = 1;
  p_minus_1.back() -= 1;
  p_minus_2.back() -= 2;
  p_plus_1.back() += 1;
  all_ff.fill(0xff);
  for (const dh_key& bad : {zero, one, p_minus_1, p, p_plus_1, all_ff}) {
    const auto s = shared_secret(key_a, bad);
    ASSERT_FALSE(s) << hex(bad);
    EXPECT_EQ(s.error(), errc::bad_public_key);
  }
  dh_key two{};
  two.back() = 2;
  EXPECT_TRUE(shared_secret(key_a, two));
  EXPECT_TRUE(shared_secret(key_a, p_minus_2));
}

}  // namespace
}  // namespace corrent::mse
