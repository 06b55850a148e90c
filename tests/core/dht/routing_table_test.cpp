#include "core/dht/routing_table.hpp"

#include <gtest/gtest.h>

#include "core/dht/node_id_rules.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace corrent::dht {
namespace {

std::uint64_t next(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

node_id random_id(std::uint64_t& s) {
  node_id id;
  for (auto& b : id.bytes) b = static_cast<std::uint8_t>(next(s));
  return id;
}

// An id sharing exactly `bits` leading bits with `self` (bits < 160).
node_id id_sharing(const node_id& self, int bits, std::uint64_t& s) {
  node_id id = random_id(s);
  for (int i = 0; i <= bits; ++i) {
    const auto mask = static_cast<std::uint8_t>(0x80u >> (i % 8));
    const bool want = ((self.bytes[i / 8] & mask) != 0) != (i == bits);
    id.bytes[i / 8] = want ? (id.bytes[i / 8] | mask) : (id.bytes[i / 8] & ~mask);
  }
  return id;
}

// Public addresses (one node per IP applies): 90.0.0.0 + n.
net::peer_address addr(std::uint32_t n, std::uint16_t port = 6881) {
  return net::peer_address::v4(0x5a000000 + n, port);
}
net::peer_address loopback(std::uint16_t port) {
  return net::peer_address::v4(0x7f000001, port);
}

const node_id self_id = [] {
  std::uint64_t s = 42;
  return random_id(s);
}();

// Every node in its bucket, the bounds, no address twice, one per public IP.
void expect_well_formed(const routing_table& t) {
  const auto& buckets = t.buckets();
  ASSERT_FALSE(buckets.empty());
  EXPECT_LE(buckets.size(), t.config().max_buckets);
  std::set<net::peer_address> addresses;
  std::set<node_id> ids;
  for (std::size_t b = 0; b < buckets.size(); ++b) {
    EXPECT_LE(buckets[b].nodes.size(), t.config().bucket_size);
    EXPECT_LE(buckets[b].replacements.size(), t.config().max_replacements);
    for (const auto* list : {&buckets[b].nodes, &buckets[b].replacements}) {
      for (const node_entry& e : *list) {
        const auto shared = static_cast<std::size_t>(common_prefix_bits(self_id, e.id));
        if (b + 1 < buckets.size()) {
          EXPECT_EQ(shared, b);
        } else {
          EXPECT_GE(shared, b);
        }
        EXPECT_TRUE(addresses.insert(e.address).second) << e.address.to_string();
        EXPECT_TRUE(ids.insert(e.id).second);
      }
    }
  }
}

TEST(RoutingTable, SplitsOnlyTheBucketHoldingOurOwnId) {
  routing_table t(self_id);
  std::uint64_t s = 1;
  std::uint32_t n = 0;
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(t.on_reply(id_sharing(self_id, 0, s), addr(n++), 0));
  EXPECT_EQ(t.buckets().size(), 1u);
  // A ninth node far from us: the bucket splits, but the far half stays full.
  EXPECT_TRUE(t.on_reply(id_sharing(self_id, 0, s), addr(n++), 0));
  EXPECT_EQ(t.buckets().size(), 2u);
  EXPECT_EQ(t.buckets()[0].nodes.size(), 8u);
  EXPECT_EQ(t.buckets()[0].replacements.size(), 1u);
  EXPECT_TRUE(t.buckets()[1].nodes.empty());
  // Nodes near us keep splitting the last bucket.
  for (int bits = 1; bits < 30; ++bits)
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(t.on_reply(id_sharing(self_id, bits, s), addr(n++), 0));
  EXPECT_GE(t.buckets().size(), 30u);
  for (std::size_t b = 0; b < 29; ++b) EXPECT_EQ(t.buckets()[b].nodes.size(), 8u) << b;
  // No more far nodes in the full far bucket than k.
  for (int i = 0; i < 20; ++i) t.on_reply(id_sharing(self_id, 0, s), addr(n++), 0);
  EXPECT_EQ(t.buckets()[0].nodes.size(), 8u);
  EXPECT_EQ(t.buckets()[0].replacements.size(), 8u);
  expect_well_formed(t);
}

TEST(RoutingTable, RandomNodesLandInTheirBuckets) {
  routing_table t(self_id);
  std::uint64_t s = 2;
  for (std::uint32_t i = 0; i < 5000; ++i) t.on_reply(random_id(s), addr(i), 0);
  expect_well_formed(t);
  EXPECT_GT(t.buckets().size(), 5u);
  EXPECT_LE(t.size(), t.buckets().size() * 8);
}

TEST(RoutingTable, StaysWithin160BucketsOfKNodesAndKReplacements) {
  routing_table t(self_id);
  std::uint64_t s = 3;
  std::uint32_t n = 0;
  for (int round = 0; round < 3; ++round)
    for (int bits = 0; bits < 160; ++bits)
      for (int i = 0; i < 8; ++i) t.on_reply(id_sharing(self_id, bits, s), addr(n++), 0);
  // Only 2^(159-b) ids share exactly b bits with ours, so the last few buckets cannot
  // fill and split: the table stops short of 160.
  EXPECT_GE(t.buckets().size(), 150u);
  EXPECT_LE(t.buckets().size(), 160u);
  EXPECT_LE(t.size(), 160u * 8);
  EXPECT_LE(t.replacement_count(), 160u * 8);
  EXPECT_GT(t.size(), 150u * 8);

  routing_table_config few;
  few.max_buckets = 4;
  routing_table u(self_id, few);
  for (int bits = 0; bits < 160; ++bits)
    for (int i = 0; i < 16; ++i) u.on_reply(id_sharing(self_id, bits, s), addr(n++), 0);
  EXPECT_EQ(u.buckets().size(), 4u);
  EXPECT_EQ(u.size(), 4u * 8);
  EXPECT_EQ(u.replacement_count(), 4u * 8);
  expect_well_formed(u);
  expect_well_formed(t);
}

TEST(RoutingTable, NeverHoldsOurOwnIdOrUnusableAddresses) {
  routing_table t(self_id);
  std::uint64_t s = 4;
  EXPECT_FALSE(t.on_reply(self_id, addr(1), 0));
  EXPECT_FALSE(t.on_reply(random_id(s), addr(2, 0), 0));
  EXPECT_FALSE(t.on_query_from(random_id(s), net::peer_address::v4(0, 6881), 0));
  EXPECT_EQ(t.size(), 0u);
}

TEST(RoutingTable, NodesAreGoodThenQuestionableThenBad) {
  routing_table t(self_id);
  std::uint64_t s = 5;
  const node_id id = random_id(s);
  ASSERT_TRUE(t.on_reply(id, addr(1), 0));
  EXPECT_EQ(t.state(*t.find(id), 899), node_state::good);
  EXPECT_EQ(t.state(*t.find(id), 900), node_state::questionable);  // 15 minutes quiet
  t.on_query_from(id, addr(1), 1000);  // it answered before and queries now: good again
  EXPECT_EQ(t.state(*t.find(id), 1001), node_state::good);
  t.on_timeout(addr(1), 1002);
  EXPECT_EQ(t.state(*t.find(id), 1003), node_state::questionable);
  t.on_timeout(addr(1), 1004);
  EXPECT_EQ(t.state(*t.find(id), 1005), node_state::bad);
  t.on_reply(id, addr(1), 1006);  // failures count in a row: one answer clears them
  EXPECT_EQ(t.state(*t.find(id), 1007), node_state::good);
  EXPECT_EQ(t.find(id)->fail_count, 0);
}

TEST(RoutingTable, ANodeThatOnlyQueriedUsIsQuestionableAndDroppedAtItsFirstTimeout) {
  routing_table t(self_id);
  std::uint64_t s = 6;
  const node_id id = random_id(s);
  ASSERT_TRUE(t.on_query_from(id, addr(1), 0));
  EXPECT_EQ(t.state(*t.find(id), 1), node_state::questionable);
  EXPECT_EQ(t.find(addr(1)), t.find(id));
  t.on_timeout(addr(1), 2);
  EXPECT_EQ(t.find(id), nullptr);
  EXPECT_EQ(t.size(), 0u);
}

// Fills bucket 0 (nodes far from us) with 8 nodes that answered, after a split.
std::vector<node_id> fill_far_bucket(routing_table& t, std::uint64_t& s, double now) {
  std::vector<node_id> ids;
  for (std::uint32_t i = 0; i < 8; ++i) {
    ids.push_back(id_sharing(self_id, 0, s));
    EXPECT_TRUE(t.on_reply(ids.back(), addr(i), now));
  }
  t.on_reply(id_sharing(self_id, 3, s), addr(100), now);  // splits: bucket 0 is no longer last
  EXPECT_GE(t.buckets().size(), 2u);
  return ids;
}

TEST(RoutingTable, ABadNodeGivesWayToANewcomer) {
  routing_table t(self_id);
  std::uint64_t s = 7;
  const auto ids = fill_far_bucket(t, s, 0);
  t.on_timeout(addr(3), 10);
  t.on_timeout(addr(3), 20);  // bad, and no replacement waits: it stays for now
  ASSERT_NE(t.find(ids[3]), nullptr);
  const node_id newcomer = id_sharing(self_id, 0, s);
  EXPECT_TRUE(t.on_reply(newcomer, addr(50), 30));
  EXPECT_EQ(t.find(ids[3]), nullptr);
  ASSERT_NE(t.find(newcomer), nullptr);
  EXPECT_EQ(t.buckets()[0].nodes.size(), 8u);
  EXPECT_TRUE(t.buckets()[0].replacements.empty());
}

TEST(RoutingTable, AFullBucketOfGoodNodesKeepsNewcomersAsReplacements) {
  routing_table t(self_id);
  std::uint64_t s = 8;
  const auto ids = fill_far_bucket(t, s, 0);
  std::vector<node_id> waiting;
  for (std::uint32_t i = 0; i < 12; ++i) {
    waiting.push_back(id_sharing(self_id, 0, s));
    t.on_reply(waiting.back(), addr(200 + i), 1 + i);
  }
  for (const auto& id : ids) EXPECT_NE(t.find(id), nullptr);
  EXPECT_EQ(t.buckets()[0].replacements.size(), 8u);  // the oldest 4 pushed out
  // A node that fails twice makes room for the best replacement: the latest heard from.
  t.on_timeout(addr(5), 100);
  EXPECT_NE(t.find(ids[5]), nullptr);
  t.on_timeout(addr(5), 101);
  EXPECT_EQ(t.find(ids[5]), nullptr);
  EXPECT_NE(t.find(waiting.back()), nullptr);
  EXPECT_EQ(t.buckets()[0].nodes.size(), 8u);
  EXPECT_EQ(t.buckets()[0].replacements.size(), 7u);
  expect_well_formed(t);
}

TEST(RoutingTable, AnIdThatFitsItsAddressPushesOutOneThatDoesNot) {
  // A newcomer whose BEP 42 id matches its public address, landing in the far bucket.
  net::peer_address where{};
  node_id verified{};
  for (std::uint32_t n = 500;; ++n) {
    where = addr(n);
    verified = bep42_id(where, static_cast<std::uint8_t>(n), n);
    if (common_prefix_bits(verified, self_id) == 0) break;
  }
  for (const bool prefer : {true, false}) {
    routing_table_config c;
    c.prefer_verified_ids = prefer;
    routing_table t(self_id, c);
    std::uint64_t s = 9;
    const auto ids = fill_far_bucket(t, s, 0);  // random ids: none fits its address
    EXPECT_TRUE(t.on_reply(verified, where, 50));
    EXPECT_EQ(t.find(verified) != nullptr, prefer);
    EXPECT_EQ(t.buckets()[0].nodes.size(), 8u);
    expect_well_formed(t);
  }
}

TEST(RoutingTable, NodesThatAnsweredArePreferredToNodesThatOnlyQueried) {
  routing_table t(self_id);
  std::uint64_t s = 9;
  std::vector<node_id> ids;
  for (std::uint32_t i = 0; i < 8; ++i) {
    ids.push_back(id_sharing(self_id, 0, s));
    t.on_query_from(ids.back(), addr(i), i);
  }
  t.on_reply(id_sharing(self_id, 3, s), addr(100), 0);
  // A query from another node cannot push anyone out...
  const node_id querier = id_sharing(self_id, 0, s);
  EXPECT_TRUE(t.on_query_from(querier, addr(60), 10));
  EXPECT_EQ(t.find(querier), nullptr);
  // ... but a node that answered takes the place of the least recently seen querier.
  const node_id answerer = id_sharing(self_id, 0, s);
  EXPECT_TRUE(t.on_reply(answerer, addr(61), 11));
  EXPECT_NE(t.find(answerer), nullptr);
  EXPECT_EQ(t.find(ids[0]), nullptr);
  // A replacement that answers moves in the same way.
  EXPECT_TRUE(t.on_reply(querier, addr(60), 12));
  EXPECT_NE(t.find(querier), nullptr);
  EXPECT_EQ(t.find(ids[1]), nullptr);
  expect_well_formed(t);
}

TEST(RoutingTable, QueriesCannotPushTriedNodesOutOfTheReplacementCache) {
  routing_table_config c;
  c.max_replacements = 2;
  routing_table t(self_id, c);
  std::uint64_t s = 10;
  fill_far_bucket(t, s, 0);
  const node_id r1 = id_sharing(self_id, 0, s), r2 = id_sharing(self_id, 0, s);
  t.on_reply(r1, addr(201), 1);
  t.on_reply(r2, addr(202), 2);
  EXPECT_FALSE(t.on_query_from(id_sharing(self_id, 0, s), addr(203), 3));
  EXPECT_EQ(t.replacement_count(), 2u);
}

TEST(RoutingTable, OneNodePerPublicIpButManyOnLoopback) {
  routing_table t(self_id);
  std::uint64_t s = 11;
  const node_id a = random_id(s), b = random_id(s), c = random_id(s);
  ASSERT_TRUE(t.on_reply(a, addr(1, 1000), 0));
  EXPECT_FALSE(t.on_reply(b, addr(1, 2000), 0));       // same IP, other port
  EXPECT_FALSE(t.on_query_from(b, addr(1, 1000), 0));  // same address, new id, by query
  EXPECT_FALSE(t.on_reply(a, addr(2, 1000), 0));       // a known id from another address
  EXPECT_EQ(t.size(), 1u);
  // The node at a known address answers under a new id: it restarted.
  EXPECT_TRUE(t.on_reply(c, addr(1, 1000), 1));
  EXPECT_EQ(t.find(a), nullptr);
  EXPECT_EQ(t.find(addr(1, 1000))->id, c);
  for (std::uint16_t p = 1; p <= 20; ++p) {
    const node_id id = id_sharing(self_id, p, s);  // one per bucket: none is full
    EXPECT_TRUE(t.on_reply(id, loopback(p), 0));
    EXPECT_NE(t.find(id), nullptr);
  }
  EXPECT_EQ(t.size(), 21u);

  routing_table_config open;
  open.one_node_per_ip = false;
  routing_table u(self_id, open);
  EXPECT_TRUE(u.on_reply(a, addr(1, 1000), 0));
  EXPECT_TRUE(u.on_reply(b, addr(1, 2000), 0));
}

TEST(RoutingTable, ClosestGivesGoodNodesFirstEachByDistance) {
  routing_table t(self_id);
  std::uint64_t s = 12;
  std::vector<node_id> old_ids, fresh_ids;
  for (std::uint32_t i = 0; i < 300; ++i) {
    const node_id id = random_id(s);
    const bool old = i % 3 == 0;
    t.on_reply(id, addr(i), old ? 0 : 1000);
    if (t.find(id)) (old ? old_ids : fresh_ids).push_back(id);  // not the replacements
  }
  ASSERT_GT(fresh_ids.size(), 16u);
  ASSERT_GT(old_ids.size(), 4u);
  const node_id target = random_id(s);
  const double now = 1100;  // the old ones are questionable by now
  const auto by_distance = [&](const node_id& x, const node_id& y) { return closer(target, x, y); };
  std::sort(fresh_ids.begin(), fresh_ids.end(), by_distance);
  std::sort(old_ids.begin(), old_ids.end(), by_distance);

  const auto got = t.closest(target, 8, now);
  ASSERT_EQ(got.size(), 8u);
  for (std::size_t i = 0; i < 8; ++i) EXPECT_EQ(got[i].id, fresh_ids[i]) << i;

  const auto all = t.closest(target, 10000, now);
  ASSERT_EQ(all.size(), fresh_ids.size() + old_ids.size());
  for (std::size_t i = 0; i < old_ids.size(); ++i)
    EXPECT_EQ(all[fresh_ids.size() + i].id, old_ids[i]) << i;

  // Bad nodes are never offered.
  t.on_timeout(got[0].address, now);
  t.on_timeout(got[0].address, now);
  for (const auto& c : t.closest(target, 10000, now)) EXPECT_NE(c.id, fresh_ids[0]);
}

TEST(RoutingTable, StaleBucketsGiveARandomTargetInTheirRange) {
  routing_table t(self_id);
  std::uint64_t s = 13;
  for (std::uint32_t i = 0; i < 2000; ++i) t.on_reply(random_id(s), addr(i), 0);
  const std::size_t n = t.buckets().size();
  ASSERT_GT(n, 4u);
  EXPECT_TRUE(t.refresh_targets(899, 1).empty());
  // Bucket 1 sees a reply at 500; the others are stale at 900.
  const node_id in_one = t.buckets()[1].nodes[0].id;
  t.on_reply(in_one, t.buckets()[1].nodes[0].address, 500);
  const auto targets = t.refresh_targets(900, 1);
  ASSERT_EQ(targets.size(), n - 1);
  std::set<std::size_t> covered;
  for (const auto& target : targets) {
    const auto shared = static_cast<std::size_t>(common_prefix_bits(self_id, target));
    covered.insert(std::min(shared, n - 1));
  }
  EXPECT_EQ(covered.size(), n - 1);
  EXPECT_EQ(covered.count(1), 0u);
  EXPECT_TRUE(t.refresh_targets(901, 1).empty());  // refreshed just now
  EXPECT_EQ(t.refresh_targets(1400, 1).size(), 1u);
  // The random part comes from the seed.
  const auto first = t.refresh_targets(5000, 1);
  const auto second = t.refresh_targets(10000, 2);
  ASSERT_EQ(first.size(), n);
  ASSERT_EQ(second.size(), n);
  EXPECT_NE(first[0], second[0]);
}

TEST(RoutingTable, PingsNodesThatAreNotGoodLeastRecentlySeenFirst) {
  routing_table t(self_id);
  std::uint64_t s = 14;
  const node_id a = random_id(s), b = random_id(s), c = random_id(s);
  t.on_reply(a, addr(1), 100);
  t.on_reply(b, addr(2), 0);
  t.on_reply(c, addr(3), 1000);
  const auto due = t.ping_targets(1001, 10);  // a and b have been quiet for 15 minutes
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].id, b);
  EXPECT_EQ(due[1].id, a);
  EXPECT_TRUE(t.ping_targets(1002, 10).empty());  // just pinged
  t.on_timeout(addr(2), 1003);
  EXPECT_EQ(t.ping_targets(1061, 1).size(), 1u);  // at most as many as asked
  EXPECT_EQ(t.ping_targets(1061, 10).size(), 1u);
  t.on_reply(a, addr(1), 1062);
  t.on_query_sent(addr(2), 1100);
  EXPECT_TRUE(t.ping_targets(1130, 10).empty());
}

