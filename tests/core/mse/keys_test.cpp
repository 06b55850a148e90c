#include "core/mse/keys.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/crypto/rc4.hpp"
#include "core/mse/forge.hpp"

namespace corrent::mse {
namespace {

using test::str;

sha1_digest hash(std::string_view a, std::string_view b, std::string_view c = "") {
  return crypto::sha1(std::string(a) + std::string(b) + std::string(c));
}

std::string keystream(crypto::rc4 c, std::size_t skip, std::size_t n) {
  c.discard(skip);
  std::string out(n, '\0');
  c.apply(std::span<char>(out));
  return out;
}

TEST(MseKeys, HashesAreSha1OfTheLabelAndTheValue) {
  const dh_key s = test::secret_ab();
  EXPECT_EQ(req1_hash(s), hash("req1", str(s)));
  EXPECT_EQ(req3_hash(s), hash("req3", str(s)));
  EXPECT_EQ(req2_hash(test::torrent), hash("req2", str(test::torrent)));
  EXPECT_NE(req2_hash(test::torrent), req2_hash(test::other_torrent));
}

TEST(MseKeys, TheInitiatorSendsWithKeyAAndTheResponderWithKeyBAfter1024Bytes) {
  const dh_key s = test::secret_ab();
  const crypto::rc4 key_a(str(hash("keyA", str(s), str(test::torrent))));
  const crypto::rc4 key_b(str(hash("keyB", str(s), str(test::torrent))));
  const std::string a_stream = keystream(key_a, 1024, 64);
  const std::string b_stream = keystream(key_b, 1024, 64);
  ASSERT_NE(a_stream, b_stream);

  stream_cipher a = make_handshake_cipher(s, test::torrent, true);
  stream_cipher b = make_handshake_cipher(s, test::torrent, false);
  EXPECT_TRUE(a.encrypted() && b.encrypted());
  std::string out(64, '\0');
  a.encrypt(std::span<char>(out));
  EXPECT_EQ(out, a_stream);
  out.assign(64, '\0');
  b.encrypt(std::span<char>(out));
  EXPECT_EQ(out, b_stream);
  out.assign(64, '\0');
  a.decrypt(std::span<char>(out));
  EXPECT_EQ(out, b_stream);
  out.assign(64, '\0');
  b.decrypt(std::span<char>(out));
  EXPECT_EQ(out, a_stream);
  // Not the stream without the discard.
  EXPECT_NE(keystream(key_a, 0, 64), a_stream);
}

TEST(MseKeys, WhatOneSideEncryptsTheOtherDecrypts) {
  const dh_key s = test::secret_ab();
  stream_cipher a = make_handshake_cipher(s, test::torrent, true);
  stream_cipher b = make_handshake_cipher(s, test::torrent, false);
  for (const std::string text : {"hello", "", "a longer message that spans more bytes"}) {
    std::string wire = text;
    a.encrypt(std::span<char>(wire));
    if (!text.empty()) {
      EXPECT_NE(wire, text);
    }
    b.decrypt(std::span<char>(wire));
    EXPECT_EQ(wire, text);
    b.encrypt(std::span<char>(wire));
    a.decrypt(std::span<char>(wire));
    EXPECT_EQ(wire, text);
  }
}

TEST(MseKeys, APlaintextCipherChangesNothing) {
  stream_cipher plain;
  EXPECT_FALSE(plain.encrypted());
  std::string data = "unchanged";
  plain.encrypt(std::span<char>(data));
  plain.decrypt(std::span<char>(data));
  EXPECT_EQ(data, "unchanged");
}

TEST(MseKeys, RecognisesAPlainBitTorrentHandshake) {
  const std::string handshake =
      std::string("\x13", 1) + "BitTorrent protocol" + std::string(8, '\0') + std::string(40, 'x');
  EXPECT_TRUE(looks_like_plain_bittorrent(handshake));
  EXPECT_TRUE(looks_like_plain_bittorrent(handshake.substr(0, 20)));
  EXPECT_FALSE(looks_like_plain_bittorrent(handshake.substr(0, 19)));  // too few to tell
  EXPECT_FALSE(looks_like_plain_bittorrent(""));
  EXPECT_FALSE(looks_like_plain_bittorrent(str(public_key(test::key_a))));
  std::string other = handshake;
  other[1] = 'b';
  EXPECT_FALSE(looks_like_plain_bittorrent(other));
}

}  // namespace
}  // namespace corrent::mse
