#include "core/torrent/torrent_logic.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "core/crypto/sha1.hpp"
#include "core/torrent/logic_harness.hpp"
#include "core/wire/codec.hpp"

namespace corrent::torrent {
namespace {

using namespace testing;

TEST(TorrentLogic, SendsOurBitfieldOnConnectOnlyWhenWeHavePieces) {
  harness h;
  h.set_info();
  const auto a = h.connect();
  EXPECT_TRUE(h.sent(a).empty());
  harness g;
  swarm::bitfield have(8);
  have.set(3);
  g.set_info(have);
  const auto b = g.connect();
  const auto msgs = g.sent(b);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].type, message_type::bitfield);
}

TEST(TorrentLogic, GetsInterestedThenRequestsOnlyOnceUnchoked) {
  harness h;
  h.set_info();
  const auto a = h.connect();
  h.have_all(a);
  auto msgs = h.sent(a);
  EXPECT_EQ(harness::count(msgs, message_type::interested), 1u);
  EXPECT_TRUE(harness::requests_in(msgs).empty()) << "requested from a peer that chokes us";
  h.send(a, message_type::unchoke);
  msgs = h.sent(a);
  const auto reqs = harness::requests_in(msgs);
  EXPECT_EQ(reqs.size(), 16u);  // every block of the torrent (8 pieces of 2)
  std::set<std::pair<std::uint32_t, std::uint32_t>> unique;
  for (const auto& b : reqs) unique.insert({b.piece, b.begin});
  EXPECT_EQ(unique.size(), reqs.size()) << "a block requested twice";
}

TEST(TorrentLogic, AChokeClearsOurRequestsAndOthersTakeTheBlocks) {
  harness h(64, 2);
  h.set_info();
  const auto a = h.seeder(0x7f000002);
  const auto reqs_a = harness::requests_in(h.sent(a));
  ASSERT_FALSE(reqs_a.empty());
  const auto b = h.connect(0x7f000003);
  h.have_all(b);
  h.sent(b);
  h.send(a, message_type::choke);
  EXPECT_TRUE(h.logic.find_peer(a)->requests.empty());
  // Every block A was asked for is free again: requested from nobody.
  for (const auto& r : reqs_a) {
    EXPECT_EQ(h.logic.picker()->requesters(r.piece, r.begin / block), 0u)
        << "block " << r.piece << "/" << r.begin << " still counted as requested";
  }
  h.send(b, message_type::unchoke);
  EXPECT_EQ(harness::requests_in(h.sent(b)).size(), reqs_a.size());
  // Nothing goes to A while it chokes us.
  h.logic.on_tick(h.now += 1);
  EXPECT_TRUE(harness::requests_in(h.sent(a)).empty());
}

TEST(TorrentLogic, RequestsWhileWeChokeThePeerAreNotServed) {
  harness h;
  swarm::bitfield have(8, true);
  h.set_info(have);
  h.logic.set_seeding(true, h.now);
  const auto a = h.connect();
  EXPECT_TRUE(h.request(a, {0, 0, block}));  // not interested yet, so choked
  std::vector<block_ref> batch;
  EXPECT_EQ(h.logic.take_upload_batch(a, 16, h.now, batch), 0u);
  h.now += 2;                           // a rechoke at most once a second
  h.send(a, message_type::interested);  // rechoke: unchoked
  auto msgs = h.sent(a);
  ASSERT_EQ(harness::count(msgs, message_type::unchoke), 1u);
  EXPECT_EQ(h.logic.take_upload_batch(a, 16, h.now, batch), 0u)
      << "the request sent while choked was kept";
  EXPECT_TRUE(h.request(a, {0, 0, block}));
  EXPECT_EQ(h.logic.take_upload_batch(a, 16, h.now, batch), 1u);
}

TEST(TorrentLogic, ARequestOutOfRangeClosesTheConnection) {
  harness h;
  swarm::bitfield have(8, true);
  h.set_info(have);
  const auto a = h.connect();
  EXPECT_FALSE(h.request(a, {8, 0, block}));
  EXPECT_EQ(h.logic.find_peer(a)->closing, peer::close_reason::request_out_of_range);
  const auto b = h.connect(0x7f000003);
  EXPECT_FALSE(h.request(b, {0, block, block + 1}));
  const auto c = h.connect(0x7f000004);
  EXPECT_FALSE(h.request(c, {7, block, block}));  // past the end of the short last piece
}

TEST(TorrentLogic, HaveOutOfRangeAndBadBitfieldCloseTheConnection) {
  harness h;
  h.set_info();
  const auto a = h.connect();
  EXPECT_FALSE(h.have(a, 8));
  EXPECT_EQ(h.logic.find_peer(a)->closing, peer::close_reason::have_out_of_range);
  const auto b = h.connect(0x7f000003);
  message bf;
  bf.type = message_type::bitfield;
  bf.payload = std::string_view("\xff\xff", 2);  // 8 pieces: one byte
  EXPECT_FALSE(h.send(b, bf));
  EXPECT_EQ(h.logic.find_peer(b)->closing, peer::close_reason::bad_bitfield);
}

TEST(TorrentLogic, EndgameAsksForCopiesAndCancelsThemWhenOneArrives) {
  harness h(4, 2);
  h.set_info();
  const auto a = h.seeder(0x7f000002);
  auto reqs_a = harness::requests_in(h.sent(a));
  ASSERT_EQ(reqs_a.size(), 8u);  // every block: in the endgame at once
  EXPECT_TRUE(h.logic.picker()->in_endgame());
  const auto b = h.seeder(0x7f000003);
  const auto reqs_b = harness::requests_in(h.sent(b));
  EXPECT_EQ(reqs_b.size(), 8u) << "endgame: every missing block asked of the second peer too";
  // A delivers a block: B's copy is cancelled.
  h.deliver(a, reqs_a.front());
  const auto to_b = h.sent(b);
  ASSERT_EQ(harness::count(to_b, message_type::cancel), 1u);
  const auto& c = *std::find_if(to_b.begin(), to_b.end(),
                                [](const message& m) { return m.type == message_type::cancel; });
  EXPECT_EQ((block_ref{c.piece, c.begin, c.length}), reqs_a.front());
}

