// mse::initiator against mse::responder, in memory: both directions, every chunking.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/mse/forge.hpp"
#include "core/mse/initiator.hpp"
#include "core/mse/responder.hpp"

namespace corrent::mse {
namespace {

using test::a_params;
using test::b_params;
using test::pump;

const std::string bt_handshake = std::string("\x13", 1) + "BitTorrent protocol" +
                                 std::string(8, '\0') + std::string(test::str(test::torrent)) +
                                 "-CR0001-123456789012";

const std::vector<std::vector<std::size_t>> chunkings = {
    {1}, {2, 1, 3}, {7, 64, 13}, {95, 97, 19, 21}, {500, 3}, {1 << 20}};

std::string hex(std::string_view bytes) {
  std::string s;
  for (const unsigned char b : bytes) {
    s += "0123456789abcdef"[b >> 4];
    s += "0123456789abcdef"[b & 0xf];
  }
  return s;
}

// Everything of the payload stream a side received: what came with the handshake, then
// what feed_in() did not feed after done(), through the side's cipher.
template <class Side>
std::string payload_of(Side& side, std::string rest) {
  stream_cipher c = side.cipher();
  c.decrypt(std::span<char>(rest));
  return side.take_leftover() + rest;
}

struct pair {
  initiator a;
  responder b;
};

pair make_pair(initiator_params ap, responder_params bp) {
  auto a = initiator::create(std::move(ap));
  auto b = responder::create(std::move(bp));
  EXPECT_TRUE(a && b);
  return {std::move(*a), std::move(*b)};
}

// Steps 3 and 4 byte for byte as an independent implementation (Python: hashlib, and
// OpenSSL's RC4) computed them for these keys, no padding, IA = the 20-byte plain header,
// crypto_provide 3 and crypto_select 2; then "ping" from A and "pong" from B.
TEST(MseHandshake, MatchesAnIndependentImplementationByteForByte) {
  auto [a, b] =
      make_pair(a_params(all_methods, std::string(plain_header)), b_params(all_methods, true));
  const std::string step1 = a.take_output();
  ASSERT_EQ(step1.size(), key_size);
  ASSERT_TRUE(b.feed(step1));
  const std::string step2 = b.take_output();
  EXPECT_EQ(step2, test::str(public_key(test::key_b)));
  ASSERT_TRUE(a.feed(step2));
  const std::string step3 = a.take_output();
  EXPECT_EQ(hex(step3),
            "361e3668027ecec9d1086d5f839d191781e8de17e23fedd9c5e1c1a135d554abbd7ddbb2e4787933"
            "5ecd5426977fe9aefe3b3834f4a8f10ae600297e8f7e3ae2c24d4541330b733c72d8b579");
  ASSERT_TRUE(b.feed(step3));
  ASSERT_TRUE(b.done());
  const std::string step4 = b.take_output();
  EXPECT_EQ(hex(step4), "5e3b4f7e241544bbbae165cac9fa");
  ASSERT_TRUE(a.feed(step4));
  ASSERT_TRUE(a.done());
  EXPECT_EQ(a.selected(), method::rc4);
  EXPECT_EQ(b.take_initial_payload(), plain_header);

  std::string ping = "ping", pong = "pong";
  stream_cipher ac = a.cipher(), bc = b.cipher();
  ac.encrypt(std::span<char>(ping));
  bc.encrypt(std::span<char>(pong));
  EXPECT_EQ(hex(ping), "08066661");
  EXPECT_EQ(hex(pong), "8e64dbba");
  bc.decrypt(std::span<char>(ping));
  ac.decrypt(std::span<char>(pong));
  EXPECT_EQ(ping, "ping");
  EXPECT_EQ(pong, "pong");
}

TEST(MseHandshake, CompletesInAnyChunkingWithEitherMethod) {
  struct row {
    std::uint32_t provide, allowed;
    bool prefer_rc4;
    method expected;
  };
  const row rows[] = {
      {all_methods, all_methods, true, method::rc4},
      {all_methods, all_methods, false, method::plaintext},
      {bit(method::rc4), all_methods, false, method::rc4},
      {bit(method::plaintext), all_methods, true, method::plaintext},
      {all_methods, bit(method::rc4), false, method::rc4},
      {all_methods, bit(method::plaintext), true, method::plaintext},
  };
  for (const row& r : rows) {
    for (const auto& sizes : chunkings) {
      SCOPED_TRACE(::testing::Message()
                   << "provide " << r.provide << " allowed " << r.allowed << " prefer_rc4 "
                   << r.prefer_rc4 << " first chunk " << sizes[0]);
      auto [a, b] = make_pair(a_params(r.provide, bt_handshake), b_params(r.allowed, r.prefer_rc4));
      const test::transcript t = pump(a, b, sizes);
      ASSERT_TRUE(t.a_status);
      ASSERT_TRUE(t.b_status);
      ASSERT_TRUE(a.done() && b.done());
      EXPECT_EQ(a.selected(), r.expected);
      EXPECT_EQ(b.selected(), r.expected);
      EXPECT_EQ(b.info_hash(), test::torrent);
      EXPECT_EQ(b.take_initial_payload(), bt_handshake);
      EXPECT_EQ(a.take_leftover(), "");
      EXPECT_EQ(b.take_leftover(), "");
      EXPECT_EQ(a.bytes_read(), t.b_sent.size());
      EXPECT_EQ(b.bytes_read(), t.a_sent.size());
      // The IA is RC4 whatever the method: never in clear on the wire.
      EXPECT_EQ(t.a_sent.find(bt_handshake.substr(20, 28)), std::string::npos);

      stream_cipher ac = a.cipher(), bc = b.cipher();
      EXPECT_EQ(ac.encrypted(), r.expected == method::rc4);
      EXPECT_EQ(bc.encrypted(), r.expected == method::rc4);
      for (int i = 0; i < 3; ++i) {
        const std::string text = "message " + std::to_string(i);
        std::string wire = text;
        ac.encrypt(std::span<char>(wire));
        EXPECT_EQ(wire == text, r.expected == method::plaintext);
        bc.decrypt(std::span<char>(wire));
        EXPECT_EQ(wire, text);
        bc.encrypt(std::span<char>(wire));
        ac.decrypt(std::span<char>(wire));
        EXPECT_EQ(wire, text);
      }
    }
  }
}

TEST(MseHandshake, TheResponderPicksRc4OnlyWhenPreferredOrTheOnlyChoice) {
  constexpr std::uint32_t p = bit(method::plaintext), r = bit(method::rc4), both = p | r;
  EXPECT_EQ(choose_method(both, both, true), method::rc4);
  EXPECT_EQ(choose_method(both, both, false), method::plaintext);
  EXPECT_EQ(choose_method(r, both, false), method::rc4);
  EXPECT_EQ(choose_method(both, r, false), method::rc4);
  EXPECT_EQ(choose_method(p, both, true), method::plaintext);
  EXPECT_EQ(choose_method(both, p, true), method::plaintext);
  EXPECT_EQ(choose_method(p, r, true), std::nullopt);
  EXPECT_EQ(choose_method(r, p, false), std::nullopt);
  EXPECT_EQ(choose_method(0, both, true), std::nullopt);
  // Reserved bits are ignored, on either side.
  EXPECT_EQ(choose_method(0xfffffffcu | r, both, false), method::rc4);
  EXPECT_EQ(choose_method(0xfffffffcu, 0xffffffffu, true), std::nullopt);
}

// What a side sends right behind its last handshake bytes arrives with them: it must come
// out of take_leftover(), decrypted.
TEST(MseHandshake, PayloadThatArrivesWithTheHandshakeEndsUpInLeftover) {
  for (const bool rc4 : {true, false}) {
    for (const auto& sizes : chunkings) {
      SCOPED_TRACE(::testing::Message() << "rc4 " << rc4 << " first chunk " << sizes[0]);
      auto [a, b] = make_pair(a_params(all_methods, bt_handshake), b_params(all_methods, rc4));
      ASSERT_TRUE(b.feed(a.take_output()));
      ASSERT_TRUE(a.feed(b.take_output()));
      const std::string step3 = a.take_output();

      // B: step 3, then A's first payload bytes (sent without waiting, as A may when it
      // knows the outcome) in the same pieces.
      auto [a2, b2] = make_pair(a_params(all_methods, bt_handshake), b_params(all_methods, rc4));
      ASSERT_TRUE(b2.feed(a2.take_output()));
      std::string from_a = step3;
      stream_cipher a_side = make_handshake_cipher(test::secret_ab(), test::torrent, true);
      std::string skip(step3.size() - 40, '\0');  // the part of step 3 that went through RC4
      a_side.encrypt(std::span<char>(skip));
      std::string payload = "bitfield and more";
      if (rc4) a_side.encrypt(std::span<char>(payload));
      from_a += payload;
      std::string rest;
      ASSERT_TRUE(test::feed_in(b2, from_a, sizes, &rest));
      ASSERT_TRUE(b2.done());
      EXPECT_EQ(payload_of(b2, rest), "bitfield and more");

      // A: step 4 and B's BT handshake in one write, as io will send them.
      ASSERT_TRUE(b.feed(step3));
      ASSERT_TRUE(b.done());
      std::string reply = bt_handshake;
      stream_cipher bc = b.cipher();
      bc.encrypt(std::span<char>(reply));
      ASSERT_TRUE(test::feed_in(a, b.take_output() + reply, sizes, &rest));
      ASSERT_TRUE(a.done());
      EXPECT_EQ(payload_of(a, rest), bt_handshake);
    }
  }
}

TEST(MseHandshake, SynchronisesWithPaddingOfEveryAllowedLength) {
  for (const std::size_t pad :
       {std::size_t{0}, std::size_t{1}, std::size_t{20}, std::size_t{511}, std::size_t{512}}) {
    for (const auto& sizes : {std::vector<std::size_t>{1}, std::vector<std::size_t>{1 << 20}}) {
      SCOPED_TRACE(::testing::Message() << "padding " << pad << " chunk " << sizes[0]);
      initiator_params ap = a_params(all_methods, bt_handshake);
      ap.pad_a = test::pattern(pad, 7);
      ap.pad_c_size = pad;
      responder_params bp = b_params(all_methods, true);
      bp.pad_b = test::pattern(pad, 11);
      bp.pad_d_size = pad;
      auto [a, b] = make_pair(std::move(ap), std::move(bp));
      const test::transcript t = pump(a, b, sizes);
      ASSERT_TRUE(t.a_status);
      ASSERT_TRUE(t.b_status);
      EXPECT_TRUE(a.done() && b.done());
      EXPECT_EQ(t.a_sent.size(), key_size + pad + 56 + pad + bt_handshake.size());
      EXPECT_EQ(t.b_sent.size(), key_size + pad + 14 + pad);
      EXPECT_EQ(b.take_initial_payload(), bt_handshake);
    }
  }
}

TEST(MseHandshake, FindsTheTorrentAmongSeveral) {
  initiator_params ap = a_params();
  ap.info_hash = test::other_torrent;
  auto [a, b] = make_pair(std::move(ap), b_params());
  const test::transcript t = pump(a, b, {5});
  ASSERT_TRUE(t.a_status && t.b_status);
  EXPECT_TRUE(a.done() && b.done());
  EXPECT_EQ(b.info_hash(), test::other_torrent);
  EXPECT_EQ(b.take_initial_payload(), "");  // no IA: the BT handshake follows in ENCRYPT2
}

TEST(MseHandshake, AStreamCutShortIsNeverDone) {
  auto [a, b] = make_pair(a_params(all_methods, bt_handshake), b_params());
  const test::transcript t = pump(a, b, {1 << 20});
  ASSERT_TRUE(a.done() && b.done());

  auto [a2, b2] = make_pair(a_params(all_methods, bt_handshake), b_params());
  ASSERT_TRUE(b2.feed(std::string_view(t.a_sent).substr(0, t.a_sent.size() - 1)));
  EXPECT_FALSE(b2.done());
  EXPECT_FALSE(b2.failed());
  ASSERT_TRUE(a2.feed(std::string_view(t.b_sent).substr(0, t.b_sent.size() - 1)));
  EXPECT_FALSE(a2.done());
  EXPECT_FALSE(a2.failed());
  // The last byte completes both.
  ASSERT_TRUE(b2.feed(t.a_sent.substr(t.a_sent.size() - 1)));
  ASSERT_TRUE(a2.feed(t.b_sent.substr(t.b_sent.size() - 1)));
  EXPECT_TRUE(a2.done() && b2.done());
}

TEST(MseHandshake, FeedingAfterDoneIsRefused) {
  auto [a, b] = make_pair(a_params(), b_params());
  pump(a, b, {3});
  ASSERT_TRUE(a.done() && b.done());
  const auto ra = a.feed("x");
  const auto rb = b.feed("x");
  ASSERT_FALSE(ra);
  ASSERT_FALSE(rb);
  EXPECT_EQ(ra.error(), errc::finished);
  EXPECT_EQ(rb.error(), errc::finished);
}

}  // namespace
}  // namespace corrent::mse
