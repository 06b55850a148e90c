#include "core/tracker/announce.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "core/net/peer_address_print.hpp"
#include "core/tracker/errc.hpp"

namespace corrent::tracker {
namespace {

using namespace std::string_literals;
using namespace std::string_view_literals;
using net::peer_address;

peer_address addr(const char* text) {
  auto a = peer_address::parse(text);
  EXPECT_TRUE(a) << text;
  return a.value_or(peer_address{});
}

std::vector<peer_address> addrs(std::initializer_list<const char*> texts) {
  std::vector<peer_address> out;
  for (const char* t : texts) out.push_back(addr(t));
  return out;
}

std::array<std::uint8_t, 20> bytes20(std::string_view s) {
  std::array<std::uint8_t, 20> out{};
  for (std::size_t i = 0; i < out.size() && i < s.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(s[i]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Announce URL (BEP 3)

announce_request sample_request() {
  announce_request req;
  req.info_hash = bytes20(
      "\x12\x34\x56\x78\x9a\xbc\xde\xf0"
      "ABCDEFGHIJKL"sv);
  req.peer_id = bytes20("-CR0001-ab/+ ~.-_%Z9"sv);
  req.port = 6881;
  req.uploaded = 100;
  req.downloaded = 200;
  req.left = 300;
  req.ev = event::started;
  req.numwant = 50;
  req.key = 0xdeadbeef;
  return req;
}

TEST(AnnounceUrl, BuildsTheBep3QueryWithEveryRawByteEscaped) {
  EXPECT_EQ(build_announce_url("http://tracker.example:6969/announce", sample_request()),
            "http://tracker.example:6969/announce"
            "?info_hash=%124Vx%9A%BC%DE%F0ABCDEFGHIJKL"
            "&peer_id=-CR0001-ab%2F%2B%20~.-_%25Z9"
            "&port=6881&uploaded=100&downloaded=200&left=300&compact=1&numwant=50"
            "&key=DEADBEEF&event=started");
}

TEST(AnnounceUrl, ContinuesAnExistingQueryWithAmpersand) {
  const std::string url =
      build_announce_url("https://t.example/announce.php?passkey=abc", sample_request());
  EXPECT_TRUE(url.starts_with("https://t.example/announce.php?passkey=abc&info_hash=%124Vx"))
      << url;
  const std::string bare = build_announce_url("http://t.example/announce?", sample_request());
  EXPECT_TRUE(bare.starts_with("http://t.example/announce?info_hash=%124Vx")) << bare;
}

struct event_case {
  event ev;
  const char* suffix;
};

class AnnounceUrlEvent : public ::testing::TestWithParam<event_case> {};

TEST_P(AnnounceUrlEvent, NamesTheEventOrOmitsIt) {
  auto req = sample_request();
  req.ev = GetParam().ev;
  const std::string url = build_announce_url("http://t/announce", req);
  EXPECT_TRUE(url.ends_with(GetParam().suffix)) << url;
  EXPECT_EQ(url.find("event=") == std::string::npos, req.ev == event::none) << url;
}

INSTANTIATE_TEST_SUITE_P(Events, AnnounceUrlEvent,
                         ::testing::Values(event_case{event::none, "&key=DEADBEEF"},
                                           event_case{event::started, "&event=started"},
                                           event_case{event::completed, "&event=completed"},
                                           event_case{event::stopped, "&event=stopped"}));

TEST(AnnounceUrl, SendsTrackerIdOnlyWhenTheTrackerGaveOne) {
  auto req = sample_request();
  EXPECT_EQ(build_announce_url("http://t/announce", req).find("trackerid"), std::string::npos);
  req.tracker_id = "id 7";
  EXPECT_TRUE(build_announce_url("http://t/announce", req).ends_with("&trackerid=id%207"));
}

TEST(AnnounceUrl, WritesKeyAsEightHexDigits) {
  auto req = sample_request();
  req.key = 0xabc;
  EXPECT_NE(build_announce_url("http://t/announce", req).find("&key=00000ABC&"), std::string::npos);
}

TEST(AnnounceUrl, OmitsNegativeNumwantAndClampsNegativeCounters) {
  auto req = sample_request();
  req.numwant = -1;
  req.uploaded = -5;
  const std::string url = build_announce_url("http://t/announce", req);
  EXPECT_EQ(url.find("numwant"), std::string::npos) << url;
  EXPECT_NE(url.find("&uploaded=0&"), std::string::npos) << url;
}

// What RFC 3986 says a byte becomes, written independently of the implementation.
std::string expected_escape(int b) {
  const bool unreserved = (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') ||
                          (b >= 'a' && b <= 'z') || b == '.' || b == '-' || b == '_' || b == '~';
  if (unreserved) return std::string(1, static_cast<char>(b));
  char buf[4];
  std::snprintf(buf, sizeof buf, "%%%02X", b);
  return buf;
}

TEST(AnnounceUrl, EncodesAllTwoHundredFiftySixByteValues) {
  auto req = sample_request();
  std::string all, expected;
  int literal = 0;
  for (int b = 0; b < 256; ++b) {
    req.tracker_id = std::string(1, static_cast<char>(b));
    const std::string url = build_announce_url("http://t/announce", req);
    const std::string e = expected_escape(b);
    EXPECT_TRUE(url.ends_with("&trackerid=" + e)) << "byte " << b << ": " << url;
    literal += e.size() == 1;
    all += static_cast<char>(b);
    expected += e;
  }
  EXPECT_EQ(literal, 66);  // 10 digits + 52 letters + ".-_~"
  req.tracker_id = all;
  EXPECT_TRUE(build_announce_url("http://t/announce", req).ends_with("&trackerid=" + expected));
}

// ---------------------------------------------------------------------------------------
// Announce response (BEP 3, 23, 7)

TEST(AnnounceResponse, ParsesCompactPeers) {
  auto r = parse_announce_response(
      "d8:completei5e10:incompletei3e8:intervali1800e"
      "5:peers12:\x01\x02\x03\x04\x1a\xe1\x0a\x00\x00\x02\x1a\xe2"
      "e"sv);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(r->failure_reason);
  EXPECT_EQ(r->interval, 1800);
  EXPECT_EQ(r->complete, 5);
  EXPECT_EQ(r->incomplete, 3);
  EXPECT_EQ(r->peers, addrs({"1.2.3.4:6881", "10.0.0.2:6882"}));
}

TEST(AnnounceResponse, ParsesDictionaryPeersWithV4AndV6Text) {
  auto r = parse_announce_response(
      "d8:intervali900e5:peersl"
      "d2:ip7:1.2.3.47:peer id20:-CR0001-abcdefghijkl4:porti6881ee"
      "d2:ip11:2001:db8::14:porti51413ee"
      "d2:ip13:[2001:db8::2]4:porti80ee"
      "ee");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->interval, 900);
  EXPECT_EQ(r->peers, addrs({"1.2.3.4:6881", "[2001:db8::1]:51413", "[2001:db8::2]:80"}));
}

TEST(AnnounceResponse, SkipsDictionaryPeersThatDoNotParse) {
  auto r = parse_announce_response(
      "d8:intervali900e5:peersl"
      "i1e"                             // not a dictionary
      "d2:ip11:example.com4:porti80ee"  // a DNS name: core does not resolve
      "d2:ip7:1.2.3.44:porti0ee"        // port 0
      "d2:ip7:1.2.3.44:porti65536ee"    // port out of range
      "d2:ip7:1.2.3.44:porti-1ee"       // negative port
      "d4:porti80ee"                    // no ip
      "d2:ip7:1.2.3.4e"                 // no port
      "d2:ipi16909060e4:porti80ee"      // ip of the wrong type
      "d2:ip7:1.2.3.44:port2:80e"       // port of the wrong type
      "d2:ip8:1.2.3.4 4:porti80ee"      // trailing space
      "d2:ip7:5.6.7.84:porti6881ee"     // the only good one
      "ee");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->peers, addrs({"5.6.7.8:6881"}));
}

TEST(AnnounceResponse, ParsesCompactPeers6) {
  auto r = parse_announce_response(
      "d8:intervali1800e5:peers0:"
      "6:peers636:\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1a\xe1"
      "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x50"
      "e"sv);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->peers, addrs({"[2001:db8::1]:6881", "[::1]:80"}));
}

TEST(AnnounceResponse, CombinesPeersAndPeers6) {
  auto r = parse_announce_response(
      "d5:peers6:\x01\x02\x03\x04\x1a\xe1"
      "6:peers618:\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1a\xe1"
      "e"sv);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->peers, addrs({"1.2.3.4:6881", "[2001:db8::1]:6881"}));
}

TEST(AnnounceResponse, FailureReasonIsASuccessfulParseAndNothingElseCounts) {
  auto r = parse_announce_response(
      "d14:failure reason19:torrent not allowed8:intervali60e"
      "5:peers6:\x01\x02\x03\x04\x1a\xe1"
      "e"sv);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->failure_reason, "torrent not allowed");
  EXPECT_TRUE(r->peers.empty());
  EXPECT_EQ(r->interval, 1800);