TEST(TorrentLogic, EndgameCopiesAreCappedPerPeer) {
  torrent_config cfg;
  cfg.endgame_requests = 3;
  harness h(4, 2, cfg);
  h.set_info();
  const auto a = h.seeder(0x7f000002);
  h.sent(a);
  const auto b = h.seeder(0x7f000003);
  EXPECT_EQ(harness::requests_in(h.sent(b)).size(), 3u);
}

TEST(TorrentLogic, StoresBlocksHashesCompletePiecesAndSaysWhenDone) {
  harness h(4, 2);
  h.set_info();
  const auto a = h.seeder();
  h.sent(a);
  h.serve_all(a);
  EXPECT_TRUE(h.logic.complete());
  EXPECT_EQ(h.logic.have_count(), 4u);
  EXPECT_EQ(h.logic.verified_bytes(), h.info.total_length);
  EXPECT_TRUE(h.has_action(action_kind::download_complete));
  // Once complete we are not interested any more.
  EXPECT_EQ(harness::count(h.sent(a), message_type::not_interested), 1u);
}

TEST(TorrentLogic, HaveGoesOnlyToPeersThatLackThePiece) {
  harness h(4, 2);
  h.set_info();
  const auto seed = h.seeder(0x7f000002);
  const auto leech = h.connect(0x7f000003);
  h.have(leech, 3);
  h.sent(seed);
  h.sent(leech);
  h.serve_all(seed);
  EXPECT_EQ(harness::count(h.sent(seed), message_type::have), 0u);
  EXPECT_EQ(harness::count(h.sent(leech), message_type::have), 3u);  // not piece 3
}

TEST(TorrentLogic, TheOnlySenderOfABadPieceIsBannedByIp) {
  harness h(4, 2);
  h.set_info();
  const auto liar = h.seeder(0x7f000002, 7000);
  h.sent(liar);
  h.serve_all(liar, /*corrupt=*/true);
  EXPECT_EQ(h.logic.hash_failures(), 1);
  EXPECT_EQ(h.logic.find_peer(liar)->closing, peer::close_reason::banned);
  const auto logs = h.logs();
  ASSERT_GE(logs.size(), 2u);
  EXPECT_NE(logs[0].find("failed its hash check (1 peer(s) sent it)"), std::string::npos);
  EXPECT_NE(logs[1].find("banning peer 127.0.0.2:7000"), std::string::npos);
  // Another port of the same IP is refused, in and out; another IP is fine.
  EXPECT_EQ(h.logic.may_attach(net::peer_address::v4(0x7f000002, 7001), false, h.now),
            peer::close_reason::banned);
  EXPECT_EQ(h.logic.may_attach(net::peer_address::v4(0x7f000002, 7001), true, h.now),
            peer::close_reason::banned);
  EXPECT_EQ(h.logic.may_attach(net::peer_address::v4(0x7f000003, 7000), false, h.now),
            std::nullopt);
}

TEST(TorrentLogic, ASenderThatHangsUpBeforeItsBadPieceIsCheckedIsStillBanned) {
  harness h(4, 2);
  h.set_info();
  h.report_hashes = false;
  const auto liar = h.seeder(0x7f000002, 7000);
  h.sent(liar);
  const auto reqs = harness::requests_in(h.sent(liar));
  // Both blocks of piece 0, corrupt, then the connection ends before the hash is back.
  h.deliver(liar, {0, 0, block}, true);
  h.deliver(liar, {0, block, block}, true);
  ASSERT_EQ(h.hash_queue.size(), 1u);
  h.logic.on_peer_closed(liar, h.now);
  h.hash_all();
  EXPECT_TRUE(h.logic.book().is_banned(net::peer_address::v4(0x7f000002, 7000)));
  EXPECT_EQ(h.logic.may_attach(net::peer_address::v4(0x7f000002, 9999), false, h.now),
            peer::close_reason::banned);
  // Never dialled again, whatever a tracker says.
  h.logic.add_peers({net::peer_address::v4(0x7f000002, 7000)}, swarm::peer_source::tracker, h.now);
  h.take_actions();
  EXPECT_FALSE(h.has_action(action_kind::connect));
}

TEST(TorrentLogic, RepeatedSharedBadPiecesGetTheLiarBannedAndSpareTheHonest) {
  // Two peers share every piece; one corrupts its blocks. Smart ban (or parole and trust)
  // must name the liar and never the honest peer.
  harness h(16, 4);
  h.set_info();
  const auto liar = h.seeder(0x7f000002);
  const auto honest = h.seeder(0x7f000003);
  for (int round = 0; round < 200 && !h.logic.complete(); ++round) {
    for (auto key : {liar, honest}) {
      auto* p = h.logic.find_peer(key);
      if (!p || p->is_closing() || p->requests.empty()) continue;
      h.deliver(key, p->requests.front(), key == liar);
    }
    // A closed (banned) peer is gone for the logic once the io layer closes it.
    if (auto* p = h.logic.find_peer(liar); p && p->is_closing())
      h.logic.on_peer_closed(liar, h.now);
    h.logic.on_tick(h.now += 1);
    h.take_actions();
  }
  EXPECT_TRUE(h.logic.complete());
  EXPECT_GE(h.logic.hash_failures(), 1);
  EXPECT_TRUE(h.logic.book().is_banned(net::peer_address::v4(0x7f000002, 1)));
  EXPECT_FALSE(h.logic.book().is_banned(net::peer_address::v4(0x7f000003, 1)));
}

