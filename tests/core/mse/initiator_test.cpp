// mse::initiator against hostile and broken responders.
#include "core/mse/initiator.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/mse/forge.hpp"

namespace corrent::mse {
namespace {

using test::a_params;
using test::forge_step4;
using test::str;

initiator make(initiator_params p = a_params()) {
  auto r = initiator::create(std::move(p));
  EXPECT_TRUE(r);
  return std::move(*r);
}

const std::string yb(str(public_key(test::key_b)));

void expect_failure(const result<void>& r, errc e) {
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), e) << r.error().message();
}

TEST(MseInitiator, SendsYaAndPadAAtOnceAndStepThreeOnYb) {
  initiator_params p = a_params();
  p.pad_a = test::pattern(33, 1);
  initiator a = make(p);
  EXPECT_EQ(a.take_output(), std::string(str(public_key(test::key_a))) + p.pad_a);
  EXPECT_EQ(a.take_output(), "");
  ASSERT_TRUE(a.feed(yb.substr(0, 95)));
  EXPECT_EQ(a.take_output(), "");
  ASSERT_TRUE(a.feed(yb.substr(95)));
  const std::string step3 = a.take_output();
  ASSERT_EQ(step3.size(), 56u);
  EXPECT_EQ(step3.substr(0, 20), str(req1_hash(test::secret_ab())));
}

TEST(MseInitiator, AForgedButValidStepFourCompletes) {
  initiator a = make();
  ASSERT_TRUE(a.feed(yb + test::pattern(100, 5) + forge_step4(bit(method::rc4), 3, "pad", "tail")));
  ASSERT_TRUE(a.done());
  EXPECT_EQ(a.selected(), method::rc4);
  EXPECT_EQ(a.take_leftover(), "tail");
  EXPECT_EQ(a.bytes_read(), key_size + 100 + 14 + 3);
}

TEST(MseInitiator, AcceptsEncryptedVcAfter512BytesOfPadBButGivesUpAt616) {
  initiator ok = make();
  ASSERT_TRUE(ok.feed(yb + test::pattern(512, 5) + forge_step4(bit(method::plaintext), 0)));
  EXPECT_TRUE(ok.done());

  initiator late = make();
  expect_failure(late.feed(yb + test::pattern(513, 5) + forge_step4(bit(method::plaintext), 0)),
                 errc::sync_not_found);

  // Byte by byte: waits through 615 bytes, fails on the 616th.
  const std::string stream = yb + test::pattern(1000, 77);
  initiator bytewise = make();
  std::size_t fed = 0;
  while (fed < stream.size() && bytewise.feed(stream.substr(fed, 1))) ++fed;
  EXPECT_EQ(fed + 1, initiator_sync_limit);
  EXPECT_TRUE(bytewise.failed());
  EXPECT_FALSE(bytewise.done());
}

TEST(MseInitiator, RefusesASelectionItDidNotOffer) {
  struct row {
    std::uint32_t provide, select;
  };
  for (const row r : {row{bit(method::plaintext), bit(method::rc4)},
                      row{bit(method::rc4), bit(method::plaintext)},
                      row{all_methods, all_methods},  // both: not one method
                      row{all_methods, 0}, row{all_methods, 0x04}}) {
    initiator a = make(a_params(r.provide));
    expect_failure(a.feed(yb + forge_step4(r.select, 0)), errc::bad_crypto_select);
  }
  // Reserved bits beside one offered method are ignored.
  initiator a = make(a_params(all_methods));
  ASSERT_TRUE(a.feed(yb + forge_step4(0xf0000000u | bit(method::rc4), 0)));
  EXPECT_EQ(a.selected(), method::rc4);
}

TEST(MseInitiator, RefusesPadDLongerThan512Bytes) {
  initiator a = make();
  expect_failure(a.feed(yb + forge_step4(bit(method::rc4), 513, std::string(513, '\0'))),
                 errc::bad_padding_length);
  initiator ok = make();
  ASSERT_TRUE(ok.feed(yb + forge_step4(bit(method::rc4), 512, std::string(512, '\0'))));
  EXPECT_TRUE(ok.done());
}

TEST(MseInitiator, RefusesAPublicKeyOutsideTheGroup) {
  dh_key ff{};
  ff.fill(0xff);
  for (const dh_key& y : {dh_key{}, ff}) {
    initiator a = make();
    EXPECT_EQ(a.take_output().size(), key_size);
    expect_failure(a.feed(str(y)), errc::bad_public_key);
    EXPECT_EQ(a.take_output(), "");                    // no step 3
    expect_failure(a.feed(yb), errc::bad_public_key);  // and it sticks
  }
}

TEST(MseInitiator, APlaintextSelectionLeavesThePayloadUntouched) {
  initiator a = make(a_params(all_methods));
  ASSERT_TRUE(a.feed(yb + forge_step4(bit(method::plaintext), 2, "pd", "clear text", false)));
  ASSERT_TRUE(a.done());
  EXPECT_EQ(a.take_leftover(), "clear text");
  EXPECT_FALSE(a.cipher().encrypted());
}

TEST(MseInitiator, WaitsForEveryPartOfStepFour) {
  const std::string stream = yb + test::pattern(7, 1) + forge_step4(bit(method::rc4), 4, "abcd");
  for (std::size_t cut = 0; cut < stream.size(); ++cut) {
    initiator a = make();
    ASSERT_TRUE(a.feed(std::string_view(stream).substr(0, cut)));
    EXPECT_FALSE(a.done()) << cut;
    EXPECT_FALSE(a.failed()) << cut;
  }
}

TEST(MseInitiator, CreateRefusesParamsOutsideTheSpec) {
  initiator_params p = a_params();
  p.pad_a = std::string(513, 'p');
  EXPECT_EQ(initiator::create(p).error(), errc::bad_padding_length);
  p = a_params();
  p.pad_c_size = 513;
  EXPECT_EQ(initiator::create(p).error(), errc::bad_padding_length);
  EXPECT_EQ(initiator::create(a_params(0)).error(), errc::no_common_crypto);
  EXPECT_EQ(initiator::create(a_params(0x08)).error(), errc::no_common_crypto);
  EXPECT_EQ(initiator::create(a_params(all_methods, std::string(65536, 'i'))).error(),
            errc::payload_too_large);
  EXPECT_TRUE(initiator::create(a_params(all_methods, std::string(65535, 'i'))));
}

}  // namespace
}  // namespace corrent::mse
