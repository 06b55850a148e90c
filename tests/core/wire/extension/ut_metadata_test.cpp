#include "core/wire/extension/ut_metadata.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "core/wire/extension/errc.hpp"

namespace corrent::wire::ext {

// For readable failures; found by argument-dependent lookup.
static void PrintTo(const metadata_message& m, std::ostream* os) {
  *os << "{type " << int(m.type) << ", piece " << m.piece << ", total_size " << m.total_size
      << ", data " << m.data.size() << " bytes}";
}

namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

metadata_message decoded(std::string_view payload) {
  auto r = decode_metadata(payload);
  EXPECT_TRUE(r) << r.error().message();
  return r ? *r : metadata_message{};
}

void expect_error(std::string_view payload, errc expected) {
  auto r = decode_metadata(payload);
  ASSERT_FALSE(r) << "accepted " << payload.substr(0, 80);
  EXPECT_EQ(r.error().code, make_error_code(expected)) << r.error().message();
}

metadata_message message(metadata_msg_type type, std::uint32_t piece, std::int64_t total_size = 0,
                         std::string_view data = {}) {
  metadata_message m;
  m.type = type;
  m.piece = piece;
  m.total_size = total_size;
  m.data = data;
  return m;
}

// A plausible 16 KiB slice of an info dictionary.
std::string info_bytes(std::size_t size) {
  std::string s =
      "d5:filesld6:lengthi1048576e4:pathl9:track.flaceee4:name5:album12:piece "
      "lengthi16384e6:pieces";
  while (s.size() < size) s += static_cast<char>('A' + s.size() % 26);
  s.resize(size);
  return s;
}

// ---------------------------------------------------------------------------------------
// Encoding and round trips

TEST(UtMetadata, EncodesTheThreeMessagesAsBep9Shows) {
  EXPECT_EQ(encode_metadata_request(0), "d8:msg_typei0e5:piecei0ee");
  EXPECT_EQ(encode_metadata_reject(7), "d8:msg_typei2e5:piecei7ee");
  EXPECT_EQ(encode_metadata_data(1, 31235, "xyz"),
            "d8:msg_typei1e5:piecei1e10:total_sizei31235eexyz");
  EXPECT_EQ(encode_metadata_request(4294967295u), "d8:msg_typei0e5:piecei4294967295ee");
}

TEST(UtMetadata, RoundTripsEveryType) {
  EXPECT_EQ(decoded(encode_metadata_request(0)), message(metadata_msg_type::request, 0));
  EXPECT_EQ(decoded(encode_metadata_request(max_metadata_piece)),
            message(metadata_msg_type::request, max_metadata_piece));
  EXPECT_EQ(decoded(encode_metadata_reject(12)), message(metadata_msg_type::reject, 12));

  const std::string full = info_bytes(metadata_piece_size);
  EXPECT_EQ(decoded(encode_metadata_data(0, 40000, full)),
            message(metadata_msg_type::data, 0, 40000, full));
  const std::string tail = info_bytes(40000 - 2 * metadata_piece_size);
  EXPECT_EQ(decoded(encode_metadata_data(2, 40000, tail)),
            message(metadata_msg_type::data, 2, 40000, tail));
  EXPECT_EQ(decoded(encode_metadata_data(0, 1, "")), message(metadata_msg_type::data, 0, 1, ""));
}

TEST(UtMetadata, DataViewsThePayloadRightAfterTheDictionary) {
  const std::string header = "d8:msg_typei1e5:piecei0e10:total_sizei8119ee";
  const std::string payload = header + info_bytes(8119);
  const metadata_message m = decoded(payload);
  EXPECT_EQ(m.type, metadata_msg_type::data);
  EXPECT_EQ(m.total_size, 8119);
  EXPECT_EQ(m.data.data(), payload.data() + header.size());  // no copy
  EXPECT_EQ(m.data.size(), 8119u);
}

// ---------------------------------------------------------------------------------------
// What real clients send

TEST(UtMetadata, DecodesLibtorrentAndTransmissionMessages) {
  EXPECT_EQ(decoded("d8:msg_typei0e5:piecei3ee"), message(metadata_msg_type::request, 3));
  EXPECT_EQ(decoded("d8:msg_typei2e5:piecei3ee"), message(metadata_msg_type::reject, 3));
  const std::string data = info_bytes(metadata_piece_size);
  EXPECT_EQ(decoded("d8:msg_typei1e5:piecei0e10:total_sizei31235ee" + data),
            message(metadata_msg_type::data, 0, 31235, data));
  // Some clients repeat total_size in every message type; it means nothing outside data.
  EXPECT_EQ(decoded("d8:msg_typei2e5:piecei1e10:total_sizei31235ee"),
            message(metadata_msg_type::reject, 1));
}

TEST(UtMetadata, DataThatLooksLikeBencodeIsStillData) {
  // The piece bytes start with the info dictionary's own "d": they belong to data.
  const std::string info =
      "d6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces20:01234567890123456789e";
  const std::string payload =
      "d8:msg_typei1e5:piecei0e10:total_sizei" + std::to_string(info.size()) + "ee" + info;
  const metadata_message m = decoded(payload);  // views payload: keep it alive
  EXPECT_EQ(m.data, info);
}

// ---------------------------------------------------------------------------------------
// Leniency

TEST(UtMetadata, IgnoresUnknownKeysAndKeyOrder) {
  EXPECT_EQ(decoded("d5:piecei5e8:msg_typei0ee"), message(metadata_msg_type::request, 5));
  EXPECT_EQ(decoded("d1:ali1ee8:msg_typei0e1:nd1:xi1ee5:piecei5e1:z0:e"),
            message(metadata_msg_type::request, 5));
}

TEST(UtMetadata, IgnoresBytesAfterARequestOrReject) {
  const metadata_message r = decoded("d8:msg_typei0e5:piecei1eeGARBAGE");
  EXPECT_EQ(r, message(metadata_msg_type::request, 1));
  EXPECT_TRUE(r.data.empty());
  EXPECT_EQ(decoded("d8:msg_typei2e5:piecei1ee\0\0\0"sv), message(metadata_msg_type::reject, 1));
}

TEST(UtMetadata, AcceptsPieceUpTo2To31) {
  EXPECT_EQ(decoded("d8:msg_typei0e5:piecei2147483648ee").piece, 2147483648u);
  EXPECT_EQ(decoded("d8:msg_typei0e5:piecei2147483647ee").piece, 2147483647u);
}

// ---------------------------------------------------------------------------------------
// Errors

TEST(UtMetadata, RejectsWhatIsNotADictionary) {
  expect_error("", errc::not_a_dictionary);
  expect_error("i0e", errc::not_a_dictionary);
  expect_error("li0ee", errc::not_a_dictionary);
  expect_error("5:piece", errc::not_a_dictionary);
  expect_error("d8:msg_typei0e5:piecei0e", errc::not_a_dictionary);  // truncated
  expect_error("d8:msg_typei0e8:msg_typei0ee", errc::not_a_dictionary);
  expect_error(std::string(100'000, 'l'), errc::not_a_dictionary);
}

TEST(UtMetadata, RejectsAMissingOrUnknownMsgType) {
  expect_error("d5:piecei0ee", errc::missing_msg_type);
  expect_error("de", errc::missing_msg_type);
  expect_error("d8:msg_type1:05:piecei0ee", errc::missing_msg_type);
  expect_error("d8:msg_typei3e5:piecei0ee", errc::unknown_msg_type);
  expect_error("d8:msg_typei-1e5:piecei0ee", errc::unknown_msg_type);
  expect_error("d8:msg_typei256e5:piecei0ee", errc::unknown_msg_type);
}

TEST(UtMetadata, RejectsABadPiece) {
  expect_error("d8:msg_typei0ee", errc::bad_piece);
  expect_error("d8:msg_typei0e5:piece1:0e", errc::bad_piece);
  expect_error("d8:msg_typei0e5:piecei-1ee", errc::bad_piece);
  expect_error("d8:msg_typei2e5:piecei2147483649ee", errc::bad_piece);
  expect_error("d8:msg_typei0e5:piecei4294967296ee", errc::bad_piece);
  expect_error("d8:msg_typei1e5:piecei-9223372036854775808e10:total_sizei1eex", errc::bad_piece);
}

TEST(UtMetadata, RejectsDataWithoutAPositiveTotalSize) {
  expect_error("d8:msg_typei1e5:piecei0eexyz", errc::bad_total_size);
  expect_error("d8:msg_typei1e5:piecei0e10:total_size3:100exyz", errc::bad_total_size);
  expect_error("d8:msg_typei1e5:piecei0e10:total_sizei0eexyz", errc::bad_total_size);
  expect_error("d8:msg_typei1e5:piecei0e10:total_sizei-5eexyz", errc::bad_total_size);
}

TEST(UtMetadata, RejectsDataLongerThan16KiB) {
  EXPECT_TRUE(decode_metadata(encode_metadata_data(0, 1 << 20, info_bytes(metadata_piece_size))));
  expect_error(encode_metadata_data(0, 1 << 20, info_bytes(metadata_piece_size + 1)),
               errc::metadata_piece_too_large);
  expect_error(encode_metadata_data(0, 1 << 20, std::string(max_payload_size - 100, 'x')),
               errc::metadata_piece_too_large);
  expect_error(encode_metadata_data(0, 1 << 20, std::string(max_payload_size, 'x')),
               errc::payload_too_large);
}

}  // namespace
}  // namespace corrent::wire::ext