TEST(TorrentLogic, DialsKnownPeersUpToTheLimitAndBacksOffFailures) {
  torrent_config cfg;
  cfg.max_peers = 2;
  harness h(4, 2, cfg);
  h.set_info();
  h.logic.add_peers({net::peer_address::v4(0x7f000002, 1), net::peer_address::v4(0x7f000003, 1),
                     net::peer_address::v4(0x7f000004, 1)},
                    swarm::peer_source::tracker, h.now);
  h.take_actions();
  auto dials = std::count_if(h.other.begin(), h.other.end(),
                             [](const action& a) { return a.kind == action_kind::connect; });
  EXPECT_EQ(dials, 2);
  EXPECT_EQ(h.logic.connecting_peers(), 2);
  h.other.clear();
  // Both fail: the third is dialled at once, the failed ones only after their backoff.
  h.logic.on_connect_failed(net::peer_address::v4(0x7f000002, 1),
                            peer::close_reason::connect_failed, h.now);
  h.logic.on_connect_failed(net::peer_address::v4(0x7f000003, 1),
                            peer::close_reason::connect_failed, h.now);
  h.take_actions();
  ASSERT_EQ(h.other.size(), 1u);
  EXPECT_EQ(h.other[0].address, net::peer_address::v4(0x7f000004, 1));
  h.other.clear();
  h.logic.on_connect_failed(net::peer_address::v4(0x7f000004, 1),
                            peer::close_reason::connect_timeout, h.now);
  h.logic.on_tick(h.now + 5);
  h.take_actions();
  EXPECT_FALSE(h.has_action(action_kind::connect)) << "redialled before the backoff";
  h.logic.on_tick(h.now + 10);
  h.take_actions();
  EXPECT_TRUE(h.has_action(action_kind::connect));
}

TEST(TorrentLogic, OurOwnAddressIsNeverDialledAgain) {
  harness h;
  h.set_info();
  const auto self = net::peer_address::v4(0x7f000001, 6881);
  h.logic.add_peers({self}, swarm::peer_source::tracker, h.now);
  h.take_actions();
  ASSERT_TRUE(h.has_action(action_kind::connect));
  h.logic.on_connect_failed(self, peer::close_reason::self_connection, h.now);
  h.other.clear();
  for (int i = 0; i < 5; ++i) {
    h.logic.add_peers({self}, swarm::peer_source::tracker, h.now += 600);  // every announce
    h.logic.on_tick(h.now);
    h.take_actions();
  }
  EXPECT_FALSE(h.has_action(action_kind::connect));
}

TEST(TorrentLogic, AnnouncesStartedFirstThenHonoursTheMinInterval) {
  harness h(4, 2, {}, {{"http://t1/announce"}});
  h.set_info();
  h.logic.on_tick(h.now);
  h.take_actions();
  ASSERT_EQ(h.other.size(), 1u);
  EXPECT_EQ(h.other[0].kind, action_kind::announce);
  EXPECT_EQ(h.other[0].event, tracker::event::started);
  h.other.clear();
  h.logic.on_tick(h.now + 1);  // in flight: not again
  h.take_actions();
  EXPECT_TRUE(h.other.empty());
  // The tracker answers with only our own address, no min interval, a short interval.
  tracker::announce_response r;
  r.interval = 60;
  const std::string url = "http://t1/announce";
  h.logic.on_announced(0, &url, &r, h.now);
  for (double t = 1; t < 300; t += 1) {
    h.logic.on_tick(h.now + t);
    h.take_actions();
    ASSERT_FALSE(h.has_action(action_kind::announce)) << "re-announced after " << t << " s";
  }
  h.logic.on_tick(h.now + 300);
  h.take_actions();
  ASSERT_TRUE(h.has_action(action_kind::announce));
  EXPECT_EQ(h.other.back().event, tracker::event::none);
}

TEST(TorrentLogic, FewPeersReannounceAtTheTrackersMinInterval) {
  harness h(4, 2, {}, {{"http://t1/announce"}});
  h.set_info();
  h.logic.on_tick(h.now);
  h.take_actions();
  tracker::announce_response r;
  r.interval = 1800;
  r.min_interval = 20;
  const std::string url = "http://t1/announce";
  h.logic.on_announced(0, &url, &r, h.now);
  h.other.clear();
  h.logic.on_tick(h.now + 19);
  h.take_actions();
  EXPECT_FALSE(h.has_action(action_kind::announce));
  h.logic.on_tick(h.now + 20);  // no peers: early, at the min interval
  h.take_actions();
  EXPECT_TRUE(h.has_action(action_kind::announce));
}

TEST(TorrentLogic, FailedAnnouncesBackOff) {
  harness h(4, 2, {}, {{"http://t1/announce"}});
  h.set_info();
  h.logic.on_tick(h.now);
  h.take_actions();
  h.logic.on_announced(0, nullptr, nullptr, h.now);
  h.other.clear();
  h.logic.on_tick(h.now + 14);
  h.take_actions();
  EXPECT_FALSE(h.has_action(action_kind::announce));
  h.logic.on_tick(h.now + 15);
  h.take_actions();
  ASSERT_TRUE(h.has_action(action_kind::announce));
  EXPECT_EQ(h.other.back().event, tracker::event::started) << "started not yet delivered";
}

namespace {
std::vector<std::size_t> announced_tiers(const std::vector<action>& actions) {
  std::vector<std::size_t> out;
  for (const auto& a : actions)
    if (a.kind == action_kind::announce) out.push_back(a.tier);
  return out;
}
}  // namespace

