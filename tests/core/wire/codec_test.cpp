#include "core/wire/codec.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

namespace corrent::wire {

// For readable failures; found by argument-dependent lookup.
static void PrintTo(const message& m, std::ostream* os) {
  *os << "{type " << int(m.type) << ", raw_id " << int(m.raw_id) << ", piece " << m.piece
      << ", begin " << m.begin << ", length " << m.length << ", port " << m.port << ", extended_id "
      << int(m.extended_id) << ", payload " << m.payload.size() << " bytes}";
}

namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;

// A decoded message whose payload is copied out of the decoder, so that it outlives the
// next write to the decoder.
struct owned_message {
  message m;
  std::string payload;

  explicit owned_message(const message& in) : m(in), payload(in.payload) { m.payload = payload; }
  owned_message(const owned_message& o) : m(o.m), payload(o.payload) { m.payload = payload; }
  owned_message& operator=(const owned_message&) = delete;
};

// Feeds `bytes` whole and returns every message, failing the test on a decode error.
std::vector<owned_message> decode_all(decoder& d, std::string_view bytes) {
  d.feed(bytes);
  std::vector<owned_message> out;
  for (;;) {
    auto r = d.next();
    EXPECT_TRUE(r) << r.error().message();
    if (!r || !*r) break;
    out.emplace_back(**r);
  }
  return out;
}

message make(message_type type, std::uint8_t raw_id) {
  message m;
  m.type = type;
  m.raw_id = raw_id;
  return m;
}

struct wire_case {
  const char* name;
  std::string_view bytes;        // exactly what goes on the wire
  void (*encode)(std::string&);  // our encoder for it
  message expected;              // what the decoder yields
};

void PrintTo(const wire_case& c, std::ostream* os) {
  *os << c.name;
}

std::vector<wire_case> every_message_type() {
  std::vector<wire_case> cases;
  cases.push_back({"keep_alive", "\0\0\0\0"sv, encode_keep_alive, message{}});
  cases.push_back({"choke", "\0\0\0\x01\x00"sv, encode_choke, make(message_type::choke, 0)});
  cases.push_back({"unchoke", "\0\0\0\x01\x01"sv, encode_unchoke, make(message_type::unchoke, 1)});
  cases.push_back(
      {"interested", "\0\0\0\x01\x02"sv, encode_interested, make(message_type::interested, 2)});
  cases.push_back({"not_interested", "\0\0\0\x01\x03"sv, encode_not_interested,
                   make(message_type::not_interested, 3)});
  {
    message m = make(message_type::have, 4);
    m.piece = 0x01020304;
    cases.push_back({"have", "\0\0\0\x05\x04\x01\x02\x03\x04"sv,
                     [](std::string& o) { encode_have(o, 0x01020304); }, m});
  }
  {
    message m = make(message_type::bitfield, 5);
    m.payload = "\xff\x80"sv;
    cases.push_back({"bitfield", "\0\0\0\x03\x05\xff\x80"sv,
                     [](std::string& o) { encode_bitfield(o, "\xff\x80"sv); }, m});
  }
  {
    message m = make(message_type::request, 6);
    m.piece = 1;
    m.begin = 0x4000;
    m.length = 0x4000;
    cases.push_back({"request", "\0\0\0\x0d\x06\0\0\0\x01\0\0\x40\0\0\0\x40\0"sv,
                     [](std::string& o) { encode_request(o, 1, 0x4000, 0x4000); }, m});
  }
  {
    message m = make(message_type::piece, 7);
    m.piece = 2;
    m.begin = 0x10;
    m.length = 3;
    m.payload = "abc"sv;
    cases.push_back({"piece",
                     "\0\0\0\x0c\x07\0\0\0\x02\0\0\0\x10"
                     "abc"sv,
                     [](std::string& o) {
                       encode_piece_header(o, 2, 0x10, 3);
                       o += "abc";
                     },
                     m});
    cases.push_back({"piece_header_into_raw_memory",
                     "\0\0\0\x0c\x07\0\0\0\x02\0\0\0\x10"
                     "abc"sv,
                     [](std::string& o) {
                       char raw[piece_header_size + 1];
                       raw[piece_header_size] = '!';
                       encode_piece_header(raw, 2, 0x10, 3);
                       EXPECT_EQ(raw[piece_header_size], '!');  // no overrun
                       o.append(raw, piece_header_size);
                       o += "abc";
                     },
                     m});
  }
  {
    message m = make(message_type::piece, 7);
    m.piece = 0xfffffffe;
    m.begin = 0x8000;
    cases.push_back({"piece_with_empty_block", "\0\0\0\x09\x07\xff\xff\xff\xfe\0\0\x80\0"sv,
                     [](std::string& o) { encode_piece_header(o, 0xfffffffe, 0x8000, 0); }, m});
  }
  {
    message m = make(message_type::cancel, 8);
    m.piece = 0x0a0b0c0d;
    m.begin = 0;
    m.length = 0x3fff;
    cases.push_back({"cancel", "\0\0\0\x0d\x08\x0a\x0b\x0c\x0d\0\0\0\0\0\0\x3f\xff"sv,
                     [](std::string& o) { encode_cancel(o, 0x0a0b0c0d, 0, 0x3fff); }, m});
  }
  {
    message m = make(message_type::port, 9);
    m.port = 6881;
    cases.push_back(
        {"port", "\0\0\0\x03\x09\x1a\xe1"sv, [](std::string& o) { encode_port(o, 6881); }, m});
  }
  {
    message m = make(message_type::suggest, 13);
    m.piece = 7;
    cases.push_back(
        {"suggest", "\0\0\0\x05\x0d\0\0\0\x07"sv, [](std::string& o) { encode_suggest(o, 7); }, m});
  }
  cases.push_back(
      {"have_all", "\0\0\0\x01\x0e"sv, encode_have_all, make(message_type::have_all, 14)});
  cases.push_back(
      {"have_none", "\0\0\0\x01\x0f"sv, encode_have_none, make(message_type::have_none, 15)});
  {
    message m = make(message_type::reject, 16);
    m.piece = 3;
    m.begin = 0x4000;
    m.length = 0x4000;
    cases.push_back({"reject", "\0\0\0\x0d\x10\0\0\0\x03\0\0\x40\0\0\0\x40\0"sv,
                     [](std::string& o) { encode_reject(o, 3, 0x4000, 0x4000); }, m});
  }
  {
    message m = make(message_type::allowed_fast, 17);
    m.piece = 0x00ff0000;
    cases.push_back({"allowed_fast", "\0\0\0\x05\x11\x00\xff\x00\x00"sv,
                     [](std::string& o) { encode_allowed_fast(o, 0x00ff0000); }, m});
  }
  {
    message m = make(message_type::extended, 20);
    m.extended_id = 0;
    m.payload = "d1:md6:ut_pexi1eee"sv;
    cases.push_back({"extended_handshake",
                     "\0\0\0\x14\x14\x00"
                     "d1:md6:ut_pexi1eee"sv,
                     [](std::string& o) { encode_extended(o, 0, "d1:md6:ut_pexi1eee"); }, m});
  }
  {
    message m = make(message_type::extended, 20);
    m.extended_id = 3;
    cases.push_back({"extended_empty_payload", "\0\0\0\x02\x14\x03"sv,
                     [](std::string& o) { encode_extended(o, 3, ""); }, m});
  }
  return cases;
}

class WireMessage : public ::testing::TestWithParam<wire_case> {};

TEST_P(WireMessage, EncodesToTheBep3Bytes) {
  const auto& c = GetParam();
  std::string out = "prefix";  // encoders append
  c.encode(out);
  EXPECT_EQ(out, "prefix" + std::string(c.bytes));
}

TEST_P(WireMessage, DecodesFromTheBep3Bytes) {
  const auto& c = GetParam();
  decoder d;
  const auto got = decode_all(d, c.bytes);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].m, c.expected);
  EXPECT_EQ(d.buffered(), 0u);
}

