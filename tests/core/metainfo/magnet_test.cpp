#include "core/metainfo/magnet.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "core/crypto/sha1.hpp"
#include "core/metainfo/errc.hpp"

namespace corrent::metainfo {
namespace {

constexpr std::string_view hex_hash = "c9e15763f722f23e98a29decdfae341b98d53056";
constexpr std::string_view base32_hash = "ZHQVOY7XELZD5GFCTXWN7LRUDOMNKMCW";  // the same 20 bytes

crypto::sha1_digest digest(std::string_view hex) {
  return *crypto::sha1_from_hex(hex);
}

std::string link(std::string_view rest) {
  return "magnet:?xt=urn:btih:" + std::string(hex_hash) + std::string(rest);
}

using tiers = std::vector<std::vector<std::string>>;
using strings = std::vector<std::string>;

// --- is_magnet ---

TEST(Magnet, IsMagnetChecksTheSchemeCaseInsensitively) {
  EXPECT_TRUE(is_magnet("magnet:?xt=urn:btih:abc"));
  EXPECT_TRUE(is_magnet("MAGNET:?xt"));
  EXPECT_TRUE(is_magnet("Magnet:"));
  EXPECT_FALSE(is_magnet("magnet"));
  EXPECT_FALSE(is_magnet("magnet.torrent"));
  EXPECT_FALSE(is_magnet("./magnet:?xt"));
  EXPECT_FALSE(is_magnet(" magnet:?xt"));
  EXPECT_FALSE(is_magnet("/home/me/debian.torrent"));
  EXPECT_FALSE(is_magnet(""));
}

// --- info-hash ---

TEST(Magnet, ParsesHexInfoHash) {
  auto p = parse_magnet(link(""));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->info_hash, digest(hex_hash));
  EXPECT_TRUE(p->name.empty());
  EXPECT_TRUE(p->trackers.empty());
  EXPECT_TRUE(p->url_list.empty());
  EXPECT_TRUE(p->peers.empty());
}

TEST(Magnet, HexInfoHashInUpperCase) {
  auto p = parse_magnet("magnet:?xt=urn:btih:C9E15763F722F23E98A29DECDFAE341B98D53056");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->info_hash, digest(hex_hash));
}

TEST(Magnet, ParsesBase32InfoHashOfOldClients) {
  auto p = parse_magnet("magnet:?xt=urn:btih:" + std::string(base32_hash));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->info_hash, digest(hex_hash));

  std::string lower(base32_hash);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto q = parse_magnet("magnet:?xt=urn:btih:" + lower);
  ASSERT_TRUE(q) << q.error().message();
  EXPECT_EQ(q->info_hash, digest(hex_hash));
}

TEST(Magnet, Base32DecodesEveryBitPosition) {
  // Each 5-character group spans byte boundaries differently: check a second vector.
  auto p = parse_magnet("magnet:?xt=urn:btih:AERUKZ4JVPG66AJDIVTYTK6N54ASGRLH");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->info_hash, digest("0123456789abcdef0123456789abcdef01234567"));
}

TEST(Magnet, SchemeAndUrnPrefixAreCaseInsensitive) {
  auto p = parse_magnet("MAGNET:?xt=URN:BTIH:" + std::string(hex_hash));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->info_hash, digest(hex_hash));
  auto q = parse_magnet("Magnet:?xt=Urn:BtIh:" + std::string(hex_hash));
  ASSERT_TRUE(q) << q.error().message();
}

TEST(Magnet, PercentEncodedXtIsDecodedFirst) {
  auto p = parse_magnet("magnet:?xt=urn%3Abtih%3A" + std::string(hex_hash));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->info_hash, digest(hex_hash));
}

TEST(Magnet, FirstBtihWins) {
  auto p = parse_magnet(link("&xt=urn:btih:0123456789abcdef0123456789abcdef01234567"));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->info_hash, digest(hex_hash));
}

TEST(Magnet, LaterXtAfterTheBtihIsNotExamined) {
  auto p = parse_magnet(link("&xt=urn:btih:nonsense&xt=" + std::string(5000, 'x')));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->info_hash, digest(hex_hash));
}