TEST(RoutingTable, SavesAndLoadsItsIdAndTheNodesThatAnswered) {
  routing_table t(self_id);
  std::uint64_t s = 15;
  for (std::uint32_t i = 0; i < 40; ++i)
    t.on_reply(random_id(s), addr(i, static_cast<std::uint16_t>(1000 + i)), 0);
  const node_id v6_id = id_sharing(self_id, 8, s);  // near us: a bucket with room
  const auto v6 = *net::peer_address::parse("[2001:db8::7]:6881");
  const node_id querier = id_sharing(self_id, 7, s);
  ASSERT_TRUE(t.on_query_from(querier, addr(500), 0));  // never answered: not saved
  ASSERT_TRUE(t.on_reply(v6_id, v6, 0));
  // A bad node in a bucket with no replacement stays in the table, but is not saved.
  const node_id failing = id_sharing(self_id, 6, s);
  ASSERT_TRUE(t.on_reply(failing, addr(501), 0));
  t.on_timeout(addr(501), 1);
  t.on_timeout(addr(501), 2);
  ASSERT_NE(t.find(failing), nullptr);
  ASSERT_NE(t.find(querier), nullptr);
  ASSERT_NE(t.find(v6_id), nullptr);

  std::set<std::pair<node_id, net::peer_address>> answered;
  for (const auto& bk : t.buckets())
    for (const auto& e : bk.nodes)
      if (e.id != querier && e.id != failing) answered.insert({e.id, e.address});
  ASSERT_TRUE(answered.count({v6_id, v6}));
  ASSERT_GT(answered.size(), 20u);

  const auto loaded = routing_table::load(t.save());
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->self, self_id);
  std::set<std::pair<node_id, net::peer_address>> got;
  for (const auto& c : loaded->nodes) got.insert({c.id, c.address});
  EXPECT_EQ(got, answered);

  routing_table again(loaded->self);
  for (const auto& c : loaded->nodes) EXPECT_TRUE(again.add_known(c.id, c.address));
  EXPECT_EQ(again.size(), answered.size());
  EXPECT_EQ(again.state(*again.find(v6_id), 0), node_state::questionable);
  EXPECT_EQ(again.ping_targets(0, 1000).size(), answered.size());
  EXPECT_EQ(routing_table::load(again.save())->nodes.size(), answered.size());
}