  auto alone = parse_announce_response("d14:failure reason7:go awaye");
  ASSERT_TRUE(alone) << alone.error().message();
  EXPECT_EQ(alone->failure_reason, "go away");
}

TEST(AnnounceResponse, ReadsWarningMinIntervalAndTrackerId) {
  auto r = parse_announce_response(
      "d8:intervali1800e12:min intervali900e5:peers0:"
      "10:tracker id6:abc12315:warning message14:low on peers!!e");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->interval, 1800);
  EXPECT_EQ(r->min_interval, 900);
  EXPECT_EQ(r->tracker_id, "abc123");
  EXPECT_EQ(r->warning_message, "low on peers!!");
  EXPECT_FALSE(r->complete);
  EXPECT_FALSE(r->incomplete);
}

TEST(AnnounceResponse, AcceptsOpentrackerReplyWithEmptyPeers) {
  auto r = parse_announce_response(
      "d8:completei0e10:downloadedi0e10:incompletei1e8:intervali1763e"
      "12:min intervali881e5:peers0:e");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->peers.empty());
  EXPECT_EQ(r->interval, 1763);
  EXPECT_EQ(r->min_interval, 881);
  EXPECT_EQ(r->complete, 0);
  EXPECT_EQ(r->incomplete, 1);
}

