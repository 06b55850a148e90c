#include "core/wire/extension/ut_pex.hpp"

#include <gtest/gtest.h>

#include <ostream>
#include <string>
#include <vector>

#include "core/bencode/encode.hpp"
#include "core/net/peer_address_print.hpp"
#include "core/wire/extension/errc.hpp"

namespace corrent::wire::ext {

// For readable failures; found by argument-dependent lookup.
static void PrintTo(const pex_peer& p, std::ostream* os) {
  *os << p.address.to_string() << " flags " << int(p.flags);
}

namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;
using net::peer_address;

peer_address addr(const char* text) {
  auto a = peer_address::parse(text);
  EXPECT_TRUE(a) << text;
  return a.value_or(peer_address{});
}

pex_peer peer(const char* text, std::uint8_t flags) {
  return {addr(text), flags};
}

pex_message decoded(std::string_view payload, std::size_t max_peers = 200) {
  auto r = decode_pex(payload, max_peers);
  EXPECT_TRUE(r) << r.error().message();
  return r ? *r : pex_message{};
}

// A bencoded dictionary of string values, keys given in order.
std::string dict(std::initializer_list<std::pair<std::string_view, std::string_view>> entries) {
  std::string out;
  bencode::writer w(out);
  w.begin_dict();
  for (const auto& [k, v] : entries) w.key(k).string(v);
  w.end();
  return out;
}

// n compact v4 (6 bytes) or v6 (18 bytes) entries: peer i (1..n) is 10.0.0.0 + i or
// 2001:db8:: + i, port i (mod 65536).
std::string compact(std::size_t n, bool v6) {
  std::string out;
  for (std::size_t i = 1; i <= n; ++i) {
    if (v6)
      out += "\x20\x01\x0d\xb8"s + std::string(9, '\0');
    else
      out += '\x0a';
    out += static_cast<char>(i >> 16);
    out += static_cast<char>(i >> 8);
    out += static_cast<char>(i);
    out += static_cast<char>(i >> 8);
    out += static_cast<char>(i);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Encoding and round trips

TEST(UtPex, EncodesAnEmptyMessageWithAllSixKeys) {
  EXPECT_EQ(encode_pex(pex_message{}),
            "d5:added0:7:added.f0:6:added60:8:added6.f0:7:dropped0:8:dropped60:e");
}

TEST(UtPex, EncodesEachFamilyToItsKeys) {
  pex_message m;
  m.added = {peer("1.2.3.4:6881", pex_encryption | pex_seed), peer("[2001:db8::1]:51413", pex_utp),
             peer("5.6.7.8:258", 0)};
  m.dropped = {addr("9.9.9.9:1"), addr("[::2]:65535")};
  EXPECT_EQ(encode_pex(m),
            "d5:added12:\x01\x02\x03\x04\x1a\xe1\x05\x06\x07\x08\x01\x02"
            "7:added.f2:\x03\x00"
            "6:added618:\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01\xc8\xd5"
            "8:added6.f1:\x04"
            "7:dropped6:\x09\x09\x09\x09\x00\x01"
            "8:dropped618:\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x02\xff\xff"
            "e"sv);
}

TEST(UtPex, RoundTripsV4BeforeV6) {
  pex_message m;
  m.added = {
      peer("1.2.3.4:6881", pex_encryption | pex_seed | pex_utp | pex_holepunch | pex_reachable),
      peer("10.0.0.1:1", 0), peer("[2001:db8::1]:51413", pex_utp),
      peer("[::ffff:1.2.3.4]:80", pex_seed)};
  m.dropped = {addr("9.9.9.9:1"), addr("[::2]:65535")};
  EXPECT_EQ(decoded(encode_pex(m)), m);
  EXPECT_EQ(decoded(encode_pex(pex_message{})), pex_message{});

  pex_message mixed;  // families interleaved: decoding groups them, v4 first
  mixed.added = {peer("[::1]:1", 1), peer("1.1.1.1:1", 2), peer("[::2]:2", 3)};
  const pex_message back = decoded(encode_pex(mixed));
  EXPECT_EQ(back.added,
            (std::vector<pex_peer>{peer("1.1.1.1:1", 2), peer("[::1]:1", 1), peer("[::2]:2", 3)}));
}

// ---------------------------------------------------------------------------------------
// What real clients send

TEST(UtPex, DecodesLibtorrent) {
  // libtorrent writes all six keys, empty ones as empty strings.
  const pex_message m = decoded(
      "d5:added12:\x5d\xb8\xd8\x22\xc8\xd5\xc0\xa8\x01\x0a\x1a\xe1"
      "7:added.f2:\x12\x01"
      "6:added618:\x2a\x02\x81\x09\x9a\x40\x11\x00\x00\x00\x00\x00\x00\x00\x00\x07\x1a\xe1"
      "8:added6.f1:\x10"
      "7:dropped6:\x4e\x2f\x10\x05\xc8\xd5"
      "8:dropped60:e"sv);
  EXPECT_EQ(m.added, (std::vector<pex_peer>{peer("93.184.216.34:51413", 0x12),
                                            peer("192.168.1.10:6881", 0x01),
                                            peer("[2a02:8109:9a40:1100::7]:6881", 0x10)}));
  EXPECT_EQ(m.dropped, std::vector<peer_address>{addr("78.47.16.5:51413")});
}

TEST(UtPex, DecodesTransmissionWithOnlyTheKeysItHas) {
  // Transmission leaves out empty lists.
  const pex_message m = decoded(
      "d5:added6:\x4e\x2f\x10\x05\xc8\xd5"
      "7:added.f1:\x06"
      "e"sv);
  EXPECT_EQ(m.added, std::vector<pex_peer>{peer("78.47.16.5:51413", pex_seed | pex_utp)});
  EXPECT_TRUE(m.dropped.empty());

  const pex_message only_dropped = decoded(
      "d7:dropped6:\x4e\x2f\x10\x05\xc8\xd5"
      "e"sv);
  EXPECT_TRUE(only_dropped.added.empty());
  EXPECT_EQ(only_dropped.dropped, std::vector<peer_address>{addr("78.47.16.5:51413")});
  EXPECT_EQ(decoded("de"), pex_message{});
}

// ---------------------------------------------------------------------------------------
// Leniency

TEST(UtPex, IgnoresAFieldWhoseLengthIsNotAWholeNumberOfPeers) {
  const std::string v4 = compact(2, false);
  const std::string v6 = compact(1, true);
  const pex_message m = decoded(dict({{"added", v4 + "x"},  // 13 bytes
                                      {"added.f", "\x01\x01\x01"},
                                      {"added6", v6},
                                      {"dropped", v4.substr(0, 5)},
                                      {"dropped6", v6 + v6.substr(0, 6)}}));
  EXPECT_EQ(m.added, (std::vector<pex_peer>{{addr("[2001:db8::1]:1"), 0}}));
  EXPECT_TRUE(m.dropped.empty());

  // Families are read by key: 18 bytes are three v4 peers under added, one v6 peer under
  // added6; 12 bytes are no v6 peer.
  const std::string eighteen = compact(3, false);
  EXPECT_EQ(decoded(dict({{"added", eighteen}})).added.size(), 3u);
  EXPECT_EQ(decoded(dict({{"added6", eighteen}})).added.size(), 1u);
  EXPECT_TRUE(decoded(dict({{"added6", v4}})).added.empty());
}

TEST(UtPex, GivesMissingFlagsZeroAndIgnoresExtraFlags) {
  const std::string three = compact(3, false);
  const pex_message short_flags = decoded(dict({{"added", three}, {"added.f", "\x02"}}));
  ASSERT_EQ(short_flags.added.size(), 3u);
  EXPECT_EQ(short_flags.added[0].flags, 2);
  EXPECT_EQ(short_flags.added[1].flags, 0);
  EXPECT_EQ(short_flags.added[2].flags, 0);

  const pex_message long_flags =
      decoded(dict({{"added", compact(1, false)}, {"added.f", "\x01\x02\x03\x04"}}));
  EXPECT_EQ(long_flags.added, (std::vector<pex_peer>{{addr("10.0.0.1:1"), 1}}));

  const pex_message no_flags = decoded(
      "d5:added6:\x0a\x00\x00\x01\x01\x01"
      "7:added.fi3ee"sv);
  EXPECT_EQ(no_flags.added, (std::vector<pex_peer>{{addr("10.0.0.1:257"), 0}}));
}

TEST(UtPex, IgnoresKeysOfTheWrongTypeAndUnknownKeys) {
  const pex_message m = decoded(
      "d5:addedi1e6:added6li1ee7:droppedde8:dropped6i0e5:zzzzzd1:ai1ee"
      "7:added.f3:abc1:x6:\x01\x02\x03\x04\x00\x01"
      "e"sv);
  EXPECT_EQ(m, pex_message{});

  const pex_message v6_only = decoded(dict({{"1:unknown", "x"}, {"added6", compact(1, true)}}));
  EXPECT_EQ(v6_only.added.size(), 1u);
}

TEST(UtPex, SkipsPort0) {
  const std::string entries = "\x01\x02\x03\x04\x00\x00"s + "\x01\x02\x03\x05\x00\x01"s;
  const pex_message m =
      decoded(dict({{"added", entries},
                    {"added.f", "\x01\x02"},
                    {"dropped", entries},
                    {"added6", std::string(18, '\0')},
                    {"dropped6", std::string(18, '\x01') + std::string(18, '\0')}}));
  // The flags stay paired with their own peer.
  EXPECT_EQ(m.added, (std::vector<pex_peer>{peer("1.2.3.5:1", 2)}));
  EXPECT_EQ(m.dropped, (std::vector<peer_address>{addr("1.2.3.5:1"),
                                                  addr("[101:101:101:101:101:101:101:101]:257")}));
}

TEST(UtPex, KeepsAddressesThatAreNotUsableForTheCallerToJudge) {
  const pex_message m =
      decoded(dict({{"added", "\0\0\0\0\x1a\xe1"s + "\xff\xff\xff\xff\x1a\xe1"s}}));
  ASSERT_EQ(m.added.size(), 2u);
  EXPECT_FALSE(m.added[0].address.is_usable());
  EXPECT_EQ(m.added[1].address.to_string(), "255.255.255.255:6881");
}

TEST(UtPex, AcceptsUnsortedKeysAndTrailingBytes) {
  const pex_message m = decoded(
      "d7:dropped6:\x09\x09\x09\x09\x00\x01"
      "5:added6:\x01\x02\x03\x04\x1a\xe1"
      "e\0\0"sv);
  EXPECT_EQ(m.added, (std::vector<pex_peer>{peer("1.2.3.4:6881", 0)}));
  EXPECT_EQ(m.dropped, std::vector<peer_address>{addr("9.9.9.9:1")});
}

// ---------------------------------------------------------------------------------------
// Bounds and errors

TEST(UtPex, DecodesAtMostMaxPeersPerFamilyAndList) {
  const std::string v4 = compact(10'000, false);
  const std::string v6 = compact(10'000, true);
  const std::string payload = dict({{"added", v4},
                                    {"added.f", std::string(10'000, '\x04')},
                                    {"added6", v6},
                                    {"dropped", v4},
                                    {"dropped6", v6}});
  ASSERT_LT(payload.size(), max_payload_size);

  const pex_message by_default = decoded(payload);
  ASSERT_EQ(by_default.added.size(), 400u);  // 200 v4 then 200 v6
  EXPECT_EQ(by_default.added[0], peer("10.0.0.1:1", pex_utp));
  EXPECT_EQ(by_default.added[199], peer("10.0.0.200:200", pex_utp));
  EXPECT_EQ(by_default.added[200], peer("[2001:db8::1]:1", 0));
  EXPECT_EQ(by_default.added[399], peer("[2001:db8::c8]:200", 0));
  EXPECT_EQ(by_default.dropped.size(), 400u);

  const pex_message all = decoded(payload, 10'000);
  EXPECT_EQ(all.added.size(), 20'000u);
  EXPECT_EQ(all.dropped.size(), 20'000u);
  EXPECT_EQ(all.added[9'999], peer("10.0.39.16:10000", pex_utp));
  EXPECT_EQ(decoded(payload, 1'000'000).added.size(), 20'000u);

  const pex_message none = decoded(payload, 0);
  EXPECT_EQ(none, pex_message{});
}

TEST(UtPex, Port0EntriesDoNotCountTowardsMaxPeers) {
  const std::string entries = std::string(6 * 5, '\0') + compact(3, false);
  const pex_message m = decoded(dict({{"added", entries}}), 2);
  EXPECT_EQ(m.added, (std::vector<pex_peer>{peer("10.0.0.1:1", 0), peer("10.0.0.2:2", 0)}));
}

TEST(UtPex, RejectsWhatIsNotADictionary) {
  for (std::string_view bad :
       {""sv, "le"sv, "i0e"sv, "5:added"sv, "d5:added6:abc"sv, "d5:added0:5:added0:e"sv, "x"sv}) {
    auto r = decode_pex(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, make_error_code(errc::not_a_dictionary)) << r.error().message();
  }
  auto deep = decode_pex("d1:x" + std::string(100'000, 'l'));
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error().code, make_error_code(errc::not_a_dictionary));
}

TEST(UtPex, RejectsAPayloadAbove1MiB) {
  const std::string payload = dict({{"added", compact(200'000, false)}});
  ASSERT_GT(payload.size(), max_payload_size);
  auto r = decode_pex(payload);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::payload_too_large));
}

}  // namespace
}  // namespace corrent::wire::ext
