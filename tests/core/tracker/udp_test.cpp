#include "core/tracker/udp.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/net/peer_address_print.hpp"
#include "core/tracker/errc.hpp"

namespace corrent::tracker::udp {
namespace {

using net::peer_address;

// "00 01 ff" -> the bytes; spaces are for the reader.
std::string unhex(std::string_view hex) {
  std::string out;
  int pending = -1;
  for (char c : hex) {
    if (c == ' ') continue;
    const int v = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
    if (pending < 0) {
      pending = v;
    } else {
      out += static_cast<char>(pending * 16 + v);
      pending = -1;
    }
  }
  EXPECT_EQ(pending, -1) << "odd hex digit count in " << hex;
  return out;
}

template <std::size_t N>
std::string as_string(const std::array<char, N>& a) {
  return {a.data(), a.size()};
}

std::array<std::uint8_t, 20> bytes20(std::string_view s) {
  std::array<std::uint8_t, 20> out{};
  for (std::size_t i = 0; i < out.size() && i < s.size(); ++i) {
    out[i] = static_cast<std::uint8_t>(s[i]);
  }
  return out;
}

std::vector<peer_address> addrs(std::initializer_list<const char*> texts) {
  std::vector<peer_address> out;
  for (const char* t : texts) {
    auto a = peer_address::parse(t);
    EXPECT_TRUE(a) << t;
    out.push_back(a.value_or(peer_address{}));
  }
  return out;
}

constexpr std::uint32_t txid = 0xcafebabe;

// ---------------------------------------------------------------------------------------
// connect

TEST(UdpConnect, EncodesTheSixteenByteRequest) {
  EXPECT_EQ(as_string(encode_connect(0x12345678)),
            unhex("00000417 27101980"  // protocol id
                  "00000000"           // action: connect
                  "12345678"));        // transaction id
}

TEST(UdpConnect, ParsesTheConnectionId) {
  auto id = parse_connect(unhex("00000000 cafebabe 0123456789abcdef"), txid);
  ASSERT_TRUE(id) << id.error().message();
  EXPECT_EQ(*id, 0x0123456789abcdefULL);
}

TEST(UdpConnect, ErrorPacketIsATrackerErrorCarryingTheMessage) {
  auto id = parse_connect(unhex("00000003 cafebabe") + "you are banned", txid);
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().code, make_error_code(errc::tracker_error));
  EXPECT_EQ(id.error().detail, "you are banned");
}

struct bad_reply {
  const char* name;
  std::string packet;
};

void PrintTo(const bad_reply& b, std::ostream* os) {
  *os << b.name;
}

class UdpConnectRejects : public ::testing::TestWithParam<bad_reply> {};

TEST_P(UdpConnectRejects, AsABadPacket) {
  auto id = parse_connect(GetParam().packet, txid);
  ASSERT_FALSE(id) << GetParam().name;
  EXPECT_EQ(id.error().code, make_error_code(errc::bad_packet)) << id.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Replies, UdpConnectRejects,
    ::testing::Values(bad_reply{"empty", ""}, bad_reply{"seven bytes", unhex("00000000 cafeba")},
                      bad_reply{"fifteen bytes", unhex("00000000 cafebabe 0123456789abcd")},
                      bad_reply{"wrong txid", unhex("00000000 cafebabf 0123456789abcdef")},
                      bad_reply{"announce action", unhex("00000001 cafebabe 0123456789abcdef")},
                      bad_reply{"unknown action", unhex("00000009 cafebabe 0123456789abcdef")},
                      bad_reply{"error for another txid", unhex("00000003 00000001") + "nope"}));

// ---------------------------------------------------------------------------------------
// announce

announce_request sample_request() {
  announce_request req;
  req.info_hash = bytes20(unhex("a0a1a2a3a4a5a6a7a8a9 aaabacadaeafb0b1b2b3"));
  req.peer_id = bytes20("-CR0001-abcdefghijkl");
  req.downloaded = 1000;
  req.left = 0x100000000;  // 4 GiB: needs all 8 bytes
  req.uploaded = 7;
  req.ev = event::started;
  req.key = 0xdeadbeef;
  req.numwant = 50;
  req.port = 6881;
  return req;
}

TEST(UdpAnnounce, EncodesTheNinetyEightByteRequest) {
  EXPECT_EQ(as_string(encode_announce(0x0102030405060708, txid, sample_request())),
            unhex("0102030405060708"                          // connection id
                  "00000001"                                  // action: announce
                  "cafebabe"                                  // transaction id
                  "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3"  // info-hash
                  "2d4352303030312d6162636465666768696a6b6c"  // peer id
                  "00000000000003e8"                          // downloaded
                  "0000000100000000"                          // left
                  "0000000000000007"                          // uploaded
                  "00000002"                                  // event: started
                  "00000000"                                  // IP: the sender's
                  "deadbeef"                                  // key
                  "00000032"                                  // num_want
                  "1ae1"));                                   // port
}

TEST(UdpAnnounce, EncodesEventNumbersAndDefaultNumwant) {
  struct event_case {
    event ev;
    const char* bytes;
  };
  auto req = sample_request();
  req.numwant = -1;
  for (const auto& c :
       {event_case{event::none, "00000000"}, event_case{event::completed, "00000001"},
        event_case{event::started, "00000002"}, event_case{event::stopped, "00000003"}}) {
    req.ev = c.ev;
    const std::string packet = as_string(encode_announce(1, txid, req));
    EXPECT_EQ(packet.substr(80, 4), unhex(c.bytes)) << c.bytes;
    EXPECT_EQ(packet.substr(92, 4), unhex("ffffffff"));
  }
}

TEST(UdpAnnounce, ParsesAnIpv4Reply) {
  auto r = parse_announce(unhex("00000001 cafebabe"
                                "00000708"       // interval 1800
                                "00000003"       // leechers
                                "00000005"       // seeders
                                "01020304 1ae1"  // 1.2.3.4:6881
                                "0a000002 1ae2"),
                          txid, false);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_FALSE(r->failure_reason);
  EXPECT_EQ(r->interval, 1800);
  EXPECT_EQ(r->incomplete, 3);
  EXPECT_EQ(r->complete, 5);
  EXPECT_EQ(r->peers, addrs({"1.2.3.4:6881", "10.0.0.2:6882"}));
}

TEST(UdpAnnounce, ParsesAnIpv6Reply) {
  auto r = parse_announce(unhex("00000001 cafebabe 00000384 00000000 00000001"
                                "20010db8000000000000000000000001 1ae1"
                                "00000000000000000000000000000001 0050"),
                          txid, true);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->interval, 900);
  EXPECT_EQ(r->peers, addrs({"[2001:db8::1]:6881", "[::1]:80"}));
}