TEST(AnnounceResponse, AcceptsUnsortedKeysAndTrailingBytes) {
  auto r = parse_announce_response(
      "d5:peers6:\x01\x02\x03\x04\x1a\xe1"
      "8:intervali60ee\r\n"sv);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->interval, 60);
  EXPECT_EQ(r->peers, addrs({"1.2.3.4:6881"}));
}

TEST(AnnounceResponse, IgnoresScalarsOutOfRangeOrOfTheWrongType) {
  struct scalar_case {
    const char* body;
    std::int64_t interval;
  };
  for (const auto& c : {scalar_case{"d8:intervali0e5:peers0:e", 1800},
                        scalar_case{"d8:intervali-5e5:peers0:e", 1800},
                        scalar_case{"d8:interval4:18005:peers0:e", 1800},
                        scalar_case{"d8:intervali1e5:peers0:e", 1}}) {
    auto r = parse_announce_response(c.body);
    ASSERT_TRUE(r) << c.body;
    EXPECT_EQ(r->interval, c.interval) << c.body;
  }
  auto r = parse_announce_response("d8:completei-1e10:incomplete1:x12:min intervali-1e5:peers0:e");
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->complete);
  EXPECT_FALSE(r->incomplete);
  EXPECT_FALSE(r->min_interval);
}