TEST(Magnet, OtherUrnsAreSkipped) {
  // Multi-network links carry ed2k, sha1, tiger tree URNs besides the btih.
  auto p = parse_magnet(
      "magnet:?xt=urn:ed2k:354B15E68FB8F36D7CD88FF94116CDC1"
      "&xt=urn:sha1:QLFYWY2RI5WZCTEP6MJKR5CAFGP7FQ5X&xt=urn:btih:" +
      std::string(hex_hash));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->info_hash, digest(hex_hash));
}

TEST(Magnet, NumberedXtIsAccepted) {
  auto p =
      parse_magnet("magnet:?xt.1=urn:btih:" + std::string(hex_hash) + "&dn.1=a&tr.1=udp://t/a");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->info_hash, digest(hex_hash));
  EXPECT_EQ(p->name, "a");
  EXPECT_EQ(p->trackers, (tiers{{"udp://t/a"}}));
}

TEST(Magnet, BtmhOnlyIsNotSupported) {
  auto p = parse_magnet(
      "magnet:?xt=urn:btmh:1220caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e"
      "&dn=bittorrent-v2-test");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error(), errc::magnet_v2_not_supported);
  EXPECT_NE(p.error().message().find("btmh"), std::string::npos);
}

TEST(Magnet, HybridBtihAndBtmhIsAV1Magnet) {
  const std::string btmh =
      "urn:btmh:1220caf1e1c30e81cb361b9ee167c4aa64228a7fa4fa9f6105232b28ad099f3a302e";
  auto p = parse_magnet("magnet:?xt=" + btmh + "&xt=urn:btih:" + std::string(hex_hash) +
                        "&dn=bittorrent-v1-v2-hybrid-test");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->info_hash, digest(hex_hash));
  EXPECT_EQ(p->name, "bittorrent-v1-v2-hybrid-test");
  auto q = parse_magnet(link("&xt=" + btmh));
  ASSERT_TRUE(q) << q.error().message();
  EXPECT_EQ(q->info_hash, digest(hex_hash));
}

// --- errors ---

void expect_bad(std::string_view uri, std::string_view detail_part) {
  auto p = parse_magnet(uri);
  ASSERT_FALSE(p) << uri;
  EXPECT_EQ(p.error(), errc::bad_magnet) << uri;
  EXPECT_NE(p.error().detail.find(detail_part), std::string::npos)
      << uri << " -> " << p.error().message();
}

TEST(Magnet, NoInfoHashIsAnError) {
  expect_bad("magnet:?", "no info-hash");
  expect_bad("magnet:?dn=name&tr=udp://t/a", "no info-hash");
  expect_bad("magnet:?xt=urn:sha1:QLFYWY2RI5WZCTEP6MJKR5CAFGP7FQ5X", "no info-hash");
  expect_bad("magnet:?XT=urn:btih:" + std::string(hex_hash),
             "no info-hash");  // keys are case-sensitive
  expect_bad("magnet:?xt", "no info-hash");
}

TEST(Magnet, MissingQuestionMarkIsAnError) {
  expect_bad("magnet:", "no '?'");
  expect_bad("magnet:xt=urn:btih:" + std::string(hex_hash), "no '?'");
  expect_bad("magnet://?xt=urn:btih:" + std::string(hex_hash), "no '?'");
}

TEST(Magnet, NotAMagnetIsAnError) {
  expect_bad("http://example.com/a.torrent", "magnet:");
  expect_bad("", "magnet:");
}

TEST(Magnet, BadHashLengthIsAnError) {
  auto p = parse_magnet("magnet:?xt=urn:btih:abc");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error(), errc::bad_magnet);
  EXPECT_EQ(p.error().detail, "xt: 'urn:btih:abc' is neither 40 hex nor 32 base32 characters");
  expect_bad("magnet:?xt=urn:btih:", "neither 40 hex nor 32 base32");
  expect_bad("magnet:?xt=urn:btih:" + std::string(hex_hash) + "0", "neither");
  expect_bad("magnet:?xt=urn:btih:" + std::string(hex_hash.substr(1)), "neither");
  expect_bad("magnet:?xt=urn:btih:" + std::string(base32_hash.substr(1)), "neither");
}