TEST_P(WireMessage, RoundTripsThroughEncoderAndDecoder) {
  const auto& c = GetParam();
  std::string wire;
  c.encode(wire);
  decoder d;
  const auto got = decode_all(d, wire);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].m, c.expected);
}

INSTANTIATE_TEST_SUITE_P(WireEveryType, WireMessage, ::testing::ValuesIn(every_message_type()),
                         [](const auto& info) { return std::string(info.param.name); });

std::string all_messages_concatenated() {
  std::string all;
  for (const auto& c : every_message_type()) all += c.bytes;
  return all;
}

TEST(WireDecoder, DecodesSeveralMessagesFromOneFeed) {
  const auto cases = every_message_type();
  decoder d;
  const auto got = decode_all(d, all_messages_concatenated());
  ASSERT_EQ(got.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(got[i].m, cases[i].expected) << cases[i].name;
  }
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(WireDecoder, DecodesMessagesFedOneByteAtATime) {
  const auto cases = every_message_type();
  const std::string all = all_messages_concatenated();
  // Offsets at which each message becomes complete.
  std::vector<std::size_t> ends;
  std::size_t end = 0;
  for (const auto& c : cases) ends.push_back(end += c.bytes.size());

  decoder d;
  std::vector<owned_message> got;
  for (std::size_t i = 0; i < all.size(); ++i) {
    d.feed(all.substr(i, 1));
    auto r = d.next();
    ASSERT_TRUE(r) << r.error().message();
    const bool complete = got.size() < ends.size() && i + 1 == ends[got.size()];
    ASSERT_EQ(r->has_value(), complete) << "after byte " << i;
    if (complete) {
      got.emplace_back(**r);
      auto again = d.next();  // one byte never completes two messages here
      ASSERT_TRUE(again);
      EXPECT_FALSE(again->has_value());
    }
  }
  ASSERT_EQ(got.size(), cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(got[i].m, cases[i].expected) << cases[i].name;
  }
}

TEST(WireDecoder, DecodesBackToBackKeepAlives) {
  decoder d;
  d.feed("\0\0\0\0\0\0\0\0\0\0"sv);  // two keep-alives and half of a third prefix
  for (int i = 0; i < 2; ++i) {
    auto r = d.next();
    ASSERT_TRUE(r && r->has_value());
    EXPECT_EQ((*r)->type, message_type::keep_alive);
  }
  auto r = d.next();
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(d.buffered(), 2u);
}

TEST(WireDecoder, WaitsForTheWholeMessage) {
  decoder d;
  d.feed(
      "\0\0\0\x0c\x07\0\0\0\x02\0\0\0\x10"
      "ab"sv);  // piece with one block byte missing
  auto r = d.next();
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_value());
  EXPECT_EQ(d.buffered(), 15u);
  d.feed("c");
  r = d.next();
  ASSERT_TRUE(r && r->has_value());
  EXPECT_EQ((*r)->payload, "abc");
  EXPECT_EQ((*r)->length, 3u);
}

