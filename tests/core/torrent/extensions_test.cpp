// torrent_logic with the fast extension (BEP 6), the extension protocol (BEP 10),
// ut_metadata (BEP 9) and ut_pex (BEP 11).
#include <gtest/gtest.h>

#include <set>

#include "core/peer/allowed_fast.hpp"
#include "core/torrent/logic_harness.hpp"
#include "core/torrent/metadata_extension.hpp"
#include "core/torrent/pex_extension.hpp"
#include "core/wire/extension/handshake.hpp"
#include "core/wire/extension/ut_metadata.hpp"
#include "core/wire/extension/ut_pex.hpp"

namespace corrent::torrent {
namespace {

using namespace testing;

constexpr std::uint32_t ip2 = 0x7f000002, ip3 = 0x7f000003, ip4 = 0x7f000004;

message extended(std::uint8_t id, const std::string& payload) {
  message m;
  m.type = message_type::extended;
  m.extended_id = id;
  m.payload = payload;
  return m;
}

// The extended messages in `msgs` with id `id`, payloads copied.
std::vector<std::string> extended_payloads(const std::vector<message>& msgs, std::uint8_t id) {
  std::vector<std::string> out;
  for (const auto& m : msgs)
    if (m.type == message_type::extended && m.extended_id == id) out.emplace_back(m.payload);
  return out;
}

// A peer's extended handshake, as a client sends it.
std::string their_handshake(std::int64_t metadata_size = 0, std::uint32_t reqq = 0,
                            std::uint16_t port = 0, bool upload_only = false) {
  wire::ext::handshake h;
  h.m = {{"ut_metadata", 3}, {"ut_pex", 1}};
  h.v = "libtorrent 2.0.8";
  if (metadata_size) h.metadata_size = metadata_size;
  if (reqq) h.reqq = reqq;
  if (port) h.p = port;
  h.upload_only = upload_only;
  return wire::ext::encode_handshake(h);
}

// A harness whose info-hash is the real SHA-1 of a real bencoded `info`.
struct magnet_harness : harness {
  std::string info_bytes;
  explicit magnet_harness(std::size_t info_size = 40'000, torrent_config c = {})
      : harness(8, 2, with_hash(c, info_size)) {
    info_bytes = make_info(info_size);
    info.info_bytes = info_bytes;
    info.info_hash = crypto::sha1(info_bytes);
  }
  static std::string make_info(std::size_t size) {
    // Not a parseable `info` (the logic only hashes it): size bytes, deterministic.
    std::string s(size, '\0');
    for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>(i * 7 + 3);
    return s;
  }
  static torrent_config with_hash(torrent_config c, std::size_t size) {
    c.info_hash = crypto::sha1(make_info(size));
    return c;
  }
  swarm::peer_key fast_peer(std::uint32_t ip, std::int64_t metadata_size) {
    const auto k = connect(ip, 6881, true, true);
    send(k, extended(0, their_handshake(metadata_size)));
    return k;
  }
  // The ut_metadata requests sent to `key` (our messages use its id, 3).
  std::vector<std::uint32_t> metadata_requests(swarm::peer_key key) {
    std::vector<std::uint32_t> out;
    for (const auto& p : extended_payloads(sent(key), 3)) {
      auto m = wire::ext::decode_metadata(p);
      if (m && m->type == wire::ext::metadata_msg_type::request) out.push_back(m->piece);
    }
    return out;
  }
  std::string piece_of(const std::string& whole, std::uint32_t piece) {
    return whole.substr(piece * wire::ext::metadata_piece_size, wire::ext::metadata_piece_size);
  }
  bool answer(swarm::peer_key key, std::uint32_t piece, const std::string& whole,
              std::int64_t total = -1) {
    const auto payload = wire::ext::encode_metadata_data(
        piece, total < 0 ? static_cast<std::int64_t>(whole.size()) : total, piece_of(whole, piece));
    return send(key, extended(metadata_extension::id, payload));
  }
  bool got_metadata() {
    take_actions();
    return has_action(action_kind::metadata_received);
  }
};

// ---------------------------------------------------------------- fast extension

TEST(FastExtension, AllowedFastSetMatchesBep6) {
  // BEP 6's example: 80.4.4.200, info-hash 0xaa x 20, 1313 pieces.
  crypto::sha1_digest ih;
  ih.fill(0xaa);
  const auto seven = peer::allowed_fast_set({80, 4, 4, 200}, ih, 1313, 7);
  EXPECT_EQ(seven, (std::vector<std::uint32_t>{1059, 431, 808, 1217, 287, 376, 1188}));
  const auto nine = peer::allowed_fast_set({80, 4, 4, 200}, ih, 1313, 9);
  EXPECT_EQ(nine, (std::vector<std::uint32_t>{1059, 431, 808, 1217, 287, 376, 1188, 353, 508}));
  // The same /24 gets the same set; fewer pieces than k gives every piece once.
  EXPECT_EQ(peer::allowed_fast_set({80, 4, 4, 7}, ih, 1313, 7), seven);
  auto all = peer::allowed_fast_set({1, 2, 3, 4}, ih, 3, 10);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, (std::vector<std::uint32_t>{0, 1, 2}));
}

TEST(FastExtension, FirstMessageIsHaveNoneHaveAllOrBitfieldOnlyWithFast) {
  harness h;
  h.set_info();
  const auto plain = h.connect(ip2);
  EXPECT_TRUE(h.sent(plain).empty());  // BEP 3: nothing to say
  const auto fast = h.connect(ip3, 6881, true, true);
  auto msgs = h.sent(fast);
  ASSERT_GE(msgs.size(), 2u);
  EXPECT_EQ(msgs[0].type, message_type::extended);  // the extended handshake first
  EXPECT_EQ(msgs[0].extended_id, 0);
  EXPECT_EQ(msgs[1].type, message_type::have_none);

  harness seed;
  seed.set_info(swarm::bitfield(8, true));
  const auto s = seed.connect(ip3, 6881, true, true);
  msgs = seed.sent(s);
  EXPECT_EQ(harness::count(msgs, message_type::have_all), 1u);
  EXPECT_EQ(harness::count(msgs, message_type::bitfield), 0u);
  // A seed offers its allowed-fast set (pieces it has) to an IPv4 peer.
  EXPECT_EQ(harness::count(msgs, message_type::allowed_fast), 8u);
  const auto p = seed.connect(ip4);
  msgs = seed.sent(p);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].type, message_type::bitfield);
}