TEST(Magnet, BadHashCharactersAreAnError) {
  expect_bad("magnet:?xt=urn:btih:g9e15763f722f23e98a29decdfae341b98d53056", "neither");
  expect_bad("magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d5305%20", "neither");
  // 0, 1, 8, 9 are not in the base32 alphabet.
  expect_bad("magnet:?xt=urn:btih:0HQVOY7XELZD5GFCTXWN7LRUDOMNKMCW", "neither");
  expect_bad("magnet:?xt=urn:btih:ZHQVOY7XELZD5GFCTXWN7LRUDOMNKMC1", "neither");
  expect_bad("magnet:?xt=urn:btih:ZHQVOY7XELZD5GFCTXWN7LRUDOMNKMC=", "neither");
}

TEST(Magnet, ErrorDetailIsPrintableAndShort) {
  auto p = parse_magnet("magnet:?xt=urn:btih:%1b%5b31m" + std::string(200, 'a'));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error(), errc::bad_magnet);
  EXPECT_EQ(p.error().detail.find('\x1b'), std::string::npos);
  EXPECT_NE(p.error().detail.find("\\x1b"), std::string::npos);
  EXPECT_LT(p.error().detail.size(), 160u);
  EXPECT_NE(p.error().detail.find("..."), std::string::npos);
}

TEST(Magnet, BadPercentEscapeIsAnError) {
  auto p = parse_magnet(link("&dn=a%G1b"));
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error(), errc::bad_magnet);
  EXPECT_EQ(p.error().detail, "dn: bad percent escape '%G1' at byte 65");
  expect_bad(link("&tr=udp%3"), "tr: truncated percent escape '%3'");
  expect_bad(link("&ws=http://w/%"), "ws: truncated percent escape '%'");
  expect_bad(link("&x.pe=1.2.3.4%3A%zz"), "x.pe: bad percent escape '%zz'");
  expect_bad("magnet:?xt=urn:btih:%4", "xt: truncated percent escape '%4' at byte 20");
  expect_bad(link("&dn=%4"), "truncated percent escape");
}

TEST(Magnet, BadPercentEscapeInAnUnknownParameterIsIgnored) {
  auto p = parse_magnet(link("&xl=%G1&so=%4&kt=a+b"));
  ASSERT_TRUE(p) << p.error().message();
}

// --- dn ---

TEST(Magnet, NameIsPercentDecodedAndPlusIsASpace) {
  auto p = parse_magnet(link("&dn=Big+Buck%20Bunny%20%28720p%29%2B%C3%A9t%C3%A9"));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->name, "Big Buck Bunny (720p)+\xc3\xa9t\xc3\xa9");
}

TEST(Magnet, NameKeepsNulAndControlBytes) {
  auto p = parse_magnet(link("&dn=a%00b%0Ac%2F..%2Fd"));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->name, std::string("a\0b\nc/../d", 10));
}

TEST(Magnet, FirstNameWins) {
  auto p = parse_magnet(link("&dn=first&dn=second"));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->name, "first");
}

TEST(Magnet, OverlongNameIsDropped) {
  auto p = parse_magnet(link("&dn=" + std::string(max_magnet_value + 1, 'n')));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_TRUE(p->name.empty());
  auto q = parse_magnet(link("&dn=" + std::string(max_magnet_value, 'n')));
  ASSERT_TRUE(q) << q.error().message();
  EXPECT_EQ(q->name.size(), max_magnet_value);
}

// --- tr ---

TEST(Magnet, EachTrackerIsItsOwnTierInOrder) {
  auto p = parse_magnet(
      link("&tr=udp%3A%2F%2Ftracker.opentrackr.org%3A1337%2Fannounce"
           "&tr=http://bttracker.debian.org:6969/announce&tr=https%3A%2F%2Ft.example%2Fa%3Fk%3Dv"));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->trackers, (tiers{{"udp://tracker.opentrackr.org:1337/announce"},
                                {"http://bttracker.debian.org:6969/announce"},
                                {"https://t.example/a?k=v"}}));
}

TEST(Magnet, DuplicateTrackersAreDropped) {
  auto p = parse_magnet(link("&tr=udp://a/1&tr=udp://b/2&tr=udp%3A%2F%2Fa%2F1&tr.2=udp://b/2"));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->trackers, (tiers{{"udp://a/1"}, {"udp://b/2"}}));
}

TEST(Magnet, PlusInATrackerUrlStaysAPlus) {
  auto p = parse_magnet(link("&tr=http://t/ann?passkey=ab+cd"));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->trackers, (tiers{{"http://t/ann?passkey=ab+cd"}}));
}