TEST(UdpAnnounce, ParsesAReplyWithoutPeers) {
  auto r = parse_announce(unhex("00000001 cafebabe 00000708 00000000 00000000"), txid, false);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_TRUE(r->peers.empty());
  EXPECT_EQ(r->complete, 0);
}

TEST(UdpAnnounce, ZeroIntervalKeepsTheDefault) {
  auto r = parse_announce(unhex("00000001 cafebabe 00000000 00000000 00000000"), txid, false);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->interval, announce_response{}.interval);
  EXPECT_EQ(r->interval, 1800);
}

TEST(UdpAnnounce, ErrorPacketGivesAFailureReason) {
  auto r = parse_announce(unhex("00000003 cafebabe") + "torrent not registered", txid, false);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->failure_reason, "torrent not registered");
  EXPECT_TRUE(r->peers.empty());
}

TEST(UdpAnnounce, DropsUnusableAndDuplicatePeersAndCaps) {
  const std::string packet = unhex(
      "00000001 cafebabe 00000708 00000000 00000000"
      "01020304 0000"  // port 0
      "00000000 1ae1"  // 0.0.0.0
      "e0000001 1ae1"  // multicast
      "ffffffff 1ae1"  // broadcast
      "01020304 1ae1"  // good
      "01020304 1ae1"  // duplicate
      "05060708 1ae1"  // good
      "090a0b0c 1ae1"  // good, but past a cap of 2
  );
  auto all = parse_announce(packet, txid, false);
  ASSERT_TRUE(all) << all.error().message();
  EXPECT_EQ(all->peers, addrs({"1.2.3.4:6881", "5.6.7.8:6881", "9.10.11.12:6881"}));

  response_limits limits;
  limits.max_peers = 2;
  auto capped = parse_announce(packet, txid, false, limits);
  ASSERT_TRUE(capped) << capped.error().message();
  EXPECT_EQ(capped->peers, addrs({"1.2.3.4:6881", "5.6.7.8:6881"}));
}

TEST(UdpAnnounce, CapsAHundredThousandPeersAtMaxPeers) {
  std::string packet = unhex("00000001 cafebabe 00000708 00000000 00000000");
  for (std::uint32_t i = 1; i <= 100'000; ++i) {
    const std::uint32_t ip = 0x0a000000 + i;
    packet += {static_cast<char>(ip >> 24),
               static_cast<char>(ip >> 16),
               static_cast<char>(ip >> 8),
               static_cast<char>(ip),
               '\x1a',
               '\xe1'};
  }
  auto r = parse_announce(packet, txid, false);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->peers.size(), 2000u);
  EXPECT_EQ(r->peers.back(), peer_address::v4(0x0a000000 + 2000, 6881));
}