TEST(TorrentLogic, TiersAreFallbacksStartedInOrderAFewAtATime) {
  std::vector<std::vector<std::string>> tiers;
  for (int i = 0; i < 10; ++i) tiers.push_back({"udp://t" + std::to_string(i) + ":1/announce"});
  harness h(4, 2, {}, tiers);
  h.set_info();
  h.logic.on_tick(h.now);
  h.take_actions();
  // Silent trackers must not hold the next tier back: a few at once, in order.
  EXPECT_EQ(announced_tiers(h.other), (std::vector<std::size_t>{0, 1, 2, 3}));
  h.other.clear();
  h.logic.on_tick(h.now + 1);
  h.take_actions();
  EXPECT_TRUE(announced_tiers(h.other).empty()) << "more than 4 rounds at once";
  // Tier 1 fails: the next one not yet tried takes its place.
  h.logic.on_announced(1, nullptr, nullptr, h.now + 2);
  h.logic.on_tick(h.now + 2);
  h.take_actions();
  EXPECT_EQ(announced_tiers(h.other), (std::vector<std::size_t>{4}));
  h.other.clear();
  // Tier 0 answers: nothing after it starts any more, even as others end.
  tracker::announce_response r;
  r.interval = 1800;
  r.min_interval = 1800;  // no early re-announce for want of peers
  const std::string url = "udp://t0:1/announce";
  h.logic.on_announced(0, &url, &r, h.now + 3);
  h.logic.on_announced(2, nullptr, nullptr, h.now + 3);
  h.logic.on_announced(3, nullptr, nullptr, h.now + 3);
  h.logic.on_announced(4, nullptr, nullptr, h.now + 3);
  for (double t = 4; t < 1000; t += 1) {
    h.logic.on_tick(h.now + t);
    h.take_actions();
    ASSERT_TRUE(announced_tiers(h.other).empty()) << "at " << t << " s";
  }
  // Tier 0 fails later: the fallbacks are tried again.
  h.logic.on_tick(h.now + 1803);
  h.take_actions();
  ASSERT_EQ(announced_tiers(h.other), (std::vector<std::size_t>{0}));
  h.other.clear();
  h.logic.on_announced(0, nullptr, nullptr, h.now + 1804);
  h.logic.on_tick(h.now + 1805);
  h.take_actions();
  EXPECT_EQ(announced_tiers(h.other), (std::vector<std::size_t>{1, 2, 3, 4}));
}

TEST(TorrentLogic, TrackerUrlsAreCapped) {
  std::vector<std::vector<std::string>> tiers;
  for (int i = 0; i < 1100; ++i) tiers.push_back({"udp://t" + std::to_string(i) + ":1/announce"});
  harness h(4, 2, {}, tiers);
  EXPECT_EQ(h.logic.tier_count(), 256u);
}

// A seed of every piece (2 blocks each) with `ratio` (and an optional linger bound).
struct ratio_seed : harness {
  ratio_seed(std::uint32_t pieces, double ratio, double linger_max_s = 0)
      : harness(pieces, 2, config(ratio, linger_max_s)) {
    set_info(swarm::bitfield(pieces, true));
    logic.set_seeding(true, now);
  }
  static torrent_config config(double ratio, double linger_max_s) {
    torrent_config cfg;
    cfg.seed_ratio = ratio;
    if (linger_max_s > 0) cfg.seed_linger_max_s = linger_max_s;
    return cfg;
  }
  // Two leechers (127.0.0.2 and .3), interested and unchoked.
  std::array<swarm::peer_key, 2> two_leechers(bool fast = false) {
    const auto a = connect(0x7f000002, 6881, true, fast);
    const auto b = connect(0x7f000003, 6881, true, fast);
    now += 2;
    for (auto k : {a, b}) send(k, message_type::interested);
    logic.on_tick(now);
    sent(a);
    sent(b);
    return {a, b};
  }
  // A second later, has the seed said its limit is reached?
  bool leaves_after_a_tick() {
    logic.on_tick(now += 1);
    take_actions();
    return has_action(action_kind::seed_limit_reached);
  }
  // `key` asks for `b`, and it is taken and sent at once.
  void serve(swarm::peer_key key, block_ref b) {
    request(key, b);
    std::vector<block_ref> batch;
    ASSERT_EQ(logic.take_upload_batch(key, 16, now, batch), 1u);
    ASSERT_TRUE(logic.on_upload_ready(key, batch, now));
  }
};

TEST(TorrentLogic, HaveOrAtDiskCountsPiecesHandedToTheDiskUntilTheyComeBack) {
  // A failed flush may lose a piece whose write runs beside it on the other disk thread:
  // the disk side asks for these with the pieces it has (resume::flush_ledger).
  harness h(8, 2);
  h.set_info();
  h.report_hashes = false;
  const auto s = h.seeder();
  h.serve_all(s);
  ASSERT_FALSE(h.hash_queue.empty());
  const std::uint32_t piece = h.hash_queue.front();
  EXPECT_FALSE(h.logic.have_bitfield().test(piece));
  EXPECT_TRUE(h.logic.have_or_at_disk().test(piece));
  EXPECT_EQ(h.logic.have_or_at_disk().count(), h.hash_queue.size());
  h.hash_all();  // written and back: now simply had
  EXPECT_TRUE(h.logic.have_bitfield().test(piece));
  EXPECT_EQ(h.logic.have_or_at_disk(), h.logic.have_bitfield());
}

