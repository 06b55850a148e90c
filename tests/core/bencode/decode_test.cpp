#include "core/bencode/decode.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/bencode/encode.hpp"

namespace corrent::bencode {
namespace {

using namespace std::string_view_literals;

TEST(BencodeDecode, DecodesIntegers) {
  EXPECT_EQ(decode("i0e")->as_int(), 0);
  EXPECT_EQ(decode("i42e")->as_int(), 42);
  EXPECT_EQ(decode("i-42e")->as_int(), -42);
  EXPECT_EQ(decode("i9223372036854775807e")->as_int(), INT64_MAX);
  EXPECT_EQ(decode("i-9223372036854775808e")->as_int(), INT64_MIN);
}

TEST(BencodeDecode, DecodesStringsAsViewsIntoTheInput) {
  const std::string input = "4:spam";
  auto v = decode(input);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->as_string(), "spam");
  EXPECT_EQ(v->as_string().data(), input.data() + 2);  // no copy
  EXPECT_EQ(decode("0:")->as_string(), "");
  EXPECT_EQ(decode("3:\0\xff\x01"sv)->as_string(), "\0\xff\x01"sv);
}

TEST(BencodeDecode, DecodesListsAndDictionaries) {
  auto v = decode("d3:bar4:spam3:fooli1ei2eee");
  ASSERT_TRUE(v);
  ASSERT_TRUE(v->is_dict());
  EXPECT_EQ(v->find("bar")->as_string(), "spam");
  ASSERT_TRUE(v->find("foo")->is_list());
  EXPECT_EQ(v->find("foo")->as_list().size(), 2u);
  EXPECT_EQ(v->find("foo")->as_list()[1].as_int(), 2);
  EXPECT_EQ(v->find("baz"), nullptr);
  EXPECT_TRUE(decode("le")->as_list().empty());
  EXPECT_TRUE(decode("de")->as_dict().empty());
}

TEST(BencodeDecode, RemembersRawSpanOfNestedValues) {
  const std::string input = "d4:infod4:name1:xe5:otheri1ee";
  auto v = decode(input);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->find("info")->raw(), "d4:name1:xe");
  EXPECT_EQ(v->raw(), input);
}

struct rejection {
  std::string input;
  errc expected;
  std::size_t offset;
};

void PrintTo(const rejection& r, std::ostream* os) {
  *os << '"' << r.input << '"';
}

class BencodeRejects : public ::testing::TestWithParam<rejection> {};

TEST_P(BencodeRejects, WithTheSpecificErrorAndOffset) {
  const auto& c = GetParam();
  decode_error_info info{};
  auto v = decode(c.input, decode_limits{}, &info);
  ASSERT_FALSE(v) << "accepted " << c.input;
  EXPECT_EQ(v.error().code, make_error_code(c.expected)) << v.error().message();
  EXPECT_EQ(info.code, c.expected);
  EXPECT_EQ(info.offset, c.offset) << v.error().message();
  EXPECT_NE(v.error().message().find("at byte " + std::to_string(c.offset)), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    StrictBep3, BencodeRejects,
    ::testing::Values(
        rejection{"i03e", errc::leading_zero, 0}, rejection{"i-03e", errc::leading_zero, 0},
        rejection{"03:abc", errc::leading_zero, 0}, rejection{"i-0e", errc::negative_zero, 0},
        rejection{"ie", errc::invalid_integer, 0}, rejection{"i-e", errc::invalid_integer, 0},
        rejection{"i1x2e", errc::invalid_integer, 2},
        rejection{"i9223372036854775808e", errc::integer_overflow, 0},
        rejection{"i-9223372036854775809e", errc::integer_overflow, 0},
        rejection{"i99999999999999999999999e", errc::integer_overflow, 0},
        rejection{"-1:a", errc::unexpected_byte, 0},
        rejection{"1-:a", errc::invalid_string_length, 1},
        rejection{"99999999999999999999999:a", errc::invalid_string_length, 0},
        rejection{"5:abc", errc::string_out_of_bounds, 0},
        rejection{"i42", errc::unexpected_end, 3}, rejection{"l4:spam", errc::unexpected_end, 7},
        rejection{"d3:foo", errc::unexpected_end, 6}, rejection{"", errc::unexpected_end, 0},
        rejection{"4", errc::unexpected_end, 1}, rejection{"x", errc::unexpected_byte, 0},
        rejection{"di1ei2ee", errc::key_not_string, 1},
        rejection{"d1:b0:1:a0:e", errc::unsorted_keys, 6},
        rejection{"d1:a0:1:a0:e", errc::duplicate_key, 6},
        rejection{"i1ei2e", errc::trailing_bytes, 3},
        rejection{"4:spamx", errc::trailing_bytes, 6}));

TEST(BencodeDecode, SortsKeysAsRawBytes) {
  // 0xff sorts after 'z' as an unsigned byte.
  EXPECT_TRUE(
      decode("d1:z0:1:\xff"
             "0:e"));
  EXPECT_FALSE(
      decode("d1:\xff"
             "0:1:z0:e"));
  EXPECT_TRUE(decode("d1:a0:2:aa0:e"));  // a prefix sorts first
}

TEST(BencodeDecode, LenientModeSortsUnsortedKeysButRejectsDuplicates) {
  decode_limits lenient;
  lenient.require_sorted_keys = false;
  auto v = decode("d1:bi2e1:ai1ee", lenient);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->find("a")->as_int(), 1);
  EXPECT_EQ(v->find("b")->as_int(), 2);
  auto dup = decode("d1:bi2e1:ai1e1:bi3ee", lenient);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, make_error_code(errc::duplicate_key));
}

