#include "core/dht/node.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/dht/node_id_rules.hpp"

namespace corrent::dht {
namespace {

net::peer_address addr(std::uint32_t n, std::uint16_t port = 6881) {
  return net::peer_address::v4(0x5a000000 + n, port);  // 90.x.x.x: public
}

node_id id_of(std::uint8_t b) {
  node_id id;
  id.bytes.fill(b);
  return id;
}

// Many nodes on one simulated network: what one sends, the addressee receives (in
// order, unless dropped), all at the same clock.
struct network {
  std::map<net::peer_address, std::unique_ptr<node>> nodes;
  double now = 1000;
  std::size_t delivered = 0;
  std::set<net::peer_address> dead;  // receive nothing

  node& add(const net::peer_address& a, std::vector<net::peer_address> bootstrap,
            std::uint64_t seed, node_config cfg = {}) {
    auto n = std::make_unique<node>(cfg, "", std::move(bootstrap), now, seed);
    return *nodes.emplace(a, std::move(n)).first->second;
  }
  // Delivers until nothing is in flight (bounded).
  void run() {
    for (int round = 0; round < 1000; ++round) {
      bool any = false;
      for (auto& [from, n] : nodes) {
        for (auto& o : n->take_outgoing()) {
          any = true;
          auto it = nodes.find(o.to);
          if (it == nodes.end() || dead.contains(o.to)) continue;
          ++delivered;
          it->second->on_datagram(from, o.data, now);
        }
      }
      if (!any) return;
    }
    FAIL() << "the network never went quiet";
  }
  void tick_all(double dt) {
    now += dt;
    for (auto& [a, n] : nodes) n->tick(now);
    run();
  }
};

std::vector<net::peer_address> found(node& n, const node_id& ih) {
  std::vector<net::peer_address> out;
  for (auto& e : n.take_events()) {
    if (e.k == node::event::kind::peers && e.info_hash == ih)
      out.insert(out.end(), e.peers.begin(), e.peers.end());
  }
  return out;
}

TEST(DhtNode, BootstrapsAnnouncesAndFindsPeersThroughOthers) {
  network net;
  const auto router = addr(1);
  net.add(router, {}, 1);
  for (std::uint32_t i = 2; i <= 40; ++i) net.add(addr(i), {router}, i);
  for (int i = 0; i < 6; ++i) net.tick_all(0.5);
  for (std::uint32_t i = 2; i <= 40; ++i) EXPECT_GE(net.nodes[addr(i)]->table().size(), 8u) << i;

  const node_id ih = id_of(0x42);
  node& seeder = *net.nodes[addr(7)];
  ASSERT_TRUE(seeder.get_peers(ih, 51413, net.now));
  EXPECT_FALSE(seeder.get_peers(ih, 51413, net.now));  // already running
  for (int i = 0; i < 10; ++i) net.tick_all(0.5);
  bool done = false;
  for (auto& e : seeder.take_events()) done |= e.k == node::event::kind::lookup_done;
  EXPECT_TRUE(done);

  node& leecher = *net.nodes[addr(33)];
  leecher.take_events();
  ASSERT_TRUE(leecher.get_peers(ih, 0, net.now));
  for (int i = 0; i < 10; ++i) net.tick_all(0.5);
  const auto peers = found(leecher, ih);
  EXPECT_NE(std::find(peers.begin(), peers.end(), addr(7, 51413)), peers.end());
}

TEST(DhtNode, LookupWithEmptyTableAsksTheBootstrapRouters) {
  network net;
  const auto router = addr(1);
  net.add(router, {}, 1);
  node& a = net.add(addr(2), {router}, 2);
  // No tick yet: the table is empty, the lookup itself starts from the router.
  ASSERT_TRUE(a.get_peers(id_of(9), 0, net.now));
  const auto out = a.take_outgoing();
  ASSERT_FALSE(out.empty());
  EXPECT_TRUE(std::any_of(out.begin(), out.end(), [&](const auto& o) { return o.to == router; }));
}

TEST(DhtNode, RepliesCountOnlyForOurTransactionsFromTheirAddress) {
  node a({}, "", {}, 0, 3);
  a.add_node(addr(5), 0);
  auto out = a.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  auto q = decode(out[0].data);
  ASSERT_TRUE(q);
  // From another address, with the right transaction: ignored.
  const std::string reply = encode_response(q->transaction, id_of(0x11), addr(0), {});
  EXPECT_TRUE(a.on_datagram(addr(6), reply, 0.1));
  EXPECT_EQ(a.table().size(), 0u);
  // From the right address, with a transaction we never sent: ignored.
  std::string other = q->transaction;
  other[0] = static_cast<char>(other[0] ^ 1);
  EXPECT_TRUE(a.on_datagram(addr(5), encode_response(other, id_of(0x11), addr(0), {}), 0.2));
  EXPECT_EQ(a.table().size(), 0u);
  EXPECT_EQ(a.stats().unexpected_in, 2u);
  // The real one: taken, once.
  EXPECT_TRUE(a.on_datagram(addr(5), reply, 0.3));
  EXPECT_EQ(a.table().size(), 1u);
  EXPECT_TRUE(a.on_datagram(addr(5), reply, 0.4));
  EXPECT_EQ(a.stats().unexpected_in, 3u);
  EXPECT_EQ(a.stats().replies_in, 1u);
}

TEST(DhtNode, NotKrpcIsLeftToOthers) {
  node a({}, "", {}, 0, 4);
  EXPECT_FALSE(a.on_datagram(addr(5), std::string("\x00\x00\x00\x01", 4), 0));
  EXPECT_FALSE(a.on_datagram(addr(5), "", 0));
  EXPECT_TRUE(a.take_outgoing().empty());
}

TEST(DhtNode, MalformedQueryGetsProtocolError) {
  node a({}, "", {}, 0, 5);
  // find_node without a target.
  EXPECT_TRUE(
      a.on_datagram(addr(5), "d1:ad2:id20:aaaaaaaaaaaaaaaaaaaae1:q9:find_node1:t2:xy1:y1:qe", 0));
  auto out = a.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  auto m = decode(out[0].data);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->k, message::kind::error);
  EXPECT_EQ(m->error_code, error_protocol);
  EXPECT_EQ(m->transaction, "xy");
  // Garbage that is not even a query: nothing.
  EXPECT_TRUE(a.on_datagram(addr(5), "d1:y1:q", 0));
  EXPECT_TRUE(a.take_outgoing().empty());
  EXPECT_EQ(a.stats().malformed_in, 2u);
}

TEST(DhtNode, FloodFromOneAddressIsCappedByTheRateLimit) {
  node_config cfg;
  node a(cfg, "", {}, 0, 6);
  std::size_t replies = 0;
  // 10,000 pings a second for 10 s.
  for (int i = 0; i < 100000; ++i) {
    const double t = i / 10000.0;
    a.on_datagram(addr(5), encode_ping("p" + std::to_string(i % 100), id_of(0x33), false), t);
    replies += a.take_outgoing().size();
  }
  EXPECT_LE(replies, static_cast<std::size_t>(cfg.per_ip_burst + cfg.per_ip_rate * 10 + 1));
  EXPECT_GE(replies, static_cast<std::size_t>(cfg.per_ip_rate * 10));
  EXPECT_GE(a.stats().rate_limited, 99000u);
  // Another address is still answered.
  a.on_datagram(addr(6), encode_ping("zz", id_of(0x34), false), 10);
  EXPECT_EQ(a.take_outgoing().size(), 1u);
}

TEST(DhtNode, ManySourcesAreBoundedGlobally) {
  node_config cfg;
  cfg.global_query_rate = 100;
  cfg.global_query_burst = 100;
  node a(cfg, "", {}, 0, 7);
  std::size_t replies = 0;
  for (std::uint32_t i = 0; i < 5000; ++i) {
    a.on_datagram(addr(100 + i), encode_ping("pp", id_of(0x35), false), 0.5);
    replies += a.take_outgoing().size();
  }
  EXPECT_LE(replies, 151u);
  // And the rate table stays bounded whatever the number of sources.
  node_config small;
  small.max_rate_entries = 64;
  node b(small, "", {}, 0, 8);
  for (std::uint32_t i = 0; i < 5000; ++i) b.on_datagram(addr(100 + i), "d1:y1:qe", 0);
  EXPECT_GE(b.stats().rate_limited, 4000u);
}

TEST(DhtNode, AnnounceNeedsTheTokenFromGetPeers) {
  node a({}, "", {}, 0, 9);
  const node_id ih = id_of(0x77);
  const auto peer = addr(20, 7000);
  // No token: refused.
  a.on_datagram(peer, encode_announce_peer("a1", id_of(0x20), ih, 6000, false, "12345678", false),
                1);
  auto out = a.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(decode(out[0].data)->error_code, error_protocol);
  // get_peers hands out the token.
  a.on_datagram(peer, encode_get_peers("g1", id_of(0x20), ih, false), 2);
  out = a.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  const auto reply = decode(out[0].data);
  ASSERT_TRUE(reply);
  ASSERT_FALSE(reply->token.empty());
  EXPECT_TRUE(reply->values.empty());
  // Another IP cannot use it.
  a.on_datagram(addr(21, 7000),
                encode_announce_peer("a2", id_of(0x21), ih, 6000, false, reply->token, false), 3);
  EXPECT_EQ(decode(a.take_outgoing().at(0).data)->k, message::kind::error);
  // The right one can; implied_port takes the UDP source port.
  a.on_datagram(peer, encode_announce_peer("a3", id_of(0x20), ih, 6000, false, reply->token, false),
                4);
  EXPECT_EQ(decode(a.take_outgoing().at(0).data)->k, message::kind::response);
  a.on_datagram(addr(22, 7001), encode_get_peers("g2", id_of(0x22), ih, false), 5);
  const auto tok22 = decode(a.take_outgoing().at(0).data)->token;
  a.on_datagram(addr(22, 7001), encode_announce_peer("a4", id_of(0x22), ih, 0, true, tok22, false),
                6);
  a.take_outgoing();
  a.on_datagram(addr(23), encode_get_peers("g3", id_of(0x23), ih, false), 7);
  const auto values = decode(a.take_outgoing().at(0).data)->values;
  EXPECT_EQ(std::set<net::peer_address>(values.begin(), values.end()),
            (std::set<net::peer_address>{addr(20, 6000), addr(22, 7001)}));
  EXPECT_EQ(a.stats().stored_peers, 2u);
}

TEST(DhtNode, ResponsesNeverExceedTheSizeBound) {
  node a({}, "", {}, 0, 10);
  const node_id ih = id_of(0x78);
  for (std::uint32_t i = 0; i < 400; ++i) {
    const auto p = addr(1000 + i, 7000);
    a.on_datagram(p, encode_get_peers("gg", id_of(0x20), ih, false), 1);
    const auto tok = decode(a.take_outgoing().at(0).data)->token;
    a.on_datagram(p, encode_announce_peer("aa", id_of(0x20), ih, 1, false, tok, false), 1);
    a.take_outgoing();
  }
  // A long transaction id and a query asking for both families.
  a.on_datagram(addr(5), encode_get_peers("0123456789abcdef", id_of(0x20), ih, false), 1);
  const auto out = a.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_LE(out[0].data.size(), max_response_size);
  EXPECT_GT(decode(out[0].data)->values.size(), 50u);
}

TEST(DhtNode, ReadOnlyAsksButNeverAnswers) {
  node_config cfg;
  cfg.read_only = true;
  node a(cfg, "", {addr(1)}, 0, 11);
  a.tick(0);
  auto out = a.take_outgoing();
  ASSERT_FALSE(out.empty());
  EXPECT_TRUE(decode(out[0].data)->read_only);
  a.on_datagram(addr(5), encode_ping("p1", id_of(0x33), false), 1);
  EXPECT_TRUE(a.take_outgoing().empty());
  // And a read-only querier does not enter our table.
  node b({}, "", {}, 0, 12);
  b.on_datagram(addr(6), encode_ping("p2", id_of(0x34), true), 1);
  EXPECT_EQ(b.take_outgoing().size(), 1u);
  EXPECT_EQ(b.table().size(), 0u);
  b.on_datagram(addr(7), encode_ping("p3", id_of(0x35), false), 1);
  EXPECT_EQ(b.table().size(), 1u);
}

TEST(DhtNode, ExternalAddressVotesGiveABep42Id) {
  node a({}, "", {}, 0, 13);
  const auto me = addr(77, 0);
  const node_id before = a.id();
  a.vote_external_ip(me, addr(1), 1);
  a.vote_external_ip(me, addr(1), 1);  // the same voter twice counts once
  a.vote_external_ip(me, addr(2), 1);
  EXPECT_EQ(a.id(), before);
  a.vote_external_ip(me, addr(3), 1);
  EXPECT_NE(a.id(), before);
  EXPECT_TRUE(bep42_valid(a.id(), me));
  // Loopback is exempt: no change.
  node b({}, "", {}, 0, 14);
  const node_id b_before = b.id();
  for (std::uint32_t i = 1; i <= 5; ++i)
    b.vote_external_ip(net::peer_address::v4(0x7f000001, 0), addr(i), 1);
  EXPECT_EQ(b.id(), b_before);
}

TEST(DhtNode, SavedTableKeepsTheIdAndNodes) {
  network net;
  net.add(addr(1), {}, 1);
  for (std::uint32_t i = 2; i <= 12; ++i) net.add(addr(i), {addr(1)}, i);
  for (int i = 0; i < 4; ++i) net.tick_all(0.5);
  node& a = *net.nodes[addr(5)];
  const std::string saved = a.save();
  node b({}, saved, {}, net.now, 99);
  EXPECT_EQ(b.id(), a.id());
  EXPECT_GE(b.table().size(), 8u);
  // With no routers at all, it starts from the saved nodes.
  b.tick(net.now + 1);
  EXPECT_FALSE(b.take_outgoing().empty());
}

TEST(DhtNode, QueriesTimeOutAndPendingIsBounded) {
  node_config cfg;
  cfg.max_pending = 10;
  node a(cfg, "", {}, 0, 15);
  for (std::uint32_t i = 0; i < 50; ++i) a.add_node(addr(200 + i), 0);
  EXPECT_EQ(a.take_outgoing().size(), 10u);
  EXPECT_EQ(a.stats().pending, 10u);
  a.tick(cfg.query_timeout_s + 0.1);
  EXPECT_EQ(a.stats().pending, 0u);
  EXPECT_EQ(a.stats().timeouts, 10u);
}

TEST(DhtNode, LookupEndsWhenEveryoneIsSilent) {
  network net;
  net.add(addr(1), {}, 1);
  for (std::uint32_t i = 2; i <= 20; ++i) net.add(addr(i), {addr(1)}, i);
  for (int i = 0; i < 4; ++i) net.tick_all(0.5);
  node& a = *net.nodes[addr(2)];
  a.take_events();
  for (std::uint32_t i = 1; i <= 20; ++i) {
    if (i != 2) net.dead.insert(addr(i));
  }
  ASSERT_TRUE(a.get_peers(id_of(0x55), 0, net.now));
  bool done = false;
  for (int i = 0; i < 80 && !done; ++i) {
    net.tick_all(0.5);
    for (auto& e : a.take_events()) done |= e.k == node::event::kind::lookup_done;
  }
  EXPECT_TRUE(done);
}

}  // namespace
}  // namespace corrent::dht