TEST(TorrentLogic, SeedRatioWaitsForAnInterestedPeerThatMayLackABlock) {
  ratio_seed h(4, 0.5);
  const auto a = h.connect();
  h.now += 2;
  h.send(a, message_type::interested);
  ASSERT_EQ(harness::count(h.sent(a), message_type::unchoke), 1u);
  // Upload the first piece four times over: the ratio is passed, but three pieces were
  // never sent and the peer is still interested.
  std::vector<block_ref> batch;
  for (int i = 0; i < 4; ++i) {
    h.request(a, {0, 0, block});
    h.request(a, {0, block, block});
    batch.clear();
    ASSERT_EQ(h.logic.take_upload_batch(a, 16, h.now, batch), 2u);
    ASSERT_TRUE(h.logic.on_upload_ready(a, batch, h.now));
  }
  h.take_actions();
  EXPECT_FALSE(h.has_action(action_kind::seed_limit_reached));
  h.send(a, message_type::not_interested);
  h.logic.on_tick(h.now += 1);
  h.take_actions();
  EXPECT_TRUE(h.has_action(action_kind::seed_limit_reached));
}

TEST(TorrentLogic, SeedRatioWaitsUntilThePeersHoldEveryPieceTwiceBetweenThem) {
  // Two leechers; the seed sends every block, but piece 0's two blocks go to different
  // peers: every block went out, yet nobody holds piece 0 (CI, ASan test_seed: three
  // leechers stuck at 128/129 after the seed left at its ratio).
  ratio_seed h(2, 0.5);
  const auto [a, b] = h.two_leechers();
  h.serve(a, {0, 0, block});
  h.serve(b, {0, block, block});
  h.serve(a, {1, 0, block});
  h.serve(a, {1, block, block / 2});
  h.have(a, 1);  // a completed piece 1; piece 0 is split between a and b
  EXPECT_FALSE(h.leaves_after_a_tick());
  // The peers hold both pieces between them, each once: if a left now (as a leecher that
  // quits when done does), b would be stranded without piece 1.
  h.serve(b, {0, 0, block});
  h.have(b, 0);
  EXPECT_FALSE(h.leaves_after_a_tick());
  h.have(b, 1);  // they traded: every piece twice
  h.have(a, 0);
  EXPECT_TRUE(h.leaves_after_a_tick());
}

TEST(TorrentLogic, SeedRatioCountsWhatWentWholeOnlyToPeersStillConnected) {
  // A piece sent whole counts before the peer's HAVE (at loopback speed the HAVEs lag
  // the upload: waiting for them cost 2.95 copies in test_seed), but only while that peer
  // is connected: python3-libtorrent leechers leave once done, and two of three were
  // stranded when the seed counted a piece that had left with the first.
  ratio_seed h(2, 0.5);
  const auto [a, b] = h.two_leechers();
  h.serve(a, {0, 0, block});
  h.serve(a, {0, block, block});
  h.serve(b, {1, 0, block});
  h.logic.on_peer_closed(a, h.now);   // it leaves with the only copy of piece 0
  h.serve(b, {1, block, block / 2});  // the ratio is passed; piece 1 went whole to b
  EXPECT_FALSE(h.leaves_after_a_tick());
  h.serve(b, {0, 0, block});
  h.serve(b, {0, block, block});  // no HAVE yet: b got both pieces whole from us
  EXPECT_TRUE(h.leaves_after_a_tick());
}

TEST(TorrentLogic, PastTheSeedRatioAFastPeerIsRefusedWhatAnotherPeerHolds) {
  // A full-speed seed waiting for its last pieces to go out whole must not spend its
  // upload on pieces the leechers can trade (CI test_seed: 1.61 copies sent).
  ratio_seed h(2, 0.25);
  const auto [a, b] = h.two_leechers(true);
  std::vector<block_ref> batch;
  // Before the ratio, a piece b holds is still served to a.
  h.have(b, 0);
  h.request(a, {0, 0, block});
  ASSERT_EQ(h.logic.take_upload_batch(a, 16, h.now, batch), 1u);
  h.sent(a);
  // That block is on its way (taken, not yet sent): one block of four is the ratio. Piece
  // 1 went out to nobody and is served; piece 0, which b holds, is refused.
  h.request(a, {0, block, block});
  h.request(a, {1, 0, block});
  std::vector<block_ref> second;
  ASSERT_EQ(h.logic.take_upload_batch(a, 16, h.now, second), 1u);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0], (block_ref{1, 0, block}));
  ASSERT_TRUE(h.logic.on_upload_ready(a, batch, h.now));
  ASSERT_TRUE(h.logic.on_upload_ready(a, second, h.now));
  const auto msgs = h.sent(a);
  ASSERT_EQ(harness::count(msgs, message_type::reject), 1u);
  for (const auto& m : msgs) {
    if (m.type != message_type::reject) continue;
    EXPECT_EQ(m.piece, 0u);
    EXPECT_EQ(m.begin, static_cast<std::uint32_t>(block));
  }
  // A peer without the fast extension cannot be refused (BEP 3): it is served.
  const auto c = h.connect(0x7f000004, 6881, true, false);
  h.send(c, message_type::interested);
  h.logic.on_tick(h.now += 1);
  h.sent(c);
  ASSERT_FALSE(h.logic.find_peer(c)->am_choking);
  h.request(c, {0, 0, block});
  batch.clear();
  EXPECT_EQ(h.logic.take_upload_batch(c, 16, h.now, batch), 1u);
  EXPECT_EQ(harness::count(h.sent(c), message_type::reject), 0u);
}