TEST(FastExtension, FastMessagesWithoutNegotiationClose) {
  for (auto t : {message_type::have_all, message_type::have_none, message_type::suggest,
                 message_type::allowed_fast}) {
    harness h;
    h.set_info();
    const auto a = h.connect(ip2);
    EXPECT_FALSE(h.send(a, t)) << static_cast<int>(t);
    EXPECT_EQ(h.logic.find_peer(a)->closing, peer::close_reason::fast_not_negotiated);
  }
}

TEST(FastExtension, RequestsWeWillNotServeAreRejected) {
  harness h;
  swarm::bitfield have(8);
  have.set(1);
  h.set_info(have);
  const auto a = h.connect(ip2, 6881, false, true);
  h.sent(a);
  // Choked: rejected (piece 1 is ours but not allowed-fast for this address)...
  const auto allowed = peer::allowed_fast_set({127, 0, 0, 2}, h.info.info_hash, 8, 10);
  ASSERT_TRUE(h.request(a, {1, 0, block}));
  auto msgs = h.sent(a);
  if (std::find(allowed.begin(), allowed.end(), 1u) == allowed.end()) {
    EXPECT_EQ(harness::count(msgs, message_type::reject), 1u);
  }
  // ...a piece we lack: rejected; a plain peer's is ignored instead.
  ASSERT_TRUE(h.request(a, {2, 0, block}));
  msgs = h.sent(a);
  ASSERT_EQ(harness::count(msgs, message_type::reject), 1u);
  EXPECT_EQ(msgs.back().piece, 2u);
  const auto b = h.connect(ip3, 6881, false);
  h.sent(b);
  ASSERT_TRUE(h.request(b, {2, 0, block}));
  EXPECT_TRUE(h.sent(b).empty());
}

