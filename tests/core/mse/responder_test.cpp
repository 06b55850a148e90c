// mse::responder against hostile and broken initiators.
#include "core/mse/responder.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/mse/forge.hpp"

namespace corrent::mse {
namespace {

using test::b_params;
using test::forge_step3;
using test::step3_fields;
using test::str;

responder make(responder_params p = b_params()) {
  auto r = responder::create(std::move(p));
  EXPECT_TRUE(r);
  return std::move(*r);
}

const std::string ya(str(public_key(test::key_a)));

// Ya, no PadA, then step 3 as given; the responder is fed it all at once.
result<void> run(responder& b, const step3_fields& f) {
  if (auto r = b.feed(ya); !r) return r;
  return b.feed(forge_step3(f));
}

void expect_failure(const result<void>& r, errc e) {
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), e) << r.error().message();
}

TEST(MseResponder, AForgedButValidStepThreeCompletes) {
  responder b = make();
  step3_fields f;
  f.ia_len = 3;
  f.ia = "abc";
  ASSERT_TRUE(run(b, f));
  EXPECT_TRUE(b.done());
  EXPECT_EQ(b.take_initial_payload(), "abc");
}

TEST(MseResponder, FailsForATorrentItDoesNotHave) {
  responder b = make();
  step3_fields f;
  f.skey = crypto::sha1("not ours");
  expect_failure(run(b, f), errc::unknown_torrent);
  EXPECT_TRUE(b.failed());
  EXPECT_EQ(b.info_hash(), std::nullopt);

  responder_params p = b_params();
  p.find_torrent = nullptr;  // no torrents at all
  responder none = make(std::move(p));
  expect_failure(run(none, step3_fields{}), errc::unknown_torrent);
}

TEST(MseResponder, FailsOnABadVerificationConstant) {
  for (std::size_t i = 0; i < vc_size; ++i) {
    responder b = make();
    step3_fields f;
    f.vc[i] = '\x01';
    expect_failure(run(b, f), errc::bad_vc);
  }
  // A corrupt byte on the wire does the same.
  responder b = make();
  std::string step3 = forge_step3(step3_fields{});
  step3[40 + 3] ^= 0x20;
  ASSERT_TRUE(b.feed(ya));
  expect_failure(b.feed(step3), errc::bad_vc);
}

TEST(MseResponder, FailsWithoutACommonMethod) {
  struct row {
    std::uint32_t provide, allowed;
  };
  for (const row r : {row{bit(method::plaintext), bit(method::rc4)},
                      row{bit(method::rc4), bit(method::plaintext)}, row{0, all_methods},
                      row{0xfffffffcu, all_methods}}) {
    responder b = make(b_params(r.allowed));
    step3_fields f;
    f.provide = r.provide;
    expect_failure(run(b, f), errc::no_common_crypto);
  }
}

TEST(MseResponder, IgnoresReservedBitsInCryptoProvide) {
  responder b = make(b_params(all_methods, false));
  step3_fields f;
  f.provide = 0x80000000u | bit(method::rc4);
  ASSERT_TRUE(run(b, f));
  EXPECT_EQ(b.selected(), method::rc4);
}

TEST(MseResponder, RefusesPadCLongerThan512Bytes) {
  responder b = make();
  step3_fields f;
  f.pad_c_len = 513;
  f.pad_c = std::string(513, '\0');
  expect_failure(run(b, f), errc::bad_padding_length);

  responder ok = make();
  f.pad_c_len = 512;
  f.pad_c = std::string(512, '\0');
  ASSERT_TRUE(run(ok, f));
  EXPECT_TRUE(ok.done());
}

TEST(MseResponder, RefusesAnInitialPayloadAboveItsLimit) {
  responder_params p = b_params();
  p.max_initial_payload = 100;
  responder b = make(p);
  step3_fields f;
  f.ia_len = 101;  // refused on the length, before the bytes come
  expect_failure(run(b, f), errc::payload_too_large);

  responder ok = make(p);
  f.ia_len = 100;
  f.ia = std::string(100, 'i');
  ASSERT_TRUE(run(ok, f));
  EXPECT_EQ(ok.take_initial_payload(), f.ia);

  p.max_initial_payload = max_initial_payload;  // the spec's 65535
  responder big = make(p);
  f.ia_len = 65535;
  f.ia = test::pattern(65535, 3);
  ASSERT_TRUE(run(big, f));
  EXPECT_EQ(big.take_initial_payload(), f.ia);
}