TEST(TorrentLogic, APieceAPeerRejectedWhileUnchokingIsNotAskedOfItAgainForAWhile) {
  // A seed past its ratio rejects what others hold: asking it again at once would make a
  // request and its reject go back and forth at the speed of the link.
  harness h(32, 2);
  h.set_info();
  const auto s = h.connect(0x7f000002, 6881, true, true);
  h.have_all(s);
  h.send(s, message_type::unchoke);
  auto first = harness::requests_in(h.sent(s));
  ASSERT_FALSE(first.empty());
  std::set<std::uint32_t> refused;
  for (const auto& b : first) {
    message r;
    r.type = message_type::reject;
    r.piece = b.piece;
    r.begin = b.begin;
    r.length = b.length;
    ASSERT_TRUE(h.send(s, r));
    refused.insert(b.piece);
  }
  h.logic.on_tick(h.now += 1);
  const auto again = harness::requests_in(h.sent(s));
  ASSERT_FALSE(again.empty()) << "the pieces it did not refuse are still asked for";
  for (const auto& b : again) EXPECT_EQ(refused.count(b.piece), 0u) << "piece " << b.piece;
  // Ten seconds on, the refused pieces may be asked of it again.
  for (const auto& b : again) {
    message r;
    r.type = message_type::reject;
    r.piece = b.piece;
    r.begin = b.begin;
    r.length = b.length;
    ASSERT_TRUE(h.send(s, r));
  }
  h.logic.on_tick(h.now += 10);
  bool asked_again = false;
  for (const auto& b : harness::requests_in(h.sent(s))) asked_again |= refused.count(b.piece) > 0;
  EXPECT_TRUE(asked_again);
}

TEST(TorrentLogic, SeedRatioLingersAtMostSeedLingerMax) {
  ratio_seed h(2, 0.5, 60);
  const auto a = h.connect();
  h.now += 2;
  h.send(a, message_type::interested);
  h.logic.on_tick(h.now);
  h.sent(a);
  for (int i = 0; i < 3; ++i) h.serve(a, {0, 0, block});  // a peer that never completes
  h.logic.on_tick(h.now += 1);
  h.take_actions();
  EXPECT_FALSE(h.has_action(action_kind::seed_limit_reached));
  h.logic.on_tick(h.now += 61);
  h.take_actions();
  EXPECT_TRUE(h.has_action(action_kind::seed_limit_reached));
}

TEST(TorrentLogic, AByteRateLimitCapsTheRequests) {
  harness h(64, 4);
  h.set_info();
  swarm::bandwidth_channel root;
  root.set_rate(4 * block);  // burst: 4 blocks
  swarm::bandwidth_channel mine(&root);
  h.logic.attach(nullptr, &mine, nullptr);
  const auto a = h.seeder();
  EXPECT_EQ(harness::requests_in(h.sent(a)).size(), 4u);
}

TEST(TorrentLogic, APieceBudgetSharedByTwoTorrentsPausesBoth) {
  // A budget of 6 pieces of 32 KiB (the least a torrent asks for): torrent 1 keeps 6
  // pieces waiting for the disk; then torrent 2 opens one piece (never zero), no more.
  swarm::piece_budget budget(6 * 2 * block);
  harness one(16, 2), two(16, 2);
  one.logic.attach(&budget, nullptr, nullptr);
  two.logic.attach(&budget, nullptr, nullptr);
  one.set_info();
  two.set_info();
  one.report_hashes = false;
  const auto a = one.seeder();
  one.sent(a);
  EXPECT_EQ(one.logic.find_peer(a)->requests.size(), 12u) << "opened more than the budget";
  for (int i = 0; i < 12; ++i) one.deliver(a, one.logic.find_peer(a)->requests.front());
  EXPECT_EQ(one.hash_queue.size(), 6u);
  EXPECT_EQ(budget.pending_bytes(), 6 * 2 * block);
  const auto b = two.seeder();
  const auto reqs = harness::requests_in(two.sent(b));
  std::set<std::uint32_t> pieces;
  for (const auto& r : reqs) pieces.insert(r.piece);
  EXPECT_EQ(pieces.size(), 1u) << "opened more pieces than the shared budget leaves";
  // The disk catches up: room comes back.
  one.hash_all();
  EXPECT_EQ(budget.pending_bytes(), 0);
  two.logic.on_budget_freed(two.now);
  EXPECT_GT(two.logic.picker()->in_progress_count(), 1u);
}

TEST(TorrentLogic, AStalledPeerHoldingRequestsIsDroppedAfterThreeTimeouts) {
  harness h(16, 2);
  h.set_info();
  const auto a = h.seeder();
  h.sent(a);
  h.logic.on_tick(h.now + 9);
  EXPECT_FALSE(h.logic.find_peer(a)->requests.empty());
  h.logic.on_tick(h.now + 11);  // the 10 s floor: handed back, and a 30 s penalty
  EXPECT_TRUE(h.logic.find_peer(a)->requests.empty());
  EXPECT_FALSE(h.logic.find_peer(a)->is_closing());
  for (double t = 12; t < 300 && !h.logic.find_peer(a)->is_closing(); t += 1)
    h.logic.on_tick(h.now + t);
  EXPECT_EQ(h.logic.find_peer(a)->closing, peer::close_reason::snubbed);
}

TEST(TorrentLogic, ALaterHaveAllOrHaveNoneClosesTheConnection) {
  // Five bytes that cost a pass over every piece: repeated, they froze the event loop.
  harness h;
  h.set_info();
  // One late one is taken (aria2 sends have_none, then have_all when it completes).
  const auto a = h.connect(0x7f000002, 6881, true, true);
  EXPECT_TRUE(h.have_all(a));
  EXPECT_TRUE(h.have_all(a));
  EXPECT_FALSE(h.have_all(a));
  EXPECT_EQ(h.logic.find_peer(a)->closing, peer::close_reason::repeated_bitfield);
  const auto b = h.connect(0x7f000003, 6881, true, true);
  message none;
  none.type = message_type::have_none;
  EXPECT_TRUE(h.send(b, none));
  EXPECT_EQ(h.logic.picker()->availability(3), 1u);  // a only
  EXPECT_TRUE(h.have_all(b));
  EXPECT_EQ(h.logic.picker()->availability(3), 2u);
  EXPECT_TRUE(h.logic.find_peer(b)->has.all());
  EXPECT_FALSE(h.send(b, none));
}