TEST(Magnet, TrackersWithSpacesOrControlCharactersAreDropped) {
  auto p = parse_magnet(
      link("&tr=http://t/a%20b&tr=http://t/%00&tr=http://t/%0A&tr=http://t/%7F&tr=&tr=udp://ok/"));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->trackers, (tiers{{"udp://ok/"}}));
}

TEST(Magnet, TrackersAreBounded) {
  std::string rest;
  for (int i = 0; i < 300; ++i) rest += "&tr=udp://t" + std::to_string(i) + "/a";
  auto p = parse_magnet(link(rest));
  ASSERT_TRUE(p) << p.error().message();
  ASSERT_EQ(p->trackers.size(), max_magnet_trackers);
  EXPECT_EQ(p->trackers.front(), strings{"udp://t0/a"});
  EXPECT_EQ(p->trackers.back(), strings{"udp://t255/a"});
}

TEST(Magnet, OverlongTrackerIsDroppedNotAnError) {
  const std::string long_url = "http://t/" + std::string(max_magnet_value, 'a');
  auto p = parse_magnet(link("&tr=" + long_url + "&tr=udp://ok/"));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->trackers, (tiers{{"udp://ok/"}}));
}

// --- ws ---

TEST(Magnet, WebSeedsGoToUrlList) {
  auto p =
      parse_magnet(link("&ws=https%3A%2F%2Fcdimage.debian.org%2Fdebian-cd%2F&ws=http://mirror/a%20b"
                        "&ws=http://m2/&ws.1=http://m3/&ws=http://m2/"));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->url_list,
            (strings{"https://cdimage.debian.org/debian-cd/", "http://m2/", "http://m3/"}));
  EXPECT_TRUE(p->trackers.empty());
}

TEST(Magnet, WebSeedsAreBounded) {
  std::string rest;
  for (int i = 0; i < 300; ++i) rest += "&ws=http://w" + std::to_string(i) + "/";
  auto p = parse_magnet(link(rest));
  ASSERT_TRUE(p) << p.error().message();
  ASSERT_EQ(p->url_list.size(), max_magnet_web_seeds);
  EXPECT_EQ(p->url_list.back(), "http://w255/");
}

// --- x.pe ---

TEST(Magnet, NumericPeersAreKept) {
  auto p =
      parse_magnet(link("&x.pe=10.0.0.2:6881&x.pe=%5B2001%3Adb8%3A%3A1%5D%3A51413&x.pe=[::1]:6882"
                        "&x.pe.1=192.168.1.5:7000"));
  ASSERT_TRUE(p) << p.error().message();
  ASSERT_EQ(p->peers.size(), 4u);
  EXPECT_EQ(p->peers[0].to_string(), "10.0.0.2:6881");
  EXPECT_EQ(p->peers[1].to_string(), "[2001:db8::1]:51413");
  EXPECT_EQ(p->peers[2].to_string(), "[::1]:6882");
  EXPECT_EQ(p->peers[3].to_string(), "192.168.1.5:7000");
}

TEST(Magnet, PeersWithNamesOrBadAddressesAreSkipped) {
  auto p =
      parse_magnet(link("&x.pe=peer.example.org:6881&x.pe=localhost:1&x.pe=1.2.3.4&x.pe=1.2.3.4:0"
                        "&x.pe=1.2.3.4:70000&x.pe=0.0.0.0:80&x.pe=224.0.0.1:80&x.pe=2001:db8::1:80"
                        "&x.pe=[fe80::1%25eth0]:80&x.pe=&x.pe=1.2.3.4:80%00&x.pe=5.6.7.8:9"));
  ASSERT_TRUE(p) << p.error().message();
  ASSERT_EQ(p->peers.size(), 1u);
  EXPECT_EQ(p->peers[0].to_string(), "5.6.7.8:9");
}

TEST(Magnet, DuplicatePeersAreDropped) {
  auto p = parse_magnet(link("&x.pe=1.2.3.4:5&x.pe=1.2.3.4:5&x.pe=1.2.3.4:6"));
  ASSERT_TRUE(p) << p.error().message();
  ASSERT_EQ(p->peers.size(), 2u);
}

