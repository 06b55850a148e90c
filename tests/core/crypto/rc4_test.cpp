#include "core/crypto/rc4.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace corrent::crypto {
namespace {

std::string hex(const std::string& bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string s;
  for (const unsigned char c : bytes) {
    s += digits[c >> 4];
    s += digits[c & 0xf];
  }
  return s;
}

std::string keystream(rc4 cipher, std::size_t n) {
  std::string zeros(n, '\0');
  cipher.apply(std::span<char>(zeros));
  return zeros;
}

// RFC 6229 section 2, "Key length: 40 bits.", key 0x0102030405: 16 keystream bytes at each
// offset.
TEST(Rc4, MatchesRfc6229ForTheFortyBitKey) {
  const std::vector<std::uint8_t> key{0x01, 0x02, 0x03, 0x04, 0x05};
  struct row {
    std::size_t offset;
    const char* bytes;
  };
  const row rows[] = {
      {0, "b2396305f03dc027ccc3524a0a1118a8"},    {16, "6982944f18fc82d589c403a47a0d0919"},
      {240, "28cb1132c96ce286421dcaadb8b69eae"},  {256, "1cfcf62b03eddb641d77dfcf7f8d8c93"},
      {496, "42b7d0cdd918a8a33dd51781c81f4041"},  {512, "6459844432a7da923cfb3eb4980661f6"},
      {752, "ec10327bde2beefd18f9277680457e22"},  {768, "eb62638d4f0ba1fe9fca20e05bf8ff2b"},
      {1008, "45129048e6a0ed0b56b490338f078da5"}, {1024, "30abbcc7c20b01609f23ee2d5f6bb7df"},
      {1520, "3294f744d8f9790507e70f62e5bbceea"}, {1536, "d8729db41882259bee4f825325f5a130"},
      {2032, "1eb14a0c13b3bf47fa2a0ba93ad45b8b"}, {2048, "cc582f8ba9f265e2b1be9112e975d2d7"},
      {3056, "f2e30f9bd102ecbf75aaade9bc35c43c"}, {3072, "ec0e11c479dc329dc8da7968fe965681"},
      {4080, "068326a2118416d21f9d04b2cd1ca050"}, {4096, "ff25b58995996707e51fbdf08b34d875"},
  };
  const std::string stream = keystream(rc4(key), 4112);
  for (const row& r : rows) {
    EXPECT_EQ(hex(stream.substr(r.offset, 16)), r.bytes) << "offset " << r.offset;
  }
  // discard() lands on the same keystream as applying that many bytes.
  for (const row& r : rows) {
    rc4 c(key);
    c.discard(r.offset);
    EXPECT_EQ(hex(keystream(c, 16)), r.bytes) << "offset " << r.offset;
  }
}

// The classic vectors (Wikipedia "RC4", test vectors).
TEST(Rc4, EncryptsTheClassicVectors) {
  struct row {
    const char* key;
    const char* plaintext;
    const char* ciphertext;
  };
  const row rows[] = {
      {"Key", "Plaintext", "bbf316e8d940af0ad3"},
      {"Wiki", "pedia", "1021bf0420"},
      {"Secret", "Attack at dawn", "45a01f645fc35b383552544b9bf5"},
  };
  for (const row& r : rows) {
    std::string data = r.plaintext;
    rc4(std::string_view(r.key)).apply(std::span<char>(data));
    EXPECT_EQ(hex(data), r.ciphertext) << r.key;
    rc4(std::string_view(r.key)).apply(std::span<char>(data));
    EXPECT_EQ(data, r.plaintext) << r.key;
  }
}

TEST(Rc4, ContinuesTheStreamAcrossCallsOfAnySize) {
  const std::string whole = keystream(rc4(std::string_view("stream key")), 3000);
  rc4 c(std::string_view("stream key"));
  std::string pieces;
  for (std::size_t n = 0; pieces.size() < whole.size(); ++n) {
    pieces += keystream(c, 0);  // an empty span changes nothing
    std::string part(std::min(n % 37, whole.size() - pieces.size()), '\0');
    c.apply(std::span<char>(part));
    pieces += part;
  }
  EXPECT_EQ(pieces, whole);
}

TEST(Rc4, ACopyForksTheStreamAtItsPosition) {
  rc4 a(std::string_view("fork"));
  a.discard(100);
  rc4 b = a;
  EXPECT_EQ(keystream(a, 64), keystream(b, 64));
  rc4 c(std::string_view("fork"));
  EXPECT_NE(keystream(c, 64), keystream(a, 64));
}

TEST(Rc4, AnEmptyKeyActsAsOneZeroByteAndLongKeysUseTheirFirst256Bytes) {
  EXPECT_EQ(keystream(rc4(std::string_view("")), 32),
            keystream(rc4(std::string_view("\0", 1)), 32));
  std::string long_key(300, 'k');
  for (std::size_t n = 0; n < long_key.size(); ++n) long_key[n] = static_cast<char>(n * 7);
  const std::string head = long_key.substr(0, 256);
  EXPECT_EQ(keystream(rc4(std::string_view(long_key)), 64),
            keystream(rc4(std::string_view(head)), 64));
  EXPECT_NE(keystream(rc4(std::string_view(head)), 64),
            keystream(rc4(std::string_view(head).substr(0, 255)), 64));
}

}  // namespace
}  // namespace corrent::crypto