TEST(TorrentLogic, ALaterBitfieldAddsPiecesLikeHaves) {
  // aria2 sends one mid-connection in place of a run of haves; pieces are never un-had.
  harness h;
  h.set_info();
  const auto a = h.connect();
  message bf;
  bf.type = message_type::bitfield;
  bf.payload = std::string_view("\x80", 1);  // piece 0
  EXPECT_TRUE(h.send(a, bf));
  bf.payload = std::string_view("\x41", 1);  // pieces 1 and 7, not 0
  EXPECT_TRUE(h.send(a, bf));
  const auto* p = h.logic.find_peer(a);
  EXPECT_FALSE(p->is_closing());
  EXPECT_TRUE(p->has.test(0));
  EXPECT_TRUE(p->has.test(1));
  EXPECT_TRUE(p->has.test(7));
  EXPECT_EQ(p->has.count(), 3u);
  EXPECT_EQ(h.logic.picker()->availability(0), 1u);
  EXPECT_EQ(h.logic.picker()->availability(7), 1u);
  bf.payload = std::string_view("\x41\x00", 2);  // wrong length
  EXPECT_FALSE(h.send(a, bf));
  EXPECT_EQ(p->closing, peer::close_reason::bad_bitfield);
}

TEST(TorrentLogic, HavesBeforeTheBitfieldAreMergedWithIt) {
  harness h;
  h.set_info();
  const auto a = h.connect();
  EXPECT_TRUE(h.have(a, 7));
  message bf;
  bf.type = message_type::bitfield;
  bf.payload = std::string_view("\x80", 1);  // piece 0
  EXPECT_TRUE(h.send(a, bf));
  const auto& has = h.logic.find_peer(a)->has;
  EXPECT_TRUE(has.test(0));
  EXPECT_TRUE(has.test(7));
  EXPECT_EQ(has.count(), 2u);
  EXPECT_EQ(h.logic.picker()->availability(7), 1u);
}

TEST(TorrentLogic, ARejectWithoutTheFastExtensionClosesTheConnection) {
  harness h(16, 2);
  h.set_info();
  const auto a = h.seeder();
  const auto reqs = harness::requests_in(h.sent(a));
  ASSERT_FALSE(reqs.empty());
  message r;
  r.type = message_type::reject;
  r.piece = reqs[0].piece;
  r.begin = reqs[0].begin;
  r.length = reqs[0].length;
  EXPECT_FALSE(h.send(a, r));
  EXPECT_EQ(h.logic.find_peer(a)->closing, peer::close_reason::fast_not_negotiated);
}

TEST(TorrentLogic, UnrequestedBlocksDoNotKeepASilentPeerFromTimingOut) {
  harness h(64, 2);
  h.set_info();
  const auto a = h.seeder();
  auto reqs = harness::requests_in(h.sent(a));
  ASSERT_FALSE(reqs.empty());
  // Every few seconds a block nobody asked for; never one that was asked for.
  auto junk = [&] {
    for (std::uint32_t piece = 63;; --piece) {
      const block_ref j{piece, 0, block};
      auto* p = h.logic.find_peer(a);
      if (!p || std::find(p->requests.begin(), p->requests.end(), j) == p->requests.end()) return j;
    }
  };
  for (int t = 5; t <= 15; t += 5) {
    h.now += 5;
    h.deliver(a, junk());
    h.logic.on_tick(h.now);
  }
  EXPECT_TRUE(h.logic.find_peer(a)->requests.empty()) << "junk kept the requests from timing out";
  EXPECT_FALSE(h.logic.find_peer(a)->is_closing());
  // It keeps doing it: after three timeouts in a row it is dropped.
  for (int t = 0; t < 200 && !h.logic.find_peer(a)->is_closing(); t += 5) {
    h.now += 5;
    h.deliver(a, junk());
    h.logic.on_tick(h.now);
  }
  EXPECT_EQ(h.logic.find_peer(a)->closing, peer::close_reason::snubbed);
}

TEST(TorrentLogic, TimedOutRequestsGoToOtherPeersAndTheSlowPeerWaits) {
  harness h(64, 2);
  h.set_info();
  const auto slow = h.seeder(0x7f000002);
  const auto reqs = harness::requests_in(h.sent(slow));
  ASSERT_FALSE(reqs.empty());
  const auto fast = h.seeder(0x7f000003);
  h.sent(fast);
  // `slow` answers its first request and nothing else: not snubbed (it sends), but its
  // other requests time out and go to `fast`.
  h.deliver(slow, reqs.front());
  h.sent(slow);
  h.sent(fast);
  h.logic.on_tick(h.now += 5);
  EXPECT_FALSE(h.logic.find_peer(slow)->requests.empty()) << "timed out too early";
  h.logic.on_tick(h.now += 15);  // 20 s: past the 10 s floor for a peer this slow
  EXPECT_TRUE(h.logic.find_peer(slow)->requests.empty()) << "requests never timed out";
  EXPECT_FALSE(h.logic.find_peer(slow)->is_closing());
  EXPECT_GE(harness::count(h.sent(slow), message_type::cancel), 1u);
  for (std::size_t i = 1; i < reqs.size(); ++i) {
    EXPECT_EQ(h.logic.picker()->requesters(reqs[i].piece, reqs[i].begin / block), 0u);
  }
  // Others get them; the slow peer gets nothing while its penalty lasts.
  h.serve_all(fast);
  EXPECT_TRUE(harness::requests_in(h.sent(slow)).empty());
}