// Garbage instead of Ya: whatever the bytes, the responder gives up once 628 are in.
TEST(MseResponder, GivesUpWhenTheSyncHashIsNotWithin628Bytes) {
  const std::string garbage = test::pattern(5000, 42);
  responder b = make();
  ASSERT_TRUE(b.feed(std::string_view(garbage).substr(0, 627)));
  EXPECT_FALSE(b.failed());
  EXPECT_EQ(b.take_output().size(), key_size);  // garbage made a valid Ya: Yb went out
  expect_failure(b.feed(garbage.substr(627, 1)), errc::sync_not_found);

  responder at_once = make();
  expect_failure(at_once.feed(garbage), errc::sync_not_found);

  responder bytewise = make();
  std::size_t fed = 0;
  while (fed < garbage.size() && bytewise.feed(garbage.substr(fed, 1))) ++fed;
  EXPECT_EQ(fed + 1, responder_sync_limit);
  EXPECT_TRUE(bytewise.failed());
}

TEST(MseResponder, AcceptsTheSyncHashAfter512BytesOfPadAButNot513) {
  for (const std::size_t pad : {std::size_t{512}, std::size_t{513}}) {
    responder b = make();
    const std::string stream = ya + test::pattern(pad, 9) + forge_step3(step3_fields{});
    const auto r = b.feed(stream);
    if (pad == 512) {
      ASSERT_TRUE(r);
      EXPECT_TRUE(b.done());
      EXPECT_EQ(b.bytes_read(), stream.size());
    } else {
      expect_failure(r, errc::sync_not_found);
    }
  }
}

TEST(MseResponder, RefusesAPublicKeyOutsideTheGroup) {
  dh_key one{};
  one.back() = 1;
  dh_key ff{};
  ff.fill(0xff);
  for (const dh_key& y : {dh_key{}, one, ff}) {
    responder b = make();
    ASSERT_TRUE(b.feed(str(y).substr(0, 95)));
    expect_failure(b.feed(str(y).substr(95)), errc::bad_public_key);
    EXPECT_EQ(b.take_output(), "");  // nothing sent to it
  }
}

TEST(MseResponder, AFailureSticks) {
  responder b = make();
  step3_fields f;
  f.skey = crypto::sha1("not ours");
  expect_failure(run(b, f), errc::unknown_torrent);
  expect_failure(b.feed(forge_step3(step3_fields{})), errc::unknown_torrent);
  EXPECT_FALSE(b.done());
}

TEST(MseResponder, WaitsForEveryPartOfStepThree) {
  step3_fields f;
  f.pad_c_len = 5;
  f.pad_c = std::string(5, '\0');
  f.ia_len = 4;
  f.ia = "abcd";
  const std::string stream = ya + forge_step3(f);
  for (std::size_t cut = 0; cut < stream.size(); ++cut) {
    responder b = make();
    ASSERT_TRUE(b.feed(std::string_view(stream).substr(0, cut)));
    EXPECT_FALSE(b.done()) << cut;
    EXPECT_FALSE(b.failed()) << cut;
    EXPECT_EQ(b.take_output().size(), cut >= key_size ? key_size : 0) << cut;
  }
}

TEST(MseResponder, CreateRefusesParamsOutsideTheSpec) {
  responder_params p = b_params();
  p.pad_b = std::string(513, 'p');
  EXPECT_EQ(responder::create(p).error(), errc::bad_padding_length);
  p = b_params();
  p.pad_d_size = 513;
  EXPECT_EQ(responder::create(p).error(), errc::bad_padding_length);
  p = b_params(0);
  EXPECT_EQ(responder::create(p).error(), errc::no_common_crypto);
  p = b_params(0x04);
  EXPECT_EQ(responder::create(p).error(), errc::no_common_crypto);
  p = b_params();
  p.max_initial_payload = 65536;
  EXPECT_EQ(responder::create(p).error(), errc::payload_too_large);
  p = b_params();
  p.pad_b = std::string(512, 'p');
  p.pad_d_size = 512;
  p.max_initial_payload = 65535;
  EXPECT_TRUE(responder::create(p));
}

}  // namespace
}  // namespace corrent::mse