TEST(FastExtension, OurChokeRejectsQueuedRequestsButKeepsAllowedFastOnes) {
  harness h(64, 2);
  h.set_info(swarm::bitfield(64, true));
  const auto a = h.connect(ip2, 6881, false, true);
  auto* p = h.logic.find_peer(a);
  ASSERT_FALSE(p->allowed_fast_out.empty());
  const auto fast_piece = p->allowed_fast_out[0];
  std::uint32_t other = 0;
  while (p->allowed_while_choked(other)) ++other;
  h.sent(a);
  // Allowed-fast while choked: queued. Unchoked: everything queued; then choked again.
  ASSERT_TRUE(h.request(a, {fast_piece, 0, block}));
  EXPECT_EQ(p->incoming.size(), 1u);
  p->send_unchoke();
  ASSERT_TRUE(h.request(a, {other, 0, block}));
  EXPECT_EQ(p->incoming.size(), 2u);
  h.sent(a);
  p->send_choke();
  const auto msgs = h.sent(a);
  ASSERT_EQ(harness::count(msgs, message_type::reject), 1u);
  EXPECT_EQ(msgs.back().piece, other);
  ASSERT_EQ(p->incoming.size(), 1u);
  EXPECT_EQ(p->incoming.front().piece, fast_piece);
  // And a cancel is answered with a reject too.
  message c;
  c.type = message_type::cancel;
  c.piece = fast_piece;
  c.length = block;
  ASSERT_TRUE(h.send(a, c));
  EXPECT_EQ(harness::count(h.sent(a), message_type::reject), 1u);
  EXPECT_TRUE(p->incoming.empty());
}

TEST(FastExtension, TheirChokeKeepsOurRequestsUntilRejected) {
  harness h(16, 2);
  h.set_info();
  const auto a = h.connect(ip2, 6881, true, true);
  h.have_all(a);
  h.send(a, message_type::unchoke);
  const auto reqs = harness::requests_in(h.sent(a));
  ASSERT_FALSE(reqs.empty());
  ASSERT_TRUE(h.send(a, message_type::choke));
  auto* p = h.logic.find_peer(a);
  EXPECT_EQ(p->requests.size(), reqs.size());  // not void: it will serve or reject them
  // It serves one, rejects another: each leaves the queue; the rejected block is free.
  h.deliver(a, reqs[0]);
  message r;
  r.type = message_type::reject;
  r.piece = reqs[1].piece;
  r.begin = reqs[1].begin;
  r.length = reqs[1].length;
  ASSERT_TRUE(h.send(a, r));
  EXPECT_EQ(p->requests.size(), reqs.size() - 2);
  const auto b = h.seeder(ip3);  // another peer takes the rejected block
  const auto theirs = harness::requests_in(h.sent(b));
  EXPECT_NE(std::find(theirs.begin(), theirs.end(), reqs[1]), theirs.end());
}

TEST(FastExtension, WhileChokedWeAskOnlyForAllowedFastPieces) {
  harness h(32, 2);
  h.set_info();
  const auto a = h.connect(ip2, 6881, true, true);
  message af;
  af.type = message_type::allowed_fast;
  af.piece = 5;
  ASSERT_TRUE(h.send(a, af));
  af.piece = 9;
  ASSERT_TRUE(h.send(a, af));
  af.piece = 999;  // out of range: ignored (BEP 6)
  ASSERT_TRUE(h.send(a, af));
  h.have_all(a);  // still choked
  const auto reqs = harness::requests_in(h.sent(a));
  ASSERT_FALSE(reqs.empty());
  for (const auto& b : reqs) EXPECT_TRUE(b.piece == 5 || b.piece == 9) << b.piece;
  EXPECT_EQ(h.logic.find_peer(a)->allowed_fast_in.size(), 2u);
}

// ---------------------------------------------------------------- BEP 10

