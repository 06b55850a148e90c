#include "core/wire/extension/handshake.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "core/bencode/encode.hpp"
#include "core/wire/extension/errc.hpp"

namespace corrent::wire::ext {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;
using m_list = std::vector<std::pair<std::string, std::uint8_t>>;

handshake decoded(std::string_view payload) {
  auto r = decode_handshake(payload);
  EXPECT_TRUE(r) << r.error().message();
  return r ? *r : handshake{};
}

void expect_error(std::string_view payload, errc expected) {
  auto r = decode_handshake(payload);
  ASSERT_FALSE(r) << "accepted " << payload.substr(0, 80);
  EXPECT_EQ(r.error().code, make_error_code(expected)) << r.error().message();
}

// ---------------------------------------------------------------------------------------
// Encoding and round trips

TEST(ExtHandshake, EncodesEveryFieldWithSortedKeys) {
  handshake h;
  h.m = {{"ut_pex", 1}, {"ut_metadata", 2}, {"lt_donthave", 7}};
  h.v = "corrent/0.1";
  h.p = 6881;
  h.reqq = 500;
  h.metadata_size = 31235;
  h.ipv4 = std::array<std::uint8_t, 4>{10, 0, 0, 1};
  h.ipv6 = std::array<std::uint8_t, 16>{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  h.yourip = "\xc0\xa8\x01\x02"s;
  h.upload_only = true;
  EXPECT_EQ(encode_handshake(h),
            "d4:ipv44:\x0a\0\0\x01"
            "4:ipv616:\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"
            "1:md11:lt_donthavei7e11:ut_metadatai2e6:ut_pexi1ee"
            "13:metadata_sizei31235e1:pi6881e4:reqqi500e11:upload_onlyi1e"
            "1:v11:corrent/0.16:yourip4:\xc0\xa8\x01\x02"
            "e"sv);
}

TEST(ExtHandshake, EncodesAnEmptyHandshakeWithMAlwaysPresent) {
  EXPECT_EQ(encode_handshake(handshake{}), "d1:mdee");
}

TEST(ExtHandshake, EncodesZeroIdsToDisableAndARepeatedNameOnce) {
  handshake h;
  h.m = {{"ut_pex", 0}, {"ut_metadata", 3}, {"ut_pex", 1}};
  EXPECT_EQ(encode_handshake(h), "d1:md11:ut_metadatai3e6:ut_pexi0eee");
}

TEST(ExtHandshake, RoundTripsEveryField) {
  handshake h;
  h.m = {{"lt_donthave", 7}, {"ut_metadata", 2}, {"ut_pex", 255}};  // key order
  h.v = std::string(max_handshake_v_size, 'v');
  h.p = 65535;
  h.reqq = max_handshake_reqq;
  h.metadata_size = std::int64_t{1} << 40;
  h.ipv4 = std::array<std::uint8_t, 4>{1, 2, 3, 4};
  h.ipv6 = std::array<std::uint8_t, 16>{};
  h.yourip = std::string(16, '\xfe');
  h.upload_only = true;
  EXPECT_EQ(decoded(encode_handshake(h)), h);

  handshake empty;
  EXPECT_EQ(decoded(encode_handshake(empty)), empty);

  handshake v4_yourip;
  v4_yourip.yourip = "\x7f\0\0\x01"s;
  v4_yourip.p = 1;
  v4_yourip.reqq = min_handshake_reqq;
  EXPECT_EQ(decoded(encode_handshake(v4_yourip)), v4_yourip);
}

TEST(ExtHandshake, IdOfIsZeroForWhatTheyDoNotSupport) {
  const handshake h = decoded("d1:md11:ut_metadatai2e6:ut_pexi0eee");
  EXPECT_EQ(h.id_of("ut_metadata"), 2);
  EXPECT_EQ(h.id_of("ut_pex"), 0);  // 0 = disabled
  EXPECT_EQ(h.id_of("ut_holepunch"), 0);
  EXPECT_EQ(h.id_of(""), 0);
}

TEST(ExtHandshake, TheResultOwnsItsDataAndOutlivesThePayload) {
  handshake h;
  {
    std::string payload = "d1:md11:ut_metadatai2ee1:v12:Deluge 2.1.16:yourip4:abcde";
    h = decoded(payload);
    payload.assign(payload.size(), 'x');
  }
  EXPECT_EQ(h.id_of("ut_metadata"), 2);
  EXPECT_EQ(h.v, "Deluge 2.1.1");
  EXPECT_EQ(h.yourip, "abcd");
}

// ---------------------------------------------------------------------------------------
// What real clients send

TEST(ExtHandshake, DecodesLibtorrent) {
  const handshake h = decoded(
      "d12:complete_agoi-1e"
      "1:md11:lt_donthavei7e10:share_modei8e11:upload_onlyi3e12:ut_holepunchi4e"
      "11:ut_metadatai2e6:ut_pexi1ee"
      "13:metadata_sizei31235e1:pi51413e4:reqqi2000e1:v16:libtorrent/2.0.9"
      "6:yourip4:\x5d\xb8\xd8\x22"
      "e"sv);
  EXPECT_EQ(h.m, (m_list{{"lt_donthave", 7},
                         {"share_mode", 8},
                         {"upload_only", 3},
                         {"ut_holepunch", 4},
                         {"ut_metadata", 2},
                         {"ut_pex", 1}}));
  EXPECT_EQ(h.v, "libtorrent/2.0.9");
  EXPECT_EQ(h.p, 51413);
  EXPECT_EQ(h.reqq, 2000u);
  EXPECT_EQ(h.metadata_size, 31235);
  EXPECT_EQ(h.yourip, "\x5d\xb8\xd8\x22"s);
  EXPECT_FALSE(h.ipv4);
  EXPECT_FALSE(h.ipv6);
  EXPECT_FALSE(h.upload_only);  // "upload_only" in m is an extension id, not BEP 21's flag
}

TEST(ExtHandshake, DecodesQBittorrentWithIpv6AndUploadOnly) {
  const handshake h = decoded(
      "d12:complete_agoi1715e"
      "4:ipv616:\x2a\x02\x81\x09\x9a\x40\x11\x00\x00\x00\x00\x00\x00\x00\x00\x07"
      "1:md11:lt_donthavei7e10:share_modei8e11:upload_onlyi3e12:ut_holepunchi4e"
      "11:ut_metadatai2e6:ut_pexi1ee"
      "13:metadata_sizei8119e1:pi6881e4:reqqi500e11:upload_onlyi1e1:v17:qBittorrent/4.6.2"
      "6:yourip16:\x2a\x02\x81\x09\x9a\x40\x11\x00\x00\x00\x00\x00\x00\x00\x00\x09"
      "e"sv);
  EXPECT_EQ(h.id_of("ut_metadata"), 2);
  EXPECT_EQ(h.id_of("ut_holepunch"), 4);
  EXPECT_EQ(h.v, "qBittorrent/4.6.2");
  ASSERT_TRUE(h.ipv6);
  EXPECT_EQ((*h.ipv6)[0], 0x2a);
  EXPECT_EQ((*h.ipv6)[15], 0x07);
  EXPECT_EQ(h.yourip.size(), 16u);
  EXPECT_TRUE(h.upload_only);
  EXPECT_EQ(h.reqq, 500u);
}

TEST(ExtHandshake, DecodesTransmission3) {
  const handshake h = decoded(
      "d1:ei1e1:md11:ut_metadatai3e6:ut_pexi1ee13:metadata_sizei16722e"
      "1:pi51413e4:reqqi512e11:upload_onlyi0e1:v17:Transmission 3.00e");
  EXPECT_EQ(h.m, (m_list{{"ut_metadata", 3}, {"ut_pex", 1}}));
  EXPECT_EQ(h.v, "Transmission 3.00");
  EXPECT_EQ(h.p, 51413);
  EXPECT_EQ(h.reqq, 512u);
  EXPECT_EQ(h.metadata_size, 16722);
  EXPECT_FALSE(h.upload_only);
}

TEST(ExtHandshake, DecodesTransmission4Seeding) {
  const handshake h = decoded(
      "d1:ei0e4:ipv44:\x4e\x2f\x10\x05"
      "1:md12:ut_holepunchi4e11:ut_metadatai3e6:ut_pexi1ee13:metadata_sizei50214e"
      "1:pi51413e4:reqqi500e11:upload_onlyi1e1:v18:Transmission 4.0.5e"sv);
  EXPECT_EQ(h.m, (m_list{{"ut_holepunch", 4}, {"ut_metadata", 3}, {"ut_pex", 1}}));
  EXPECT_EQ(h.ipv4, (std::array<std::uint8_t, 4>{0x4e, 0x2f, 0x10, 0x05}));
  EXPECT_EQ(h.v, "Transmission 4.0.5");
  EXPECT_TRUE(h.upload_only);
}

TEST(ExtHandshake, DecodesAria2) {
  const handshake h = decoded(
      "d1:md11:ut_metadatai9e6:ut_pexi8ee13:metadata_sizei23894e1:pi6881e1:v12:aria2/1.36.0e");
  EXPECT_EQ(h.m, (m_list{{"ut_metadata", 9}, {"ut_pex", 8}}));
  EXPECT_EQ(h.v, "aria2/1.36.0");
  EXPECT_EQ(h.p, 6881);
  EXPECT_FALSE(h.reqq);
  EXPECT_EQ(h.metadata_size, 23894);
}

TEST(ExtHandshake, DecodesAMetadataFetcherWithoutPortOrSize) {
  // Magnet-only clients leave out p and metadata_size, or send metadata_size 0.
  const handshake h = decoded("d1:md11:ut_metadatai1ee13:metadata_sizei0e4:reqqi256ee");
  EXPECT_EQ(h.id_of("ut_metadata"), 1);
  EXPECT_FALSE(h.metadata_size);
  EXPECT_FALSE(h.p);
  EXPECT_EQ(h.v, "");
}

// ---------------------------------------------------------------------------------------
// Leniency

TEST(ExtHandshake, IgnoresUnknownKeysOfAnyShape) {
  const handshake h = decoded(
      "d3:abcli1el1:xee1:ei1e3:i2p4:abcd1:md11:ut_metadatai2ee1:qd1:ad1:bleee"
      "8:zzz_lastde1:v3:abce");
  EXPECT_EQ(h.id_of("ut_metadata"), 2);
  EXPECT_EQ(h.v, "abc");
}

TEST(ExtHandshake, IgnoresKeysOfTheWrongType) {
  const handshake h = decoded(
      "d4:ipv4i1e4:ipv63:abc1:mli1ee13:metadata_size3:1001:p4:68814:reqqle"
      "11:upload_only1:11:vi2e6:youripi4ee");
  EXPECT_EQ(h, handshake{});
}

TEST(ExtHandshake, IgnoresAddressesOfTheWrongLength) {
  const handshake h = decoded(
      "d4:ipv45:12345"
      "4:ipv64:1234"
      "1:mde6:yourip5:12345e");
  EXPECT_FALSE(h.ipv4);
  EXPECT_FALSE(h.ipv6);
  EXPECT_EQ(h.yourip, "");
  EXPECT_EQ(decoded("d1:mde6:yourip0:e").yourip, "");
  EXPECT_EQ(decoded("d1:mde6:yourip3:abce").yourip, "");
}

TEST(ExtHandshake, SkipsMEntriesThatAreNotAnIdInOneTo255) {
  const handshake h = decoded(
      "d1:md1:ai1e1:bi0e1:ci-1e1:di256e1:ei255e1:f1:51:gli1ee1:hdee1:ii9223372036854775807eee");
  EXPECT_EQ(h.m, (m_list{{"a", 1}, {"e", 255}}));
}

TEST(ExtHandshake, IgnoresPortsOutOfRange) {
  EXPECT_FALSE(decoded("d1:mde1:pi0ee").p);
  EXPECT_FALSE(decoded("d1:mde1:pi-1ee").p);
  EXPECT_FALSE(decoded("d1:mde1:pi65536ee").p);
  EXPECT_EQ(decoded("d1:mde1:pi1ee").p, 1);
  EXPECT_EQ(decoded("d1:mde1:pi65535ee").p, 65535);
}

TEST(ExtHandshake, ClampsReqq) {
  EXPECT_EQ(decoded("d1:mde4:reqqi0ee").reqq, 1u);
  EXPECT_EQ(decoded("d1:mde4:reqqi-5ee").reqq, 1u);
  EXPECT_EQ(decoded("d1:mde4:reqqi-9223372036854775808ee").reqq, 1u);
  EXPECT_EQ(decoded("d1:mde4:reqqi250000ee").reqq, 100000u);
  EXPECT_EQ(decoded("d1:mde4:reqqi9223372036854775807ee").reqq, 100000u);
  EXPECT_EQ(decoded("d1:mde4:reqqi100000ee").reqq, 100000u);
  EXPECT_EQ(decoded("d1:mde4:reqqi1ee").reqq, 1u);
}

TEST(ExtHandshake, KeepsOnlyPositiveMetadataSizes) {
  EXPECT_FALSE(decoded("d13:metadata_sizei0ee").metadata_size);
  EXPECT_FALSE(decoded("d13:metadata_sizei-16384ee").metadata_size);
  EXPECT_EQ(decoded("d13:metadata_sizei1ee").metadata_size, 1);
  // Huge sizes are kept: capping them is the caller's policy.
  EXPECT_EQ(decoded("d13:metadata_sizei9223372036854775807ee").metadata_size, INT64_MAX);
}

TEST(ExtHandshake, UploadOnlyIsAnyNonzeroInteger) {
  EXPECT_FALSE(decoded("d11:upload_onlyi0ee").upload_only);
  EXPECT_TRUE(decoded("d11:upload_onlyi1ee").upload_only);
  EXPECT_TRUE(decoded("d11:upload_onlyi2ee").upload_only);
  EXPECT_TRUE(decoded("d11:upload_onlyi-1ee").upload_only);
  EXPECT_FALSE(decoded("de").upload_only);
}

TEST(ExtHandshake, KeepsTheFirst256BytesOfV) {
  const std::string long_v(1000, 'c');
  const handshake h = decoded("d1:v1000:" + long_v + "e");
  EXPECT_EQ(h.v, std::string(max_handshake_v_size, 'c'));
  EXPECT_EQ(decoded("d1:v0:e").v, "");
  EXPECT_EQ(decoded("d1:v3:\0\xff\ne"sv).v, "\0\xff\n"sv);  // raw bytes: sanitizing is for display
}

TEST(ExtHandshake, AcceptsAMissingM) {
  EXPECT_TRUE(decoded("de").m.empty());
  EXPECT_TRUE(decoded("d1:v5:helloe").m.empty());
}

TEST(ExtHandshake, AcceptsUnsortedKeys) {
  const handshake h = decoded("d1:v3:abc1:md6:ut_pexi1e11:ut_metadatai2ee1:pi1ee");
  EXPECT_EQ(h.m, (m_list{{"ut_metadata", 2}, {"ut_pex", 1}}));
  EXPECT_EQ(h.v, "abc");
  EXPECT_EQ(h.p, 1);
}

TEST(ExtHandshake, IgnoresBytesAfterTheDictionary) {
  EXPECT_EQ(decoded("d1:md6:ut_pexi1eee\0\0\0\0"sv).id_of("ut_pex"), 1);
  EXPECT_EQ(decoded("d1:md6:ut_pexi1eeed1:mdee").id_of("ut_pex"), 1);
  EXPECT_EQ(decoded("dejunk").m.size(), 0u);
}

// ---------------------------------------------------------------------------------------
// Errors and bounds

TEST(ExtHandshake, RejectsWhatIsNotOneBencodedDictionary) {
  expect_error("", errc::not_a_dictionary);
  expect_error("i1e", errc::not_a_dictionary);
  expect_error("le", errc::not_a_dictionary);
  expect_error("3:abc", errc::not_a_dictionary);
  expect_error("hello", errc::not_a_dictionary);
  expect_error("d", errc::not_a_dictionary);
  expect_error("d1:md6:ut_pexi1ee", errc::not_a_dictionary);  // truncated
  expect_error("d1:v5:hello", errc::not_a_dictionary);
  expect_error("di1ei2ee", errc::not_a_dictionary);             // integer key
  expect_error("d1:pi01ee", errc::not_a_dictionary);            // leading zero
  expect_error("d1:pi1e1:pi2ee", errc::not_a_dictionary);       // repeated key
  expect_error("d1:md1:ai1e1:ai2eee", errc::not_a_dictionary);  // repeated m entry
  expect_error("\0d1:mdee"sv, errc::not_a_dictionary);
}

TEST(ExtHandshake, TheErrorSaysWhereTheBencodeBroke) {
  auto r = decode_handshake("d1:md6:ut_pexi1x");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("at byte 15"), std::string::npos) << r.error().message();
}

TEST(ExtHandshake, BoundsNesting) {
  auto nested = [](std::size_t depth) {
    // The payload's dictionary, then depth - 1 lists under an unknown key.
    return "d1:x" + std::string(depth - 1, 'l') + std::string(depth - 1, 'e') + "e";
  };
  EXPECT_TRUE(decode_handshake(nested(max_payload_depth)));
  expect_error(nested(max_payload_depth + 1), errc::not_a_dictionary);
  // Far deeper than any stack could recurse: refused at the bound, not a crash.
  expect_error(nested(500'000), errc::not_a_dictionary);
  expect_error(std::string(1'000'000, 'd'), errc::not_a_dictionary);
}

TEST(ExtHandshake, BoundsThePayloadAt1MiB) {
  // "d1:md6:ut_pexi1ee1:x" <7 digits> ":" <filler> "e", exactly max_payload_size bytes.
  const std::string head = "d1:md6:ut_pexi1ee1:x";
  const std::size_t filler = max_payload_size - head.size() - 7 - 2;
  ASSERT_EQ(std::to_string(filler).size(), 7u);
  const std::string exact = head + std::to_string(filler) + ":" + std::string(filler, 'z') + "e";
  ASSERT_EQ(exact.size(), max_payload_size);
  EXPECT_EQ(decoded(exact).id_of("ut_pex"), 1);
  expect_error(exact + " ", errc::payload_too_large);  // even as trailing padding
  expect_error(std::string(2 * max_payload_size, 'x'), errc::payload_too_large);
}

TEST(ExtHandshake, KeepsThe256FirstEntriesOfA1MiBMDictionary) {
  // ~100,000 entries: "d1:md" then "5:e0000i1e" ... , just under 1 MiB.
  std::string payload;
  bencode::writer w(payload);
  w.begin_dict().key("m").begin_dict();
  std::size_t entries = 0;
  char name[16];
  while (payload.size() < max_payload_size - 64) {
    std::snprintf(name, sizeof name, "e%07zu", entries);
    // Every other entry is disabled (0) and not kept.
    w.key(name).integer(entries % 2 == 0 ? static_cast<std::int64_t>(1 + entries % 255) : 0);
    ++entries;
  }
  w.end().key("v").string("big").end();
  ASSERT_LE(payload.size(), max_payload_size);
  ASSERT_GT(entries, 60'000u);

  const handshake h = decoded(payload);
  ASSERT_EQ(h.m.size(), max_handshake_m_entries);
  EXPECT_EQ(h.m.front(), (std::pair<std::string, std::uint8_t>{"e0000000", 1}));
  EXPECT_EQ(h.m.back().first, "e0000510");  // the 256th nonzero entry, in key order
  EXPECT_EQ(h.v, "big");
}

TEST(ExtHandshake, ErrorsHaveAReadableMessage) {
  auto r = decode_handshake("i1e");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message(),
            "extension message: not a bencoded dictionary: the payload is not a dictionary");
  EXPECT_EQ(r.error().code.category().name(), "wire.ext"s);
}

}  // namespace
}  // namespace corrent::wire::ext