TEST(BencodeDecode, EnforcesDepthLimit) {
  std::string ok(100, 'l'), deep(101, 'l');
  ok += std::string(100, 'e');
  deep += std::string(101, 'e');
  EXPECT_TRUE(decode(ok));
  decode_error_info info{};
  auto v = decode(deep, decode_limits{}, &info);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, make_error_code(errc::depth_exceeded));
  EXPECT_EQ(info.offset, 100u);
}

TEST(BencodeDecode, EnforcesTokenLimit) {
  decode_limits limits;
  limits.max_tokens = 3;
  EXPECT_TRUE(decode("li1ei2ee", limits));
  auto v = decode("li1ei2ei3ee", limits);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, make_error_code(errc::token_limit_exceeded));
  // Dictionary keys count as tokens too.
  EXPECT_FALSE(decode("d1:ai1e1:bi2ee", limits));
}

TEST(BencodeDecode, EnforcesInputSizeLimit) {
  decode_limits limits;
  limits.max_size = 4;
  EXPECT_TRUE(decode("i42e", limits));
  auto v = decode("i420e", limits);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, make_error_code(errc::input_too_large));
}

TEST(BencodeDecode, PrefixDecodeReportsConsumedBytes) {
  std::size_t used = 0;
  auto v = decode_prefix("i1e\n", used);
  ASSERT_TRUE(v);
  EXPECT_EQ(used, 3u);
}

class BencodeRoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(BencodeRoundTrip, EncodesBackByteIdentical) {
  auto v = decode(GetParam());
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ(encode(*v), GetParam());
  EXPECT_EQ(v->raw(), GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    ValidInputs, BencodeRoundTrip,
    ::testing::Values("i0e", "i-1e", "i9223372036854775807e", "0:", "4:spam", "le", "de",
                      "l4:spami42ee", "d3:bar4:spam3:fooi42ee", "d1:ad1:bl1:ci-3eeee",
                      std::string("5:\0\x01\x02\xfe\xff", 7), "lli1eeli2eee",
                      "d8:announce13:http://x/ann/4:infod6:lengthi3e4:name1:a12:piece "
                      "lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee"));

TEST(BencodeWriter, BuildsCanonicalBencode) {
  std::string out;
  writer w(out);
  w.begin_dict().key("a").integer(-7).key("b").begin_list().string("xy").end().end();
  EXPECT_EQ(out, "d1:ai-7e1:bl2:xyee");
  EXPECT_TRUE(decode(out));
}

}  // namespace
}  // namespace corrent::bencode