TEST(AnnounceResponse, DropsPeersWithPortZero) {
  auto r = parse_announce_response(
      "d5:peers12:\x01\x02\x03\x04\x00\x00\x01\x02\x03\x05\x1a\xe1"
      "e"sv);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->peers, addrs({"1.2.3.5:6881"}));
}

TEST(AnnounceResponse, DropsUnspecifiedMulticastAndBroadcastAddresses) {
  auto r = parse_announce_response(
      "d5:peers36:"
      "\x00\x00\x00\x00\x1a\xe1"  // 0.0.0.0
      "\xe0\x00\x00\x01\x1a\xe1"  // 224.0.0.1
      "\xef\xff\xff\xfa\x1a\xe1"  // 239.255.255.250
      "\xff\xff\xff\xff\x1a\xe1"  // 255.255.255.255
      "\x7f\x00\x00\x01\x1a\xe1"  // 127.0.0.1: fine
      "\xc0\xa8\x01\x02\x1a\xe1"  // 192.168.1.2: fine
      "6:peers654:"
      "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x1a\xe1"  // ::
      "\xff\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1a\xe1"  // ff02::1
      "\xfe\x80\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x1a\xe1"  // fe80::1
      "e"sv);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->peers, addrs({"127.0.0.1:6881", "192.168.1.2:6881", "[fe80::1]:6881"}));
}

TEST(AnnounceResponse, DeduplicatesPeersKeepingTheFirst) {
  auto r = parse_announce_response(
      "d5:peersl"
      "d2:ip7:1.2.3.44:porti6881ee"
      "d2:ip7:1.2.3.44:porti6882ee"
      "d2:ip7:1.2.3.44:porti6881ee"
      "d2:ip7:5.6.7.84:porti6881ee"
      "d2:ip7:1.2.3.44:porti6882ee"
      "ee");
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->peers, addrs({"1.2.3.4:6881", "1.2.3.4:6882", "5.6.7.8:6881"}));
}

// 6-byte compact entries for 10.0.0.1, 10.0.0.2, ... port 6881.
std::string compact_peers(std::size_t count) {
  std::string out;
  for (std::uint32_t i = 1; i <= count; ++i) {
    const std::uint32_t ip = 0x0a000000 + i;
    out += {static_cast<char>(ip >> 24),
            static_cast<char>(ip >> 16),
            static_cast<char>(ip >> 8),
            static_cast<char>(ip),
            '\x1a',
            '\xe1'};
  }
  return out;
}

TEST(AnnounceResponse, CapsAHundredThousandPeersAtMaxPeers) {
  const std::string peers = compact_peers(100'000);
  const std::string body = "d8:intervali1800e5:peers600000:" + peers + "e";
  auto r = parse_announce_response(body);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->peers.size(), 2000u);
  EXPECT_EQ(r->peers.front(), peer_address::v4(0x0a000001, 6881));
  EXPECT_EQ(r->peers.back(), peer_address::v4(0x0a000000 + 2000, 6881));

  response_limits small;
  small.max_peers = 3;
  auto capped = parse_announce_response(
      "d5:peersl"
      "d2:ip7:1.1.1.14:porti1ee"
      "d2:ip7:1.1.1.14:porti1ee"  // a duplicate does not use up the cap
      "d2:ip7:2.2.2.24:porti1ee"
      "d2:ip7:3.3.3.34:porti1ee"
      "d2:ip7:4.4.4.44:porti1ee"
      "ee",
      small);
  ASSERT_TRUE(capped) << capped.error().message();
  EXPECT_EQ(capped->peers, addrs({"1.1.1.1:1", "2.2.2.2:1", "3.3.3.3:1"}));
}