TEST(RoutingTable, LoadRejectsGarbage) {
  const std::string id(20, 'i');
  const std::string node(26, 'n');
  EXPECT_TRUE(routing_table::load("d2:id20:" + id + "e"));
  EXPECT_TRUE(routing_table::load("d2:id20:" + id + "5:nodes26:" + node + "e"));
  for (const std::string& bad : {
           std::string(), std::string("garbage"), std::string("le"), std::string("i5e"),
           std::string("de"), "d2:id19:" + id.substr(1) + "e",
           "d2:id20:" + id + "5:nodes25:" + node.substr(1) + "e", "d2:id20:" + id + "5:nodesi5ee",
           "d2:id20:" + id + "6:nodes637:" + std::string(37, 'x') + "e",
           "d2:id20:" + id + "5:nodes26:" + node,        // truncated
           "d5:nodes26:" + node + "2:id20:" + id + "e",  // unsorted keys
       })
    EXPECT_FALSE(routing_table::load(bad)) << bad;

  // Every prefix and many corruptions of a real save: never a crash.
  routing_table t(self_id);
  std::uint64_t s = 16;
  for (std::uint32_t i = 0; i < 30; ++i) t.on_reply(random_id(s), addr(i), 0);
  const std::string saved = t.save();
  for (std::size_t n = 0; n < saved.size(); ++n)
    EXPECT_FALSE(routing_table::load(saved.substr(0, n)));
  for (int i = 0; i < 2000; ++i) {
    std::string x = saved;
    x[next(s) % x.size()] = static_cast<char>(next(s));
    if (const auto got = routing_table::load(x)) {
      EXPECT_LE(got->nodes.size(), 30u);
    }
  }
  // Nodes with our id or a port of 0 are skipped.
  std::string zero_port(26, 'n');
  zero_port[24] = zero_port[25] = 0;
  const auto skipped =
      routing_table::load("d2:id20:" + id + "5:nodes52:" + id + node.substr(20) + zero_port + "e");
  ASSERT_TRUE(skipped);
  EXPECT_TRUE(skipped->nodes.empty());
}

}  // namespace
}  // namespace corrent::dht