TEST(Magnet, PeersAreBounded) {
  std::string rest;
  for (int i = 0; i < 1100; ++i) {
    rest += "&x.pe=10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".1:6881";
  }
  auto p = parse_magnet(link(rest));
  ASSERT_TRUE(p) << p.error().message();
  ASSERT_EQ(p->peers.size(), max_magnet_peers);
  EXPECT_EQ(p->peers.back().to_string(), "10.3.231.1:6881");  // entry 999
}

// --- other parameters, bounds ---

TEST(Magnet, UnknownParametersAreIgnored) {
  auto p = parse_magnet(link(
      "&xl=10826029&as=http://a/&xs=http://x/&kt=a+b&mt=http://m/&so=0-3&x.foo=1&novalue&&=&tr"));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_TRUE(p->trackers.empty());
  EXPECT_TRUE(p->url_list.empty());
  EXPECT_TRUE(p->name.empty());
}

TEST(Magnet, NumberedFormsNeedDigits) {
  // "tr.x" and "tr." are other keys: ignored.
  auto p = parse_magnet(link("&tr.x=udp://a/&tr.=udp://b/&tr.12=udp://c/"));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->trackers, (tiers{{"udp://c/"}}));
}

TEST(Magnet, LinkSizeIsBounded) {
  const std::string base = link("&dn=x&kt=");
  std::string at_limit = base + std::string(max_magnet_size - base.size(), 'k');
  ASSERT_EQ(at_limit.size(), max_magnet_size);
  auto p = parse_magnet(at_limit);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->name, "x");
  expect_bad(at_limit + "k", "65537 bytes");
}

TEST(Magnet, OverlongXtIsAnError) {
  expect_bad("magnet:?xt=urn:btih:" + std::string(max_magnet_value, 'a'), "xt: 4105 bytes");
  expect_bad("magnet:?xt=" + std::string(60000, 'x'), "above the limit of 4096");
}

// --- real-world links ---

TEST(Magnet, UbuntuStyleLink) {
  auto p = parse_magnet(
      "magnet:?xt=urn:btih:3e2de7a6d8590bb25b41097fa668045952fcc506"
      "&dn=ubuntu-24.04-desktop-amd64.iso"
      "&tr=https%3A%2F%2Ftorrent.ubuntu.com%2Fannounce"
      "&tr=https%3A%2F%2Fipv6.torrent.ubuntu.com%2Fannounce");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(crypto::to_hex(p->info_hash), "3e2de7a6d8590bb25b41097fa668045952fcc506");
  EXPECT_EQ(p->name, "ubuntu-24.04-desktop-amd64.iso");
  EXPECT_EQ(p->trackers, (tiers{{"https://torrent.ubuntu.com/announce"},
                                {"https://ipv6.torrent.ubuntu.com/announce"}}));
}

TEST(Magnet, DebianStyleLinkWithWebSeed) {
  auto p = parse_magnet(
      "magnet:?xt=urn:btih:dd8255ecdc7ca55fb0bbf81323d87062db1f6d1c"
      "&dn=debian-12.5.0-amd64-netinst.iso"
      "&tr=http%3A%2F%2Fbttracker.debian.org%3A6969%2Fannounce"
      "&ws=https%3A%2F%2Fcdimage.debian.org%2Fcdimage%2Frelease%2F12.5.0%2Famd64%2Fiso-cd%2F");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->info_hash, digest("dd8255ecdc7ca55fb0bbf81323d87062db1f6d1c"));
  EXPECT_EQ(p->name, "debian-12.5.0-amd64-netinst.iso");
  EXPECT_EQ(p->trackers, (tiers{{"http://bttracker.debian.org:6969/announce"}}));
  EXPECT_EQ(p->url_list,
            (strings{"https://cdimage.debian.org/cdimage/release/12.5.0/amd64/iso-cd/"}));
}

TEST(Magnet, QBittorrentStyleLinkWithUnescapedUrls) {
  // Many sites paste tracker URLs without escaping them.
  auto p = parse_magnet(
      "magnet:?xt=urn:btih:DD8255ECDC7CA55FB0BBF81323D87062DB1F6D1C&dn=Sintel+%5B1080p%5D"
      "&tr=udp://tracker.opentrackr.org:1337/announce&tr=udp://open.stealth.si:80/announce"
      "&x.pe=203.0.113.7:51413");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->info_hash, digest("dd8255ecdc7ca55fb0bbf81323d87062db1f6d1c"));
  EXPECT_EQ(p->name, "Sintel [1080p]");
  EXPECT_EQ(p->trackers, (tiers{{"udp://tracker.opentrackr.org:1337/announce"},
                                {"udp://open.stealth.si:80/announce"}}));
  ASSERT_EQ(p->peers.size(), 1u);
  EXPECT_EQ(p->peers[0].to_string(), "203.0.113.7:51413");
}