TEST(AnnounceResponse, RefusesATenMegabyteBody) {
  const std::string peers = compact_peers(10 * 1024 * 1024 / 6);
  const std::string body =
      "d8:intervali1800e5:peers" + std::to_string(peers.size()) + ":" + peers + "e";
  ASSERT_GT(body.size(), 10u * 1000 * 1000);
  auto r = parse_announce_response(body);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::body_too_large)) << r.error().message();
}

TEST(AnnounceResponse, MaxBodyIsInclusive) {
  const std::string body = "d5:peers0:e";  // 11 bytes
  response_limits limits;
  limits.max_body = 11;
  EXPECT_TRUE(parse_announce_response(body, limits));
  limits.max_body = 10;
  auto r = parse_announce_response(body, limits);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::body_too_large));
}

struct bad_body {
  std::string body;
  errc expected;
};

void PrintTo(const bad_body& b, std::ostream* os) {
  *os << '"' << b.body << '"';
}

class AnnounceResponseRejects : public ::testing::TestWithParam<bad_body> {};

TEST_P(AnnounceResponseRejects, WithTheSpecificError) {
  auto r = parse_announce_response(GetParam().body);
  ASSERT_FALSE(r) << "accepted " << GetParam().body;
  EXPECT_EQ(r.error().code, make_error_code(GetParam().expected)) << r.error().message();
}

INSTANTIATE_TEST_SUITE_P(BadPeers, AnnounceResponseRejects,
                         ::testing::Values(bad_body{"d5:peers7:\x01\x02\x03\x04\x1a\xe1\x00"s
                                                    "e",
                                                    errc::bad_peers},
                                           bad_body{"d5:peers5:\x01\x02\x03\x04\x1a"s
                                                    "e",
                                                    errc::bad_peers},
                                           bad_body{"d5:peers0:6:peers617:" +
                                                        std::string(17, '\x01') + "e",
                                                    errc::bad_peers},
                                           bad_body{"d5:peersi6ee", errc::bad_peers},
                                           bad_body{"d5:peersdee", errc::bad_peers}));

INSTANTIATE_TEST_SUITE_P(
    NotADictionary, AnnounceResponseRejects,
    ::testing::Values(bad_body{"", errc::not_a_dictionary}, bad_body{"le", errc::not_a_dictionary},
                      bad_body{"i42e", errc::not_a_dictionary},
                      bad_body{"4:spam", errc::not_a_dictionary},
                      bad_body{"<html><body>502 Bad Gateway</body></html>", errc::not_a_dictionary},
                      bad_body{"d8:intervali1800e5:peers", errc::not_a_dictionary},
                      bad_body{"d5:peers0:5:peers0:e", errc::not_a_dictionary}));

INSTANTIATE_TEST_SUITE_P(MissingField, AnnounceResponseRejects,
                         ::testing::Values(bad_body{"de", errc::missing_field},
                                           bad_body{"d8:intervali1800ee", errc::missing_field},
                                           bad_body{"d14:failure reasoni1ee", errc::missing_field},
                                           bad_body{"d15:warning message2:hie",
                                                    errc::missing_field}));

// ---------------------------------------------------------------------------------------
// Scrape (BEP 48)

const crypto::sha1_digest scrape_hash = bytes20("abcdefghij012345678\xff"sv);

struct scrape_url_case {
  const char* announce;
  std::optional<std::string> scrape;
};

void PrintTo(const scrape_url_case& c, std::ostream* os) {
  *os << c.announce;
}

class ScrapeUrl : public ::testing::TestWithParam<scrape_url_case> {};

TEST_P(ScrapeUrl, FollowsBep48) {
  EXPECT_EQ(scrape_url(GetParam().announce, scrape_hash), GetParam().scrape);
}

std::string with_hash(std::string prefix) {
  return prefix + "info_hash=abcdefghij012345678%FF";
}