struct bad_announce {
  const char* name;
  std::string packet;
  bool ipv6;
  errc expected;
};

void PrintTo(const bad_announce& b, std::ostream* os) {
  *os << b.name;
}

class UdpAnnounceRejects : public ::testing::TestWithParam<bad_announce> {};

TEST_P(UdpAnnounceRejects, WithTheSpecificError) {
  auto r = parse_announce(GetParam().packet, txid, GetParam().ipv6);
  ASSERT_FALSE(r) << GetParam().name;
  EXPECT_EQ(r.error().code, make_error_code(GetParam().expected)) << r.error().message();
}

INSTANTIATE_TEST_SUITE_P(
    Replies, UdpAnnounceRejects,
    ::testing::Values(
        bad_announce{"empty", "", false, errc::bad_packet},
        bad_announce{"header only", unhex("00000001 cafebabe"), false, errc::bad_packet},
        bad_announce{"nineteen bytes", unhex("00000001 cafebabe 00000708 00000000 000000"), false,
                     errc::bad_packet},
        bad_announce{"wrong txid",
                     unhex("00000001 cafebabf 00000708 00000000 00000000 01020304 1ae1"), false,
                     errc::bad_packet},
        bad_announce{"connect action",
                     unhex("00000000 cafebabe 00000708 00000000 00000000 01020304 1ae1"), false,
                     errc::bad_packet},
        bad_announce{"scrape action",
                     unhex("00000002 cafebabe 00000708 00000000 00000000 01020304 1ae1"), false,
                     errc::bad_packet},
        bad_announce{"error for another txid", unhex("00000003 cafebab0") + "nope", false,
                     errc::bad_packet},
        bad_announce{"partial v4 peer",
                     unhex("00000001 cafebabe 00000708 00000000 00000000 01020304 1a"), false,
                     errc::bad_peers},
        bad_announce{"v4 peers read as v6",
                     unhex("00000001 cafebabe 00000708 00000000 00000000 01020304 1ae1"), true,
                     errc::bad_peers}));

// ---------------------------------------------------------------------------------------
// scrape

TEST(UdpScrape, EncodesTheRequest) {
  const std::vector<crypto::sha1_digest> hashes = {
      bytes20(unhex("0000000000000000000000000000000000000001")),
      bytes20(unhex("ffeeddccbbaa99887766554433221100a0b0c0d0"))};
  EXPECT_EQ(encode_scrape(0x0102030405060708, txid, hashes),
            unhex("0102030405060708"                          // connection id
                  "00000002"                                  // action: scrape
                  "cafebabe"                                  // transaction id
                  "0000000000000000000000000000000000000001"  // info-hash 1
                  "ffeeddccbbaa99887766554433221100a0b0c0d0"  // info-hash 2
                  ));
}

TEST(UdpScrape, ParsesOneEntryPerInfoHash) {
  auto r = parse_scrape(unhex("00000002 cafebabe"
                              "00000005 00000032 0000000a"  // seeders, completed, leechers
                              "00000001 00000002 00000003"),
                        txid, 2);
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].complete, 5);
  EXPECT_EQ((*r)[0].downloaded, 50);
  EXPECT_EQ((*r)[0].incomplete, 10);
  EXPECT_EQ((*r)[1].complete, 1);
  EXPECT_EQ((*r)[1].downloaded, 2);
  EXPECT_EQ((*r)[1].incomplete, 3);
}

TEST(UdpScrape, ErrorPacketIsATrackerErrorCarryingTheMessage) {
  auto r = parse_scrape(unhex("00000003 cafebabe") + "scrape disabled", txid, 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, make_error_code(errc::tracker_error));
  EXPECT_EQ(r.error().detail, "scrape disabled");
}

TEST(UdpScrape, RejectsShortOrForeignReplies) {
  const std::string one_entry = "00000005 00000032 0000000a";
  struct scrape_case {
    const char* name;
    std::string packet;
    std::size_t expected_count;
  };
  for (const auto& c :
       {scrape_case{"fewer entries than hashes", unhex("00000002 cafebabe" + one_entry), 2},
        scrape_case{"partial entry", unhex("00000002 cafebabe 00000005 00000032"), 1},
        scrape_case{"seven bytes", unhex("00000002 cafeba"), 0},
        scrape_case{"wrong txid", unhex("00000002 00000000" + one_entry), 1},
        scrape_case{"announce action", unhex("00000001 cafebabe" + one_entry), 1}}) {
    auto r = parse_scrape(c.packet, txid, c.expected_count);
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error().code, make_error_code(errc::bad_packet)) << c.name;
  }
  EXPECT_TRUE(parse_scrape(unhex("00000002 cafebabe" + one_entry), txid, 1));
}

}  // namespace
}  // namespace corrent::tracker::udp