TEST(WireDecoder, RejectsOversizedLengthBeforeBuffering) {
  decoder d(1024);
  d.feed("\0\0\x04"sv);  // three bytes: the length is not known yet
  auto r = d.next();
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->has_value());
  d.feed("\x01"sv);  // 1025 > 1024, and not one payload byte has arrived
  r = d.next();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::message_too_large));
  EXPECT_NE(r.error().message().find("1025"), std::string::npos) << r.error().message();
  // The error sticks: the connection is to be closed, not resynchronised.
  EXPECT_FALSE(d.next());
}

TEST(WireDecoder, RejectsA4GiBPrefixWithoutGrowingItsBuffer) {
  decoder d;
  d.feed("\xff\xff\xff\xff"sv);
  const std::size_t before = d.capacity();
  auto r = d.next();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::message_too_large));
  EXPECT_EQ(d.capacity(), before);
  EXPECT_LT(d.capacity(), std::size_t{64 * 1024});
}

TEST(WireDecoder, AcceptsALengthEqualToTheCap) {
  decoder d(6);
  d.feed("\0\0\0\x06\x05\x01\x02\x03\x04\x05"sv);  // bitfield, 1 + 5 bytes
  auto r = d.next();
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ((*r)->payload, "\x01\x02\x03\x04\x05"sv);
}

struct bad_length_case {
  const char* name;
  std::string_view bytes;
};

void PrintTo(const bad_length_case& c, std::ostream* os) {
  *os << c.name;
}

class WireDecoderBadLength : public ::testing::TestWithParam<bad_length_case> {};