INSTANTIATE_TEST_SUITE_P(
    Bep48, ScrapeUrl,
    ::testing::Values(
        scrape_url_case{"http://example.com/announce", with_hash("http://example.com/scrape?")},
        scrape_url_case{"http://example.com/x/announce", with_hash("http://example.com/x/scrape?")},
        scrape_url_case{"http://example.com/announce.php",
                        with_hash("http://example.com/scrape.php?")},
        scrape_url_case{"http://example.com/announce?x2%0644",
                        with_hash("http://example.com/scrape?x2%0644&")},
        scrape_url_case{"http://example.com/announce?x=2/4",
                        with_hash("http://example.com/scrape?x=2/4&")},
        scrape_url_case{"http://example.com:6969/x/announce?y=/announce",
                        with_hash("http://example.com:6969/x/scrape?y=/announce&")},
        scrape_url_case{"udp://tracker.example:1337/announce",
                        with_hash("udp://tracker.example:1337/scrape?")},
        scrape_url_case{"http://example.com/a", std::nullopt},
        scrape_url_case{"http://example.com/x%064announce", std::nullopt},
        scrape_url_case{"http://example.com/announce/x", std::nullopt},
        scrape_url_case{"http://example.com/Announce", std::nullopt},
        scrape_url_case{"http://example.com/", std::nullopt},
        scrape_url_case{"http://announce.example.com", std::nullopt},
        scrape_url_case{"http://announce.example.com?x=/announce", std::nullopt}));

TEST(ScrapeResponse, ReadsTheEntryForOurInfoHash) {
  auto r = parse_scrape_response(
      "d5:filesd"
      "20:abcdefghij012345678\xff"
      "d8:completei5e10:downloadedi50e10:incompletei10ee"
      "20:AAAAAAAAAAAAAAAAAAAAd8:completei1e10:downloadedi2e10:incompletei3ee"
      "ee"sv,
      scrape_hash);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->complete, 5);
  EXPECT_EQ(r->downloaded, 50);
  EXPECT_EQ(r->incomplete, 10);
}

TEST(ScrapeResponse, MissingCountsReadAsZero) {
  auto r = parse_scrape_response(
      "d5:filesd20:abcdefghij012345678\xff"
      "d8:completei7eeee"sv,
      scrape_hash);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->complete, 7);
  EXPECT_EQ(r->downloaded, 0);
  EXPECT_EQ(r->incomplete, 0);
}

TEST(ScrapeResponse, WithoutOurInfoHashIsNotInScrape) {
  auto r = parse_scrape_response(
      "d5:filesd20:AAAAAAAAAAAAAAAAAAAAd8:completei1e10:downloadedi2e10:incompletei3eeee",
      scrape_hash);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::not_in_scrape));
  auto empty = parse_scrape_response("d5:filesdee", scrape_hash);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, make_error_code(errc::not_in_scrape));
}

TEST(ScrapeResponse, FailureReasonIsATrackerError) {
  auto r = parse_scrape_response("d14:failure reason15:scrape disablede", scrape_hash);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::tracker_error));
  EXPECT_EQ(r.error().detail, "scrape disabled");
}

TEST(ScrapeResponse, RejectsMalformedBodies) {
  struct scrape_case {
    std::string body;
    errc expected;
  };
  for (const auto& c :
       {scrape_case{"", errc::not_a_dictionary}, scrape_case{"le", errc::not_a_dictionary},
        scrape_case{"de", errc::missing_field}, scrape_case{"d5:fileslee", errc::missing_field},
        scrape_case{"d5:filesd20:abcdefghij012345678\xff"
                    "i1eee"s,
                    errc::missing_field}}) {
    auto r = parse_scrape_response(c.body, scrape_hash);
    ASSERT_FALSE(r) << c.body;
    EXPECT_EQ(r.error().code, make_error_code(c.expected)) << c.body << ": " << r.error().message();
  }
  response_limits limits;
  limits.max_body = 4;
  auto big = parse_scrape_response("d5:filesdee", scrape_hash, limits);
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().code, make_error_code(errc::body_too_large));
}

}  // namespace
}  // namespace corrent::tracker