TEST(ExtensionProtocol, OurHandshakeOffersMetadataAndPexAndTheirsIsKept) {
  harness h;
  h.info.info_bytes = std::string(1000, 'x');
  h.set_info();
  const auto a = h.connect(ip2, 6881, false, true);
  const auto ours = extended_payloads(h.sent(a), 0);
  ASSERT_EQ(ours.size(), 1u);
  auto hs = wire::ext::decode_handshake(ours[0]);
  ASSERT_TRUE(hs);
  EXPECT_EQ(hs->id_of("ut_metadata"), metadata_extension::id);
  EXPECT_EQ(hs->id_of("ut_pex"), pex_extension::id);
  EXPECT_EQ(hs->yourip.size(), 4u);
  ASSERT_TRUE(hs->metadata_size);
  EXPECT_EQ(*hs->metadata_size, static_cast<std::int64_t>(h.info.info_bytes.size()));
  ASSERT_TRUE(h.send(a, extended(0, their_handshake(0, 20, 51413, true))));
  const auto* p = h.logic.find_peer(a);
  EXPECT_EQ(p->ext_id("ut_metadata"), 3);
  EXPECT_EQ(p->reqq, 20u);
  EXPECT_EQ(p->listen_port, 51413);
  EXPECT_TRUE(p->upload_only);
  EXPECT_EQ(p->client, "libtorrent 2.0.8");
  // Garbage as a handshake closes; an extended id we never offered is ignored.
  EXPECT_TRUE(h.send(a, extended(77, "whatever")));
  EXPECT_FALSE(h.send(a, extended(0, "not bencode")));
  EXPECT_EQ(h.logic.find_peer(a)->closing, peer::close_reason::bad_extension);
}

TEST(ExtensionProtocol, ReqqBoundsOurQueue) {
  harness h(64, 2);
  h.set_info();
  const auto a = h.connect(ip2, 6881, true, true);
  ASSERT_TRUE(h.send(a, extended(0, their_handshake(0, 5))));
  h.have_all(a);
  h.send(a, message_type::unchoke);
  EXPECT_EQ(harness::requests_in(h.sent(a)).size(), 5u);
}

TEST(ExtensionProtocol, PrivateTorrentsOfferNoPex) {
  harness h;
  h.info.is_private = true;
  h.set_info();
  const auto a = h.connect(ip2, 6881, false, true);
  auto hs = wire::ext::decode_handshake(extended_payloads(h.sent(a), 0).at(0));
  ASSERT_TRUE(hs);
  EXPECT_EQ(hs->id_of("ut_pex"), 0);
  EXPECT_NE(hs->id_of("ut_metadata"), 0);
}

// ---------------------------------------------------------------- metadata (BEP 9)

