#include "core/swarm/bitfield.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/swarm/errc.hpp"

namespace corrent::swarm {
namespace {

using namespace std::string_literals;

// "10110" -> piece i set where s[i] == '1'.
bitfield bits(std::string_view s) {
  bitfield b(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '1') b.set(i);
  }
  return b;
}

std::string to_string(const bitfield& b) {
  std::string s;
  for (std::size_t i = 0; i < b.size(); ++i) s += b.test(i) ? '1' : '0';
  return s;
}

TEST(Bitfield, StartsEmptyOrFull) {
  const bitfield empty(10);
  EXPECT_EQ(empty.size(), 10u);
  EXPECT_EQ(empty.count(), 0u);
  EXPECT_TRUE(empty.none());
  EXPECT_FALSE(empty.all());

  const bitfield full(70, true);
  EXPECT_EQ(full.count(), 70u);
  EXPECT_TRUE(full.all());
  EXPECT_FALSE(full.none());
  EXPECT_EQ(to_string(full), std::string(70, '1'));
}

TEST(Bitfield, CountFollowsSetAndResetOnce) {
  bitfield b(130);
  b.set(0);
  b.set(64);
  b.set(129);
  b.set(129);  // setting twice counts once
  EXPECT_EQ(b.count(), 3u);
  EXPECT_TRUE(b.test(129));
  EXPECT_FALSE(b.test(128));
  b.reset(64);
  b.reset(64);
  b.reset(5);  // resetting a clear bit changes nothing
  EXPECT_EQ(b.count(), 2u);
  EXPECT_FALSE(b.test(64));
  b.set_all();
  EXPECT_TRUE(b.all());
  EXPECT_EQ(b.count(), 130u);
}

TEST(Bitfield, ToWireHighBitOfFirstByteIsPieceZero) {
  EXPECT_EQ(bits("1").to_wire(), "\x80"s);
  EXPECT_EQ(bits("10000000"
                 "01")
                .to_wire(),
            "\x80\x40"s);
  EXPECT_EQ(bits("00000001").to_wire(), "\x01"s);
  EXPECT_EQ(bits("").to_wire(), ""s);
}

TEST(Bitfield, SetAllLeavesSpareBitsClearOnTheWire) {
  EXPECT_EQ(bitfield(12, true).to_wire(), "\xff\xf0"s);
  EXPECT_EQ(bitfield(64, true).to_wire(), std::string(8, '\xff'));
}

TEST(Bitfield, FromWireReadsPiecesMostSignificantBitFirst) {
  const auto b = bitfield::from_wire("\xa0\x01\x80"s, 17);
  ASSERT_TRUE(b.has_value()) << b.error().message();
  EXPECT_EQ(to_string(*b),
            "10100000"
            "00000001"
            "1");
  EXPECT_EQ(b->count(), 4u);
}

TEST(Bitfield, FromWireRoundTripsAcrossWordBoundaries) {
  // 200 pieces: every third one, so each byte and each 64-bit word differs.
  std::string pattern;
  for (int i = 0; i < 200; ++i) pattern += i % 3 == 0 ? '1' : '0';
  const bitfield original = bits(pattern);
  const auto back = bitfield::from_wire(original.to_wire(), 200);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, original);
  EXPECT_EQ(back->count(), original.count());
  EXPECT_EQ(to_string(*back), pattern);
}

TEST(Bitfield, FromWireRejectsWrongLength) {
  struct test_case {
    std::string bytes;
    std::size_t size;
  };
  for (const auto& [bytes, size] : {test_case{"", 1}, test_case{"\x00\x00"s, 8},
                                    test_case{"\x00"s, 9}, test_case{"\x00"s, 0}}) {
    const auto b = bitfield::from_wire(bytes, size);
    ASSERT_FALSE(b.has_value()) << bytes.size() << " bytes for " << size << " pieces";
    EXPECT_EQ(b.error(), errc::bad_bitfield_length);
  }
}

TEST(Bitfield, FromWireRejectsSpareBits) {
  const auto b = bitfield::from_wire("\xff\x08"s, 12);  // bit of piece 12 set
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error(), errc::bitfield_spare_bits);
  EXPECT_TRUE(bitfield::from_wire("\xff\xf0"s, 12).has_value());
  EXPECT_FALSE(bitfield::from_wire("\x01"s, 7).has_value());
}

TEST(Bitfield, EmptyTorrentHasEmptyBitfield) {
  const auto b = bitfield::from_wire("", 0);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->size(), 0u);
  EXPECT_TRUE(b->none());
}

TEST(Bitfield, ErrorsNameTheProblem) {
  const auto b = bitfield::from_wire("\x00"s, 20);
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error().code.category().name(), std::string("swarm"));
  EXPECT_EQ(b.error().message(),
            "swarm: bitfield has the wrong length: got 1 bytes, expected 3 for 20 pieces");
  EXPECT_EQ(make_error_code(errc::block_out_of_range).message(), "swarm: block outside its piece");
}

}  // namespace
}  // namespace corrent::swarm