TEST_P(WireDecoderBadLength, IsRejectedAsBadMessageLength) {
  decoder d;
  d.feed(GetParam().bytes);
  auto r = d.next();
  ASSERT_FALSE(r) << "accepted " << GetParam().name;
  EXPECT_EQ(r.error().code, make_error_code(errc::bad_message_length));
  EXPECT_EQ(r.error().message().rfind("peer wire: ", 0), 0u) << r.error().message();
}

// Lengths one below and one above what each fixed-size id allows, plus the minimum for
// piece and extended. Only the prefix and id are given: the check needs no payload.
INSTANTIATE_TEST_SUITE_P(WireFixedSizeIds, WireDecoderBadLength,
                         ::testing::Values(bad_length_case{"choke_2", "\0\0\0\x02\x00"sv},
                                           bad_length_case{"unchoke_2", "\0\0\0\x02\x01"sv},
                                           bad_length_case{"interested_2", "\0\0\0\x02\x02"sv},
                                           bad_length_case{"not_interested_2", "\0\0\0\x02\x03"sv},
                                           bad_length_case{"have_4", "\0\0\0\x04\x04"sv},
                                           bad_length_case{"have_6", "\0\0\0\x06\x04"sv},
                                           bad_length_case{"request_12", "\0\0\0\x0c\x06"sv},
                                           bad_length_case{"request_14", "\0\0\0\x0e\x06"sv},
                                           bad_length_case{"piece_8", "\0\0\0\x08\x07"sv},
                                           bad_length_case{"cancel_12", "\0\0\0\x0c\x08"sv},
                                           bad_length_case{"cancel_14", "\0\0\0\x0e\x08"sv},
                                           bad_length_case{"port_2", "\0\0\0\x02\x09"sv},
                                           bad_length_case{"port_4", "\0\0\0\x04\x09"sv},
                                           bad_length_case{"suggest_4", "\0\0\0\x04\x0d"sv},
                                           bad_length_case{"suggest_6", "\0\0\0\x06\x0d"sv},
                                           bad_length_case{"have_all_2", "\0\0\0\x02\x0e"sv},
                                           bad_length_case{"have_none_2", "\0\0\0\x02\x0f"sv},
                                           bad_length_case{"reject_12", "\0\0\0\x0c\x10"sv},
                                           bad_length_case{"reject_14", "\0\0\0\x0e\x10"sv},
                                           bad_length_case{"allowed_fast_4", "\0\0\0\x04\x11"sv},
                                           bad_length_case{"allowed_fast_6", "\0\0\0\x06\x11"sv},
                                           bad_length_case{"extended_1", "\0\0\0\x01\x14"sv},
                                           bad_length_case{"have_huge", "\0\x0f\0\0\x04"sv}),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(WireDecoder, RejectsBadLengthWithFullPayloadPresentToo) {
  decoder d;
  d.feed("\0\0\0\x06\x04\0\0\0\x01\x02"sv);  // have with one byte too many
  auto r = d.next();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::bad_message_length));
  EXPECT_NE(r.error().message().find("expected 5"), std::string::npos) << r.error().message();
}

struct unknown_case {
  std::string_view bytes;
  std::uint8_t raw_id;
  std::string_view payload;
};

TEST(WireDecoder, ReturnsUnknownIdsAsUnknownAndCarriesOn) {
  const unknown_case cases[] = {
      {"\0\0\0\x01\x0a"sv, 10, ""sv},           {"\0\0\0\x03\x0b\xab\xcd"sv, 11, "\xab\xcd"sv},
      {"\0\0\0\x02\x0c\x00"sv, 12, "\x00"sv},   {"\0\0\0\x01\x12"sv, 18, ""sv},
      {"\0\0\0\x02\x13z"sv, 19, "z"sv},         {"\0\0\0\x01\x15"sv, 21, ""sv},
      {"\0\0\0\x01\xfe"sv, 0xfe, ""sv},          // our marker value for unknown
      {"\0\0\0\x02\xff\x01"sv, 0xff, "\x01"sv},  // our marker value for keep-alive
  };
  for (const auto& c : cases) {
    decoder d;
    const auto got = decode_all(d, std::string(c.bytes) + "\0\0\0\x01\x01"s);  // + unchoke
    ASSERT_EQ(got.size(), 2u) << int(c.raw_id);
    EXPECT_EQ(got[0].m.type, message_type::unknown) << int(c.raw_id);
    EXPECT_EQ(got[0].m.raw_id, c.raw_id);
    EXPECT_EQ(got[0].m.payload, c.payload) << int(c.raw_id);
    EXPECT_EQ(got[1].m.type, message_type::unchoke) << int(c.raw_id);
  }
}