TEST(Metadata, FetchedFromSeveralPeersAndHandedOverWhenItHashesRight) {
  magnet_harness h(40'000);  // 3 pieces: 16 KiB, 16 KiB, 7,232 bytes
  const auto a = h.fast_peer(ip2, 40'000);
  const auto b = h.fast_peer(ip3, 40'000);
  const auto ra = h.metadata_requests(a);
  const auto rb = h.metadata_requests(b);
  EXPECT_EQ(ra.size() + rb.size(), 3u);  // every piece asked once, spread over the peers
  for (auto piece : ra) ASSERT_TRUE(h.answer(a, piece, h.info_bytes));
  EXPECT_FALSE(h.got_metadata() && !rb.empty());
  for (auto piece : rb) ASSERT_TRUE(h.answer(b, piece, h.info_bytes));
  ASSERT_TRUE(h.got_metadata());
  for (const auto& act : h.other) {
    if (act.kind == action_kind::metadata_received) {
      EXPECT_EQ(act.data, h.info_bytes);
    }
  }
}

TEST(Metadata, APeerThatSendsAllOfABadCopyIsBanned) {
  magnet_harness h(20'000);
  const auto liar = h.fast_peer(ip2, 20'000);
  auto bad = h.info_bytes;
  bad[100] ^= 1;
  for (auto piece : h.metadata_requests(liar)) h.answer(liar, piece, bad);
  EXPECT_FALSE(h.got_metadata());
  EXPECT_TRUE(h.logic.book().is_banned(net::peer_address::v4(ip2, 1)));
  // An honest peer afterwards gets the whole of it asked and delivers.
  const auto honest = h.fast_peer(ip3, 20'000);
  for (auto piece : h.metadata_requests(honest)) h.answer(honest, piece, h.info_bytes);
  EXPECT_TRUE(h.got_metadata());
}

TEST(Metadata, ASharedBadCopyIsRetriedOnePeerAtATimeAndNamesTheLiar) {
  magnet_harness h(100'000);  // 7 pieces: 4 asked of the first peer, 3 of the second
  const auto liar = h.fast_peer(ip2, 100'000);
  const auto honest = h.fast_peer(ip3, 100'000);
  auto bad = h.info_bytes;
  for (std::size_t i = 0; i < bad.size(); i += 16'384) bad[i] ^= 1;  // every piece bad
  auto rl = h.metadata_requests(liar);
  auto rh = h.metadata_requests(honest);
  ASSERT_FALSE(rl.empty());
  ASSERT_FALSE(rh.empty());
  for (auto piece : rh) h.answer(honest, piece, h.info_bytes);
  for (auto piece : rl) h.answer(liar, piece, bad);
  EXPECT_FALSE(h.got_metadata());
  EXPECT_FALSE(h.logic.book().is_banned(net::peer_address::v4(ip3, 1)));  // nobody blamed yet
  // One peer at a time now, each asked for every piece.
  for (int round = 0; round < 4 && !h.got_metadata(); ++round) {
    for (auto [key, copy] : {std::pair{liar, &bad}, std::pair{honest, &h.info_bytes}}) {
      if (!h.logic.find_peer(key) || h.logic.find_peer(key)->is_closing()) continue;
      const auto reqs = h.metadata_requests(key);
      for (auto piece : reqs) h.answer(key, piece, *copy);
    }
  }
  EXPECT_TRUE(h.got_metadata());
  EXPECT_TRUE(h.logic.book().is_banned(net::peer_address::v4(ip2, 1)));
  EXPECT_FALSE(h.logic.book().is_banned(net::peer_address::v4(ip3, 1)));
}

TEST(Metadata, WrongSizesDropThePeer) {
  magnet_harness h(40'000);
  const auto a = h.fast_peer(ip2, 40'000);
  const auto reqs = h.metadata_requests(a);
  ASSERT_FALSE(reqs.empty());
  // total_size differs from what it claimed.
  EXPECT_FALSE(h.answer(a, reqs[0], h.info_bytes, 50'000));
  EXPECT_EQ(h.logic.find_peer(a)->closing, peer::close_reason::banned);
  // A piece of the wrong length.
  magnet_harness g(40'000);
  const auto b = g.fast_peer(ip3, 40'000);
  const auto rb = g.metadata_requests(b);
  ASSERT_FALSE(rb.empty());
  std::string shorter = g.piece_of(g.info_bytes, rb[0]).substr(0, 100);
  EXPECT_FALSE(g.send(b, extended(metadata_extension::id,
                                  wire::ext::encode_metadata_data(rb[0], 40'000, shorter))));
}

TEST(Metadata, SizesAboveTheCapAreNeverAskedAndTheMajoritySizeWins) {
  torrent_config c;
  c.max_metadata_size = 100'000;
  magnet_harness h(40'000, c);
  const auto big = h.fast_peer(ip2, 200'000);
  EXPECT_TRUE(h.metadata_requests(big).empty());
  const auto a = h.fast_peer(ip3, 40'000);
  EXPECT_FALSE(h.metadata_requests(a).empty());
}

TEST(Metadata, RejectsAndSilenceSendRequestsElsewhere) {
  magnet_harness h(40'000);
  const auto a = h.fast_peer(ip2, 40'000);
  auto ra = h.metadata_requests(a);
  ASSERT_EQ(ra.size(), 3u);
  const auto b = h.fast_peer(ip3, 40'000);
  EXPECT_TRUE(h.metadata_requests(b).empty());  // all asked of a already
  ASSERT_TRUE(
      h.send(a, extended(metadata_extension::id, wire::ext::encode_metadata_reject(ra[0]))));
  EXPECT_EQ(h.metadata_requests(b).size(), 3u);  // a rejected: everything goes to b
  // b says nothing: after the timeout nobody is asked again (a and b are both done), and a
  // newcomer gets them.
  h.logic.on_tick(h.now + metadata_extension::request_timeout_s + 1);
  const auto c = h.fast_peer(0x7f000005, 40'000);
  EXPECT_EQ(h.metadata_requests(c).size(), 3u);
}

TEST(Metadata, ServedWhenWeHaveItRejectedOtherwiseAndRateLimited) {
  harness h;
  h.info.info_bytes = std::string(20'000, 'x');
  h.set_info();
  const auto a = h.connect(ip2, 6881, false, true);
  ASSERT_TRUE(h.send(a, extended(0, their_handshake())));
  h.sent(a);
  auto ask = [&](std::uint32_t piece) {
    h.send(a, extended(metadata_extension::id, wire::ext::encode_metadata_request(piece)));
    const auto out = extended_payloads(h.sent(a), 3);
    EXPECT_EQ(out.size(), 1u);
    auto m = wire::ext::decode_metadata(out.at(0));
    EXPECT_TRUE(m) << piece << ": " << (m ? "" : m.error().message());
    m->data = {};  // a view into `out`
    return *m;
  };
  auto m = ask(1);
  EXPECT_EQ(m.type, wire::ext::metadata_msg_type::data);
  EXPECT_EQ(m.total_size, 20'000);
  EXPECT_EQ(ask(2).type, wire::ext::metadata_msg_type::reject);  // out of range
  // Two copies of the whole per window, then rejects.
  ask(0);
  ask(1);
  ask(0);
  EXPECT_EQ(ask(1).type, wire::ext::metadata_msg_type::reject);
  h.logic.on_tick(h.now + metadata_extension::serve_window_s + 1);
  h.now += metadata_extension::serve_window_s + 1;
  EXPECT_EQ(ask(1).type, wire::ext::metadata_msg_type::data);

  harness none;  // no `info` yet: rejected
  const auto b = none.connect(ip2, 6881, false, true);
  ASSERT_TRUE(none.send(b, extended(0, their_handshake())));
  none.sent(b);
  none.send(b, extended(metadata_extension::id, wire::ext::encode_metadata_request(0)));
  const auto out = extended_payloads(none.sent(b), 3);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(wire::ext::decode_metadata(out[0])->type, wire::ext::metadata_msg_type::reject);
}

TEST(Metadata, AvailabilityBeforeTheInfoIsReplayedWhenItComes) {
  harness h;
  const auto a = h.connect(ip2, 6881, true, true);
  ASSERT_TRUE(h.have_all(a));
  const auto b = h.connect(ip3);
  message bf;
  bf.type = message_type::bitfield;
  bf.payload = std::string_view("\x80", 1);
  ASSERT_TRUE(h.send(b, bf));
  ASSERT_TRUE(h.have(b, 6));
  ASSERT_TRUE(h.send(a, message_type::unchoke));
  EXPECT_TRUE(harness::requests_in(h.sent(a)).empty());
  h.set_info();
  EXPECT_TRUE(h.logic.find_peer(a)->has.all());
  EXPECT_EQ(h.logic.find_peer(b)->has.count(), 2u);
  EXPECT_EQ(h.logic.picker()->availability(0), 2u);
  h.logic.after_messages(a, h.now);
  EXPECT_FALSE(harness::requests_in(h.sent(a)).empty());
  // A bitfield that does not fit the `info` closes that peer then.
  harness g;
  const auto c = g.connect(ip2);
  bf.payload = std::string_view("\x80\x00\x00", 3);
  ASSERT_TRUE(g.send(c, bf));
  g.set_info();
  EXPECT_EQ(g.logic.find_peer(c)->closing, peer::close_reason::bad_bitfield);
}

// ---------------------------------------------------------------- PEX (BEP 11)

TEST(Pex, PeersTheyTellUsGoToTheBookBoundedAndRateLimited) {
  harness h;
  h.set_info();
  const auto a = h.connect(ip2, 6881, true, true);
  ASSERT_TRUE(h.send(a, extended(0, their_handshake())));
  wire::ext::pex_message m;
  for (std::uint32_t i = 0; i < 80; ++i)
    m.added.push_back({net::peer_address::v4(0x7f010000 + i, 6881), 0});
  const auto before = h.logic.book().size();
  ASSERT_TRUE(h.send(a, extended(pex_extension::id, wire::ext::encode_pex(m))));
  EXPECT_EQ(h.logic.book().size() - before, pex_extension::max_added);
  // Another one at once: ignored (BEP 11: one a minute).
  for (auto& p : m.added) p.address.port = 7000;
  ASSERT_TRUE(h.send(a, extended(pex_extension::id, wire::ext::encode_pex(m))));
  EXPECT_EQ(h.logic.book().size() - before, pex_extension::max_added);
  h.now += pex_extension::min_receive_interval_s + 1;
  ASSERT_TRUE(h.send(a, extended(pex_extension::id, wire::ext::encode_pex(m))));
  EXPECT_EQ(h.logic.book().size() - before, 2 * pex_extension::max_added);
}

TEST(Pex, WeTellEachPeerOfTheOthersOnceAMinute) {
  harness h;
  h.set_info();
  const auto a = h.connect(ip2, 6881, true, true);
  ASSERT_TRUE(h.send(a, extended(0, their_handshake())));
  const auto b = h.connect(ip3, 7000, true, true);    // dialled: its address as is
  const auto c = h.connect(ip4, 40000, false, true);  // incoming: at the port it says
  ASSERT_TRUE(h.send(c, extended(0, their_handshake(0, 0, 51413))));
  const auto d = h.connect(0x7f000005, 40001, false, true);  // incoming, port unknown
  (void)b;
  (void)d;
  h.sent(a);
  h.logic.on_tick(h.now + 2);
  auto payloads = extended_payloads(h.sent(a), 1);
  ASSERT_EQ(payloads.size(), 1u);
  auto m = wire::ext::decode_pex(payloads[0]);
  ASSERT_TRUE(m);
  std::set<net::peer_address> added;
  for (const auto& p : m->added) added.insert(p.address);
  EXPECT_EQ(added, (std::set<net::peer_address>{net::peer_address::v4(ip3, 7000),
                                                net::peer_address::v4(ip4, 51413)}));
  // Nothing new within the minute; after it, the one that left is dropped.
  h.logic.on_tick(h.now + 30);
  EXPECT_TRUE(extended_payloads(h.sent(a), 1).empty());
  h.logic.on_peer_closed(b, h.now + 40);
  h.logic.on_tick(h.now + 63);
  payloads = extended_payloads(h.sent(a), 1);
  ASSERT_EQ(payloads.size(), 1u);
  m = wire::ext::decode_pex(payloads[0]);
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->added.empty());
  ASSERT_EQ(m->dropped.size(), 1u);
  EXPECT_EQ(m->dropped[0], net::peer_address::v4(ip3, 7000));
}

TEST(Pex, APrivateTorrentIgnoresWhatItIsTold) {
  harness h;
  h.info.is_private = true;
  h.set_info();
  const auto a = h.connect(ip2, 6881, true, true);
  ASSERT_TRUE(h.send(a, extended(0, their_handshake())));
  wire::ext::pex_message m;
  m.added.push_back({net::peer_address::v4(0x7f010001, 6881), 0});
  const auto before = h.logic.book().size();
  ASSERT_TRUE(h.send(a, extended(pex_extension::id, wire::ext::encode_pex(m))));
  EXPECT_EQ(h.logic.book().size(), before);
}

}  // namespace
}  // namespace corrent::torrent