TEST(TorrentLogic, OneAddressGetsAFewIncomingPlacesAndUselessPeersMakeRoom) {
  torrent_config cfg;
  cfg.max_peers = 10;
  cfg.max_incoming_per_ip = 3;
  harness h(16, 2, cfg);
  h.set_info();
  for (std::uint16_t port = 1; port <= 3; ++port) {
    ASSERT_EQ(h.logic.may_attach(net::peer_address::v4(0x7f000002, port), false, h.now),
              std::nullopt);
    h.connect(0x7f000002, port, false);
  }
  EXPECT_EQ(h.logic.may_attach(net::peer_address::v4(0x7f000002, 4), false, h.now),
            peer::close_reason::too_many_from_ip);
  // Our own dials to that address are ours to decide.
  EXPECT_EQ(h.logic.may_attach(net::peer_address::v4(0x7f000002, 4), true, h.now), std::nullopt);
  // Fill up from other addresses; one of them is a useful seeder.
  const auto useful = h.seeder(0x7f000010, 1);
  for (std::uint32_t ip = 0x7f000011; h.logic.connected_peers() < 10; ++ip) h.connect(ip, 1, false);
  EXPECT_EQ(h.logic.may_attach(net::peer_address::v4(0x7f000030, 1), false, h.now),
            peer::close_reason::too_many_peers)
      << "nobody has been useless for long enough";
  h.serve_all(useful);
  h.now += 61;
  EXPECT_EQ(h.logic.may_attach(net::peer_address::v4(0x7f000030, 1), false, h.now), std::nullopt);
  int replaced = 0;
  for (const auto& [key, p] : h.logic.peers()) replaced += p->is_closing() ? 1 : 0;
  EXPECT_EQ(replaced, 1);
  EXPECT_FALSE(h.logic.find_peer(useful)->is_closing()) << "the useful peer was replaced";
}

TEST(TorrentLogic, AFullTorrentReplacesIdleConnectionsFirstAndSooner) {
  torrent_config cfg;
  cfg.max_peers = 4;
  harness h(16, 2, cfg);
  h.set_info();
  // Two connections that want something, two that want nothing, all older than 10 s.
  const auto wants1 = h.connect(0x7f000011, 1, false);
  const auto wants2 = h.connect(0x7f000012, 1, false);
  h.send(wants1, message_type::interested);
  h.send(wants2, message_type::interested);
  const auto idle1 = h.connect(0x7f000013, 1, false);
  h.now += 5;
  const auto idle2 = h.connect(0x7f000014, 1, false);
  h.now += 6;  // idle1 is 11 s old, idle2 6 s
  EXPECT_EQ(h.logic.may_attach(net::peer_address::v4(0x7f000020, 1), false, h.now), std::nullopt);
  EXPECT_TRUE(h.logic.find_peer(idle1)->is_closing());
  EXPECT_FALSE(h.logic.find_peer(idle2)->is_closing());
  EXPECT_FALSE(h.logic.find_peer(wants1)->is_closing());
  h.logic.on_peer_closed(idle1, h.now);
  h.connect(0x7f000020, 1, false);
  EXPECT_EQ(h.logic.may_attach(net::peer_address::v4(0x7f000021, 1), false, h.now),
            peer::close_reason::too_many_peers)
      << "idle2 is too young, the others want something";
  h.now += 50;  // 61 s: now an interested peer that got nothing may go too, but idle ones first
  EXPECT_EQ(h.logic.may_attach(net::peer_address::v4(0x7f000021, 1), false, h.now), std::nullopt);
  EXPECT_TRUE(h.logic.find_peer(idle2)->is_closing());
  EXPECT_FALSE(h.logic.find_peer(wants1)->is_closing());
}

TEST(TorrentLogic, ACrowdKnockingAgainCannotReplaceItsOwnButANewcomerCan) {
  torrent_config cfg;
  cfg.max_peers = 4;
  harness h(16, 2, cfg);
  h.set_info();
  for (std::uint32_t ip = 0x7f000100; ip < 0x7f000104; ++ip) h.connect(ip, 1, false);
  // The rest of the crowd knocks while every place is young: turned away, again and again.
  for (int round = 0; round < 3; ++round) {
    for (std::uint32_t ip = 0x7f000104; ip < 0x7f000120; ++ip) {
      EXPECT_EQ(h.logic.may_attach(net::peer_address::v4(ip, 1), false, h.now + round),
                peer::close_reason::too_many_peers);
    }
  }
  h.now += 12;  // the four places are idle and old enough to be replaced now
  for (std::uint32_t ip = 0x7f000104; ip < 0x7f000120; ++ip) {
    EXPECT_EQ(h.logic.may_attach(net::peer_address::v4(ip, 2), false, h.now),
              peer::close_reason::too_many_peers)
        << "a crowd member replaced another";
  }
  int closing = 0;
  for (const auto& [key, p] : h.logic.peers()) closing += p->is_closing() ? 1 : 0;
  EXPECT_EQ(closing, 0);
  EXPECT_EQ(h.logic.may_attach(net::peer_address::v4(0x7f000002, 6881), false, h.now), std::nullopt)
      << "a newcomer takes an idle place";
}

TEST(TorrentLogic, WithoutInfoItAsksForNothingAndServesNothing) {
  harness h;
  const auto a = h.connect();
  EXPECT_TRUE(h.have_all(a));
  EXPECT_TRUE(h.send(a, message_type::unchoke));
  EXPECT_TRUE(h.sent(a).empty());
  EXPECT_FALSE(h.request(a, {0, 0, block}));
  h.set_info();  // metadata arrived: a new peer gets requests as usual
  const auto b = h.seeder(0x7f000003);
  EXPECT_FALSE(harness::requests_in(h.sent(b)).empty());
}

}  // namespace
}  // namespace corrent::torrent