TEST(WireDecoder, PrepareGivesAtLeastTheSpaceAskedFor) {
  decoder d;
  for (std::size_t n : {std::size_t{1}, std::size_t{5}, std::size_t{100'000}, std::size_t{3}}) {
    d.feed("\0\0\0\x0d\x06\0\0\0"sv);  // half a request stays buffered
    EXPECT_GE(d.prepare(n).size(), n);
    d.feed("\x01\0\0\0\0\0\0\x40\0"sv);
    auto r = d.next();
    ASSERT_TRUE(r && r->has_value());
    EXPECT_EQ((*r)->type, message_type::request);
    EXPECT_EQ((*r)->piece, 1u);
  }
}

TEST(WireDecoder, DecodesWhatWasWrittenIntoPreparedSpace) {
  decoder d;
  auto space = d.prepare(64 * 1024);
  const auto bytes = "\0\0\0\x05\x04\0\0\x01\x00"sv;  // have 256
  std::copy(bytes.begin(), bytes.end(), space.begin());
  d.commit(bytes.size());
  auto r = d.next();
  ASSERT_TRUE(r && r->has_value());
  EXPECT_EQ((*r)->type, message_type::have);
  EXPECT_EQ((*r)->piece, 256u);
}

// The download hot path: 64 KiB reads carrying 16 KiB piece messages that straddle the
// reads. After the first reads the buffer must stop growing (no allocation per message).
TEST(WireDecoder, ReusesItsBufferInSteadyState) {
  std::string stream;
  for (std::uint32_t i = 0; i < 200; ++i) {
    encode_piece_header(stream, i, 0, block_size);
    stream.append(block_size, static_cast<char>(i));
  }
  decoder d;
  std::size_t capacity_after_warmup = 0;
  std::size_t reads = 0;
  std::uint32_t decoded = 0;
  for (std::size_t at = 0; at < stream.size();) {
    auto space = d.prepare(64 * 1024);
    const std::size_t n = std::min(std::size_t{64 * 1024}, stream.size() - at);
    std::copy_n(stream.data() + at, n, space.data());
    d.commit(n);
    at += n;
    for (;;) {
      auto r = d.next();
      ASSERT_TRUE(r);
      if (!*r) break;
      ASSERT_EQ((*r)->piece, decoded);
      ASSERT_EQ((*r)->length, block_size);
      ASSERT_EQ((*r)->payload.front(), static_cast<char>(decoded));
      ASSERT_EQ((*r)->payload.back(), static_cast<char>(decoded));
      ++decoded;
    }
    if (++reads == 4) {
      capacity_after_warmup = d.capacity();
    } else if (reads > 4) {
      ASSERT_EQ(d.capacity(), capacity_after_warmup) << "at read " << reads;
    }
  }
  EXPECT_EQ(decoded, 200u);
  EXPECT_GT(reads, 40u);
  EXPECT_LE(capacity_after_warmup, std::size_t{256 * 1024});
}

TEST(WireDecoder, GrowsForAMessageLargerThanItsBuffer) {
  // A bitfield for 2,400,000 pieces, fed in 1 KiB reads.
  const std::string bits(300'000, '\xaa');
  std::string wire;
  encode_bitfield(wire, bits);
  decoder d;
  std::vector<owned_message> got;
  for (std::size_t at = 0; at < wire.size(); at += 1024) {
    d.feed(std::string_view(wire).substr(at, 1024));
    auto r = d.next();
    ASSERT_TRUE(r) << r.error().message();
    if (*r) got.emplace_back(**r);
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].m.type, message_type::bitfield);
  EXPECT_EQ(got[0].payload, bits);
  EXPECT_GE(d.capacity(), wire.size());
  EXPECT_LE(d.capacity(), default_max_message_length + 4 + 1024);
}

// BEP 3 handshake: 19, "BitTorrent protocol", reserved (here: extensions + fast + DHT),
// info-hash 0x00..0x13, peer id "-CR0001-abcdefghijkl".
constexpr std::string_view good_handshake =
    "\x13"
    "BitTorrent protocol"
    "\0\0\0\0\0\x10\0\x05"
    "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13"
    "-CR0001-abcdefghijkl"sv;

TEST(WireHandshake, DecodesTheBep3Layout) {
  ASSERT_EQ(good_handshake.size(), handshake_size);
  auto h = decode_handshake(good_handshake);
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_EQ(h->reserved, (std::array<std::uint8_t, 8>{0, 0, 0, 0, 0, 0x10, 0, 0x05}));
  for (std::uint8_t i = 0; i < 20; ++i) EXPECT_EQ(h->info_hash[i], i);
  EXPECT_EQ(std::string(h->id.begin(), h->id.end()), "-CR0001-abcdefghijkl");
}

TEST(WireHandshake, EncodesToTheBep3LayoutAndRoundTrips) {
  auto h = decode_handshake(good_handshake);
  ASSERT_TRUE(h);
  const auto bytes = encode_handshake(*h);
  EXPECT_EQ(std::string_view(bytes.data(), bytes.size()), good_handshake);
  auto again = decode_handshake(std::string_view(bytes.data(), bytes.size()));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *h);
}

TEST(WireHandshake, ReadsReservedBitsForExtensionsAndFast) {
  struct reserved_case {
    std::array<std::uint8_t, 8> reserved;
    bool extensions;
    bool fast;
  };
  const reserved_case cases[] = {
      {{0, 0, 0, 0, 0, 0, 0, 0}, false, false},
      {{0, 0, 0, 0, 0, 0x10, 0, 0}, true, false},
      {{0, 0, 0, 0, 0, 0, 0, 0x04}, false, true},
      {{0, 0, 0, 0, 0, 0x10, 0, 0x04}, true, true},
      {{0, 0, 0, 0, 0, 0, 0, 0x01}, false, false},                       // DHT only
      {{0xff, 0xff, 0xff, 0xff, 0xff, 0xef, 0xff, 0xfb}, false, false},  // all but ours
  };
  for (const auto& c : cases) {
    handshake h;
    h.reserved = c.reserved;
    // Through the wire, so the bits are read back from the bytes at offset 20.
    const auto bytes = encode_handshake(h);
    auto decoded = decode_handshake(std::string_view(bytes.data(), bytes.size()));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(decoded->supports_extensions(), c.extensions) << int(c.reserved[5]);
    EXPECT_EQ(decoded->supports_fast(), c.fast) << int(c.reserved[7]);
  }
}

TEST(WireHandshake, RejectsAWrongProtocolString) {
  const std::string_view bad_prefixes[] = {
      "\x12"
      "BitTorrent protocol"sv,  // wrong length byte
      "\x13"
      "BitTorrent Protocol"sv,  // capital P
      "\x13"
      "BitTorrent protocoL"sv,  // last character
      "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"sv,
  };
  for (const auto prefix : bad_prefixes) {
    ASSERT_EQ(prefix.size(), 20u);
    const std::string bytes = std::string(prefix) + std::string(good_handshake.substr(20));
    auto h = decode_handshake(bytes);
    ASSERT_FALSE(h) << prefix;
    EXPECT_EQ(h.error().code, make_error_code(errc::bad_protocol_string));
  }
}

TEST(WireHandshake, RejectsAWrongSize) {
  const std::string_view inputs[] = {good_handshake.substr(0, 67), std::string_view{},
                                     good_handshake.substr(0, 20)};
  for (const auto in : inputs) {
    auto h = decode_handshake(in);
    ASSERT_FALSE(h) << in.size();
    EXPECT_EQ(h.error().code, make_error_code(errc::bad_message_length));
  }
  auto h = decode_handshake(std::string(good_handshake) + "x");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, make_error_code(errc::bad_message_length));
}

TEST(WireErrc, MessagesNameThePeerWire) {
  for (auto e : {errc::bad_protocol_string, errc::message_too_large, errc::bad_message_length}) {
    const auto code = make_error_code(e);
    EXPECT_STREQ(code.category().name(), "wire");
    EXPECT_EQ(code.message().rfind("peer wire: ", 0), 0u) << code.message();
    EXPECT_EQ(code.message().find("unknown"), std::string::npos) << code.message();
  }
}

}  // namespace
}  // namespace corrent::wire
