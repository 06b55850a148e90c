// torrent_logic and the DHT (BEP 5): when a torrent looks itself up, the `port` message
// both ways, and no DHT for a private torrent (BEP 27).
#include <gtest/gtest.h>

#include <algorithm>

#include "core/torrent/logic_harness.hpp"

namespace corrent::torrent::testing {
namespace {

torrent_config with_dht(std::uint16_t port = 6881) {
  torrent_config c;
  c.dht = true;
  c.dht_port = port;
  return c;
}

std::size_t lookups(harness& h) {
  h.take_actions();
  const auto n = std::count_if(h.other.begin(), h.other.end(),
                               [](const action& a) { return a.kind == action_kind::dht_lookup; });
  h.other.clear();
  return static_cast<std::size_t>(n);
}

TEST(DhtLogic, LooksUpAtStartThenEveryIntervalAndSoonerWhileNothingIsFound) {
  harness h(8, 2, with_dht());
  h.set_info();
  h.logic.on_tick(h.now);
  EXPECT_EQ(lookups(h), 1u);
  h.logic.on_tick(h.now + 1);  // one at a time
  EXPECT_EQ(lookups(h), 0u);
  h.now += 5;
  h.logic.on_dht_done(0, h.now);  // nobody: again soon (dht_first_retry_s)
  h.logic.on_tick(h.now + 4);
  EXPECT_EQ(lookups(h), 0u);
  h.logic.on_tick(h.now + 5);
  EXPECT_EQ(lookups(h), 1u);
  h.now += 5;
  h.logic.on_dht_done(3, h.now);  // found some, none connected: still soon
  h.logic.on_tick(h.now + 10);
  EXPECT_EQ(lookups(h), 1u);
  h.now += 10;
  h.connect();
  h.logic.on_dht_done(3, h.now);  // found some, and connected: again after dht_interval_s
  h.logic.on_tick(h.now + 899);
  EXPECT_EQ(lookups(h), 0u);
  h.logic.on_tick(h.now + 901);
  EXPECT_EQ(lookups(h), 1u);
  // A seed that finds no one waits the whole interval.
  h.now += 901;
  h.logic.set_seeding(true, h.now);
  h.logic.on_dht_done(0, h.now);
  h.logic.on_tick(h.now + 61);
  EXPECT_EQ(lookups(h), 0u);
  h.logic.on_tick(h.now + 901);
  EXPECT_EQ(lookups(h), 1u);
}

// A lookup can find no one because its replies were lost (a flood filled the socket's
// buffer, say): the next comes after 5 s, then 10, 20, 40, and every minute after that;
// one that finds peers we connect to starts the count again.
TEST(DhtLogic, LookupsThatFindNoOneAreRetriedAfter5SecondsDoublingToAMinute) {
  harness h(8, 2, with_dht());
  h.set_info();
  h.logic.on_tick(h.now);
  ASSERT_EQ(lookups(h), 1u);
  const auto retried_after = [&](double gap) {
    h.logic.on_dht_done(0, h.now);
    h.logic.on_tick(h.now + gap - 0.5);
    if (lookups(h) != 0) return false;
    h.now += gap;
    h.logic.on_tick(h.now);
    return lookups(h) == 1;
  };
  for (const double gap : {5.0, 10.0, 20.0, 40.0, 60.0, 60.0})
    EXPECT_TRUE(retried_after(gap)) << gap;
  const auto peer = h.connect();
  h.logic.on_dht_done(2, h.now);  // working: the whole interval, and the count starts again
  h.now += 900;
  h.logic.on_tick(h.now);
  ASSERT_EQ(lookups(h), 1u);
  h.logic.on_peer_closed(peer, h.now);
  EXPECT_TRUE(retried_after(5.0));
}

TEST(DhtLogic, NoLookupWithoutDhtOrForAPrivateTorrentOrWhenStopping) {
  harness off(8, 2, torrent_config{});
  off.set_info();
  off.logic.on_tick(off.now);
  EXPECT_EQ(lookups(off), 0u);

  harness priv(8, 2, with_dht());
  priv.info.is_private = true;
  priv.set_info();
  priv.logic.on_tick(priv.now);
  EXPECT_EQ(lookups(priv), 0u);
  EXPECT_FALSE(priv.logic.dht_allowed());

  harness magnet(8, 2, with_dht());  // no info yet: allowed
  magnet.logic.on_tick(magnet.now);
  EXPECT_EQ(lookups(magnet), 1u);

  harness stopping(8, 2, with_dht());
  stopping.set_info();
  stopping.logic.stop();
  stopping.logic.on_tick(stopping.now);
  EXPECT_EQ(lookups(stopping), 0u);
}

TEST(DhtLogic, PortMessageGoesOnlyToPeersWithTheDhtBit) {
  harness h(8, 2, with_dht(7001));
  h.set_info();
  const auto plain = h.connect(0x7f000002, 6881, true, false);
  for (const auto& m : h.sent(plain)) EXPECT_NE(m.type, message_type::port);

  const auto key = h.next_key++;
  auto reserved = wire::our_reserved(true);
  h.logic.on_peer_connected(key, net::peer_address::v4(0x7f000003, 6881), true, {}, reserved,
                            h.now);
  const auto msgs = h.sent(key);
  const auto it = std::find_if(msgs.begin(), msgs.end(),
                               [](const message& m) { return m.type == message_type::port; });
  ASSERT_NE(it, msgs.end());
  EXPECT_EQ(it->port, 7001);

  harness no_node(8, 2, torrent_config{});  // no DHT node: no port message
  no_node.set_info();
  const auto k2 = no_node.next_key++;
  no_node.logic.on_peer_connected(k2, net::peer_address::v4(0x7f000003, 6881), true, {}, reserved,
                                  no_node.now);
  for (const auto& m : no_node.sent(k2)) EXPECT_NE(m.type, message_type::port);
}

TEST(DhtLogic, APeersPortMessageNamesItsNodeOncePerConnection) {
  harness h(8, 2, with_dht());
  h.set_info();
  const auto key = h.connect(0x7f000005, 40000, false, false);
  message m;
  m.type = message_type::port;
  m.port = 6999;
  EXPECT_TRUE(h.send(key, m));
  m.port = 7000;
  EXPECT_TRUE(h.send(key, m));
  h.take_actions();
  std::vector<net::peer_address> nodes;
  for (const auto& a : h.other) {
    if (a.kind == action_kind::dht_node) nodes.push_back(a.address);
  }
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0], net::peer_address::v4(0x7f000005, 6999));

  harness off(8, 2, torrent_config{});
  off.set_info();
  const auto k2 = off.connect(0x7f000005, 40000, false, false);
  EXPECT_TRUE(off.send(k2, m));
  off.take_actions();
  for (const auto& a : off.other) EXPECT_NE(a.kind, action_kind::dht_node);
}

}  // namespace
}  // namespace corrent::torrent::testing