TEST(Magnet, OldClientBase32Link) {
  auto p = parse_magnet(
      "magnet:?xt=urn:btih:3WBFL3G4PSSV7MF37AJSHWDQMLNR63I4&dn=old+client&tr=http://t.example/a");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->info_hash, digest("dd8255ecdc7ca55fb0bbf81323d87062db1f6d1c"));
  EXPECT_EQ(p->name, "old client");
}

// --- make_magnet ---

TEST(Magnet, MakeMagnetWritesHexNameTrackersAndWebSeeds) {
  const std::string m =
      make_magnet(digest("C9E15763F722F23E98A29DECDFAE341B98D53056"), "Big Buck Bunny (1).mkv",
                  {{"udp://t1:80/announce", "http://t2/a"}, {"udp://t3/"}}, {"http://w/a b"});
  EXPECT_EQ(m,
            "magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056"
            "&dn=Big%20Buck%20Bunny%20%281%29.mkv"
            "&tr=udp%3A%2F%2Ft1%3A80%2Fannounce&tr=http%3A%2F%2Ft2%2Fa&tr=udp%3A%2F%2Ft3%2F"
            "&ws=http%3A%2F%2Fw%2Fa%20b");
  EXPECT_TRUE(is_magnet(m));
}

TEST(Magnet, MakeMagnetOmitsAnEmptyName) {
  EXPECT_EQ(make_magnet(digest(hex_hash), "", {}),
            "magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056");
}

TEST(Magnet, MakeMagnetKeepsUnreservedCharacters) {
  EXPECT_EQ(make_magnet(digest(hex_hash), "aZ09-._~+&=%/", {}),
            "magnet:?xt=urn:btih:c9e15763f722f23e98a29decdfae341b98d53056"
            "&dn=aZ09-._~%2B%26%3D%25%2F");
}

TEST(Magnet, RoundTrip) {
  const auto hash = digest("0123456789abcdef0123456789abcdef01234567");
  const std::string name =
      std::string("r\xc3\xa9sum\xc3\xa9 +&=%#? [a] ") + std::string(1, '\0') + "\x01z";
  const tiers trackers{{"udp://t1:80/announce", "http://t2/a?x=1&y=2+3"},
                       {"https://t3.example/ann?pk=a%2Fb"}};
  const strings url_list{"https://w.example/files/", "http://w2/p?q=%20"};
  const std::string m = make_magnet(hash, name, trackers, url_list);
  auto p = parse_magnet(m);
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->info_hash, hash);
  EXPECT_EQ(p->name, name);
  EXPECT_EQ(p->trackers, (tiers{{"udp://t1:80/announce"},
                                {"http://t2/a?x=1&y=2+3"},
                                {"https://t3.example/ann?pk=a%2Fb"}}));
  EXPECT_EQ(p->url_list, url_list);
  EXPECT_TRUE(p->peers.empty());
}

TEST(Magnet, RoundTripWithoutNameOrTrackers) {
  const auto hash = digest(hex_hash);
  auto p = parse_magnet(make_magnet(hash, "", {}));
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->info_hash, hash);
  EXPECT_TRUE(p->name.empty());
  EXPECT_TRUE(p->trackers.empty());
  EXPECT_TRUE(p->url_list.empty());
}

TEST(Magnet, ErrorCodesHaveMessages) {
  EXPECT_EQ(make_error_code(errc::bad_magnet).message(), "invalid magnet link");
  EXPECT_EQ(make_error_code(errc::magnet_v2_not_supported).message(),
            "BitTorrent v2 magnet links (btmh) are not supported yet");
  auto p = parse_magnet("magnet:?xt=urn:btih:abc");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().message(),
            "invalid magnet link: xt: 'urn:btih:abc' is neither 40 hex nor 32 base32 characters");
}

}  // namespace
}  // namespace corrent::metainfo
