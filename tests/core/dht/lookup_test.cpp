#include "core/dht/lookup.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <deque>
#include <map>
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

net::peer_address addr(std::uint32_t n, std::uint16_t port = 6881) {
  return net::peer_address::v4(0x5a000000 + n, port);  // 90.x.x.x: public
}

// A simulated DHT: every node knows up to 8 others per bucket of its own table (the
// nodes sharing each prefix length with it), and answers a lookup with the 8 it knows
// closest to the target. Nodes that are not alive never answer.
struct network {
  struct node {
    node_contact contact;
    std::vector<std::size_t> known;
    bool alive = true;
  };
  std::vector<node> nodes;
  std::map<net::peer_address, std::size_t> by_address;

  network(std::size_t n, std::uint64_t seed) {
    for (std::size_t i = 0; i < n; ++i) {
      nodes.push_back({{random_id(seed), addr(static_cast<std::uint32_t>(i))}, {}, true});
      by_address[nodes.back().contact.address] = i;
    }
    for (std::size_t i = 0; i < n; ++i) {
      std::array<int, 161> per_bucket{};
      const std::size_t offset = next(seed) % n;  // not everyone knows the same nodes
      for (std::size_t j = 0; j < n; ++j) {
        const std::size_t other = (offset + j) % n;
        if (other == i) continue;
        const int b = common_prefix_bits(nodes[i].contact.id, nodes[other].contact.id);
        if (per_bucket[b]++ < 8) nodes[i].known.push_back(other);
      }
    }
  }

  std::vector<node_contact> answer(std::size_t i, const node_id& target) const {
    std::vector<std::size_t> known = nodes[i].known;
    const std::size_t n = std::min<std::size_t>(8, known.size());
    std::partial_sort(known.begin(), known.begin() + static_cast<std::ptrdiff_t>(n), known.end(),
                      [&](std::size_t a, std::size_t b) {
                        return closer(target, nodes[a].contact.id, nodes[b].contact.id);
                      });
    std::vector<node_contact> out;
    for (std::size_t j = 0; j < n; ++j) out.push_back(nodes[known[j]].contact);
    return out;
  }

  std::vector<node_id> truly_closest(const node_id& target, std::size_t k) const {
    std::vector<node_id> ids;
    for (const auto& n : nodes)
      if (n.alive) ids.push_back(n.contact.id);
    std::sort(ids.begin(), ids.end(),
              [&](const node_id& a, const node_id& b) { return closer(target, a, b); });
    ids.resize(std::min(k, ids.size()));
    return ids;
  }

  std::vector<node_contact> start_nodes(std::uint64_t& seed, std::size_t count) const {
    std::vector<node_contact> out;
    for (std::size_t i = 0; i < count; ++i) out.push_back(nodes[next(seed) % nodes.size()].contact);
    return out;
  }
};

std::vector<node_id> ids_of(const std::vector<node_contact>& v) {
  std::vector<node_id> out;
  for (const auto& c : v) out.push_back(c.id);
  return out;
}

struct run_stats {
  std::vector<node_contact> offered;  // every node a reply named
  std::size_t most_in_flight = 0;
  double finished_at = 0;
  std::set<net::peer_address> failed;
};

// Drives a lookup over the network: queries are answered one at a time, 0.1 s apart, in
// the order they were sent; `peers_for` gives what a get_peers reply carries.
template <class PeersFor>
run_stats run(lookup& lk, const network& net, PeersFor peers_for, double now = 0) {
  run_stats stats;
  lk.start(now);
  std::deque<net::peer_address> pending;
  while (!lk.done() && now < 1000) {
    for (const auto& q : lk.next_queries(now)) pending.push_back(q.address);
    stats.most_in_flight = std::max(stats.most_in_flight, lk.in_flight());
    for (const auto& a : lk.take_failed()) stats.failed.insert(a);
    if (pending.empty()) {
      now += 1;  // waiting for timeouts
      continue;
    }
    const net::peer_address to = pending.front();
    pending.pop_front();
    now += 0.1;
    const auto& node = net.nodes[net.by_address.at(to)];
    if (!node.alive) continue;
    const auto nodes = net.answer(net.by_address.at(to), lk.target());
    stats.offered.insert(stats.offered.end(), nodes.begin(), nodes.end());
    const std::vector<net::peer_address> peers = peers_for(net.by_address.at(to));
    const std::string token = "token" + std::to_string(net.by_address.at(to));
    EXPECT_TRUE(lk.on_reply(to, node.contact.id, nodes, peers, token, now));
  }
  for (const auto& a : lk.take_failed()) stats.failed.insert(a);
  stats.finished_at = now;
  return stats;
}

// No live node that a reply named is closer than the farthest of the k found: the lookup
// asked everyone it heard of that could matter.
void expect_nothing_closer_missed(const lookup& lk, const network& net, const run_stats& stats) {
  const auto found = lk.closest_replied();
  ASSERT_EQ(found.size(), 8u);
  for (const auto& c : stats.offered) {
    if (!net.nodes[net.by_address.at(c.address)].alive) continue;
    if (closer(lk.target(), c.id, found.back().id)) {
      EXPECT_NE(std::find(found.begin(), found.end(), c), found.end()) << c.id.hex();
    }
  }
}

std::vector<net::peer_address> no_peers(std::size_t) {
  return {};
}

TEST(Lookup, ConvergesOnTheClosestNodesOfAThousandNodeNetwork) {
  const network net(1000, 1);
  std::uint64_t s = 2;
  for (int i = 0; i < 10; ++i) {
    const node_id target = random_id(s);
    lookup lk(target, lookup_kind::find_node, net.start_nodes(s, 3));
    const run_stats stats = run(lk, net, no_peers);
    ASSERT_TRUE(lk.done());
    EXPECT_EQ(ids_of(lk.closest_replied()), net.truly_closest(target, 8)) << "target " << i;
    expect_nothing_closer_missed(lk, net, stats);
    EXPECT_LE(stats.most_in_flight, 3u);
    EXPECT_LT(lk.queries_sent(), 60u);  // a few rounds, not a crawl of the network
    EXPECT_TRUE(stats.failed.empty());
  }
}

TEST(Lookup, GetPeersGathersPeersAndTheClosestNodesTokens) {
  const network net(1000, 3);
  std::uint64_t s = 4;
  const node_id target = random_id(s);
  const auto holders = net.truly_closest(target, 8);
  // The nodes closest to the info-hash hold its peers: each sends the same 3 and one of
  // its own.
  const auto peers_for = [&](std::size_t i) {
    std::vector<net::peer_address> out;
    if (std::find(holders.begin(), holders.end(), net.nodes[i].contact.id) == holders.end())
      return out;
    for (std::uint32_t p = 0; p < 3; ++p) out.push_back(addr(100000 + p, 6000));
    out.push_back(addr(200000 + static_cast<std::uint32_t>(i), 6000));
    out.push_back(addr(1, 0));  // unusable: dropped
    return out;
  };
  lookup lk(target, lookup_kind::get_peers, net.start_nodes(s, 3));
  run(lk, net, peers_for);
  ASSERT_TRUE(lk.done());
  EXPECT_EQ(lk.peers().size(), 3u + 8u);
  EXPECT_EQ(std::set<net::peer_address>(lk.peers().begin(), lk.peers().end()).size(), 11u);
  const auto with_tokens = lk.closest_with_tokens();
  ASSERT_EQ(with_tokens.size(), 8u);
  for (std::size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(with_tokens[i].node.id, holders[i]);
    EXPECT_EQ(with_tokens[i].token,
              "token" + std::to_string(net.by_address.at(with_tokens[i].node.address)));
  }
}

TEST(Lookup, KeepsAtMostAlphaQueriesInFlight) {
  std::uint64_t s = 5;
  std::vector<node_contact> start;
  for (std::uint32_t i = 0; i < 20; ++i) start.push_back({random_id(s), addr(i)});
  lookup lk(random_id(s), lookup_kind::find_node, start);
  EXPECT_TRUE(lk.next_queries(0).empty());  // not started
  lk.start(0);
  const auto first = lk.next_queries(0);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_TRUE(lk.next_queries(0.5).empty());
  EXPECT_EQ(lk.in_flight(), 3u);
  ASSERT_TRUE(lk.on_reply(first[1].address, first[1].id, {}, {}, {}, 0.6));
  const auto second = lk.next_queries(0.6);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(lk.in_flight(), 3u);
  // The closest come first.
  for (const auto& q : first) EXPECT_TRUE(closer(lk.target(), q.id, second[0].id));
  // A second later the two left unanswered are slow: their slots go to others, and their
  // replies still count.
  const auto third = lk.next_queries(1.0);
  EXPECT_EQ(third.size(), 2u);
  EXPECT_EQ(lk.in_flight(), 5u);
  EXPECT_TRUE(lk.on_reply(first[0].address, first[0].id, {}, {}, {}, 1.5));
}

TEST(Lookup, ATimedOutQueryFreesItsSlotAndTheNodeIsFailed) {
  std::uint64_t s = 6;
  std::vector<node_contact> start;
  for (std::uint32_t i = 0; i < 5; ++i) start.push_back({random_id(s), addr(i)});
  lookup_config c;
  c.slow_after_s = c.query_timeout_s;  // no early slots: see KeepsAtMostAlphaQueriesInFlight
  lookup lk(random_id(s), lookup_kind::find_node, start, c);
  lk.start(0);
  const auto first = lk.next_queries(0);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_TRUE(lk.next_queries(2.9).empty());
  const auto second = lk.next_queries(3);  // the first three timed out
  EXPECT_EQ(second.size(), 2u);
  const auto failed = lk.take_failed();
  EXPECT_EQ(failed.size(), 3u);
  EXPECT_TRUE(lk.take_failed().empty());
  EXPECT_FALSE(lk.on_reply(first[0].address, first[0].id, {}, {}, {}, 3.5));  // too late
  lk.on_timeout(second[0].address, 4);  // the transport gave up on one
  EXPECT_EQ(lk.in_flight(), 1u);
  EXPECT_FALSE(lk.done());
  lk.tick(6);
  EXPECT_TRUE(lk.done());  // everyone failed: nothing left to ask
  EXPECT_EQ(lk.take_failed().size(), 2u);
  EXPECT_TRUE(lk.closest_replied().empty());
}

TEST(Lookup, FindsTheClosestLiveNodesWhenManyNeverAnswer) {
  network net(1000, 7);
  std::uint64_t s = 8;
  for (auto& n : net.nodes) n.alive = next(s) % 4 != 0;  // a quarter never answer
  std::size_t found = 0, failed = 0;
  for (int i = 0; i < 20; ++i) {
    const node_id target = random_id(s);
    std::vector<node_contact> start;
    for (std::size_t j = 0; start.size() < 3; ++j)
      if (net.nodes[j + 10 * i].alive) start.push_back(net.nodes[j + 10 * i].contact);
    lookup lk(target, lookup_kind::find_node, start);
    const run_stats stats = run(lk, net, no_peers);
    ASSERT_TRUE(lk.done());
    EXPECT_LT(stats.finished_at, 30);
    expect_nothing_closer_missed(lk, net, stats);
    for (const auto& a : stats.failed) EXPECT_FALSE(net.nodes[net.by_address.at(a)].alive);
    failed += stats.failed.size();
    const auto truth = net.truly_closest(target, 8);
    for (const auto& id : ids_of(lk.closest_replied()))
      found += std::count(truth.begin(), truth.end(), id);
  }
  // Everyone's tables still hold the dead nodes, so now and then no live node names one
  // of the closest live ones; nearly all are found all the same.
  EXPECT_GE(found, 20u * 8 * 9 / 10);
  EXPECT_GT(failed, 20u);
}

TEST(Lookup, ANodeNamingManyDeadNodesNextToTheTargetCannotHoldItBack) {
  // An eclipse: the first reply comes from a node that names 60 made-up ids right next to
  // the target, all at dead addresses; the honest network answers a little later.
  std::uint64_t s = 12;
  network net(300, s);
  const node_id target = random_id(s);
  const auto honest_closest = net.truly_closest(target, 1)[0];
  const net::peer_address liar = addr(100000);
  std::vector<node_contact> fakes;
  for (std::uint32_t i = 0; i < 60; ++i) {
    node_id id = target;
    id.bytes[19] = static_cast<std::uint8_t>(i + 1);  // closer than anyone real
    fakes.push_back({id, addr(200000 + i)});
  }
  std::vector<node_contact> start = net.start_nodes(s, 4);
  lookup lk(target, lookup_kind::get_peers, start);
  lk.add_bootstrap(liar);
  lk.start(0);
  double now = 0;
  double found_at = -1;
  std::deque<std::pair<double, net::peer_address>> replies;  // when each answer comes
  while (!lk.done() && now < 40) {
    for (const auto& q : lk.next_queries(now)) {
      if (q.address == liar) {
        replies.push_back({now + 0.01, q.address});
      } else if (net.by_address.contains(q.address)) {
        replies.push_back({now + 0.3, q.address});
      }  // the fakes never answer
    }
    std::sort(replies.begin(), replies.end());
    while (!replies.empty() && replies.front().first <= now) {
      const auto to = replies.front().second;
      replies.pop_front();
      if (to == liar) {
        lk.on_reply(to, random_id(s), fakes, {}, "t", now);
        continue;
      }
      const auto i = net.by_address.at(to);
      std::vector<net::peer_address> peers;
      if (net.nodes[i].contact.id == honest_closest) peers.push_back(addr(999999, 7000));
      lk.on_reply(to, net.nodes[i].contact.id, net.answer(i, target), peers, "t", now);
    }
    if (found_at < 0 && !lk.peers().empty()) found_at = now;
    now += 0.05;
  }
  ASSERT_GE(found_at, 0);
  EXPECT_LT(found_at, 5.0);  // the honest path went on beside the fakes
  EXPECT_TRUE(lk.done());
  EXPECT_LT(now, 15.0);  // the fakes it took (16 at most) failed fast
  EXPECT_LE(lk.candidate_count(), 100u);
}

TEST(Lookup, EndsAtItsTimeBound) {
  lookup_config c;
  c.query_timeout_s = 1000;  // nobody answers, and nobody times out
  std::uint64_t s = 9;
  lookup lk(random_id(s), lookup_kind::find_node, {{random_id(s), addr(1)}}, c);
  lk.start(100);
  EXPECT_EQ(lk.next_queries(100).size(), 1u);
  lk.tick(129.9);
  EXPECT_FALSE(lk.done());
  EXPECT_TRUE(lk.next_queries(130).empty());
  EXPECT_TRUE(lk.done());
  EXPECT_FALSE(lk.on_reply(addr(1), lk.target(), {}, {}, {}, 131));
}

TEST(Lookup, StopsAfterMaxQueriesEvenIfEveryReplyPointsCloser) {
  std::uint64_t s = 10;
  const node_id target = random_id(s);
  // A hostile network: each reply names 8 new nodes that share one more bit with the
  // target, so there is always someone closer to ask.
  std::uint32_t next_addr = 0;
  std::map<net::peer_address, node_id> ids;
  const auto fresh_nodes = [&](int shared_bits) {
    std::vector<node_contact> out;
    for (int i = 0; i < 8; ++i) {
      node_id id = random_id(s);
      for (int b = 0; b < shared_bits; ++b) {
        const auto mask = static_cast<std::uint8_t>(0x80u >> (b % 8));
        id.bytes[b / 8] = (id.bytes[b / 8] & ~mask) | (target.bytes[b / 8] & mask);
      }
      out.push_back({id, addr(next_addr++)});
      ids[out.back().address] = id;
    }
    return out;
  };
  lookup lk(target, lookup_kind::find_node, fresh_nodes(0));
  lk.start(0);
  double now = 0;
  int round = 0;
  while (!lk.done() && now < 1000) {
    const auto qs = lk.next_queries(now);
    EXPECT_LE(lk.candidate_count(), 100u);
    for (const auto& q : qs) {
      const auto more = fresh_nodes(++round * 3 / 4);
      lk.on_reply(q.address, q.id, more, {}, {}, now);
    }
    now += 0.01;
  }
  EXPECT_TRUE(lk.done());
  EXPECT_EQ(lk.queries_sent(), 200u);
  EXPECT_LE(lk.candidate_count(), 100u);
}

TEST(Lookup, IgnoresRepliesItDidNotAskFor) {
  std::uint64_t s = 11;
  std::vector<node_contact> start;
  for (std::uint32_t i = 0; i < 5; ++i) start.push_back({random_id(s), addr(i)});
  lookup lk(random_id(s), lookup_kind::get_peers, start);
  lk.start(0);
  const auto asked = lk.next_queries(0);
  ASSERT_EQ(asked.size(), 3u);
  std::set<net::peer_address> asked_addresses;
  for (const auto& q : asked) asked_addresses.insert(q.address);
  const node_contact unasked =
      *std::find_if(start.begin(), start.end(),
                    [&](const node_contact& c) { return !asked_addresses.count(c.address); });
  const std::vector<node_contact> offered{{random_id(s), addr(50)}, {random_id(s), addr(51)}};
  const std::vector<net::peer_address> peers{addr(60, 6000)};

  EXPECT_FALSE(lk.on_reply(addr(99), random_id(s), offered, peers, "t", 1));       // a stranger
  EXPECT_FALSE(lk.on_reply(unasked.address, unasked.id, offered, peers, "t", 1));  // not asked
  EXPECT_EQ(lk.candidate_count(), 5u);
  EXPECT_TRUE(lk.peers().empty());

  EXPECT_TRUE(lk.on_reply(asked[0].address, asked[0].id, offered, peers, "t", 1));
  EXPECT_EQ(lk.candidate_count(), 7u);
  EXPECT_FALSE(lk.on_reply(asked[0].address, asked[0].id, {}, {}, "t", 1));  // twice
  // Under another id than the one we were told: not the node we asked; it fails.
  EXPECT_FALSE(lk.on_reply(asked[1].address, random_id(s), offered, peers, "t", 1));
  EXPECT_EQ(lk.take_failed(), std::vector<net::peer_address>{asked[1].address});
  EXPECT_EQ(lk.peers().size(), 1u);
  EXPECT_EQ(lk.closest_with_tokens().size(), 1u);
}

TEST(Lookup, TakesOnlyTheFirstNodesOfAReply) {
  std::uint64_t s = 14;
  lookup lk(random_id(s), lookup_kind::find_node, {{random_id(s), addr(1)}});
  lk.start(0);
  const auto q = lk.next_queries(0);
  std::vector<node_contact> many;
  for (std::uint32_t i = 0; i < 50; ++i) many.push_back({random_id(s), addr(10 + i)});
  ASSERT_TRUE(lk.on_reply(q[0].address, q[0].id, many, {}, {}, 0));
  EXPECT_EQ(lk.candidate_count(), 1u + 16u);
}

TEST(Lookup, StaysBoundedWhatEverRepliesCarry) {
  std::uint64_t s = 12;
  lookup_config c;
  c.max_nodes_per_reply = 100000;  // the candidate bound itself
  lookup lk(random_id(s), lookup_kind::get_peers, {{random_id(s), addr(1)}}, c);
  lk.start(0);
  const auto q = lk.next_queries(0);
  ASSERT_EQ(q.size(), 1u);
  std::vector<node_contact> many_nodes;
  for (std::uint32_t i = 0; i < 1000; ++i) many_nodes.push_back({random_id(s), addr(10 + i)});
  std::vector<net::peer_address> many_peers;
  for (std::uint32_t i = 0; i < 5000; ++i) many_peers.push_back(addr(i, 7000));
  many_peers.push_back(many_peers.front());
  ASSERT_TRUE(lk.on_reply(q[0].address, q[0].id, many_nodes, many_peers, std::string(65, 't'),
                          0));  // a token too long counts as none
  EXPECT_EQ(lk.candidate_count(), 100u);
  EXPECT_EQ(lk.peers().size(), 1000u);
  EXPECT_TRUE(lk.closest_with_tokens().empty());
  // The candidates kept are the closest of those offered.
  std::sort(many_nodes.begin(), many_nodes.end(),
            [&](const auto& a, const auto& b) { return closer(lk.target(), a.id, b.id); });
  const auto next = lk.next_queries(0);
  ASSERT_EQ(next.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(next[i].id, many_nodes[i].id);
}

TEST(Lookup, TakesOneNodePerPublicIp) {
  std::uint64_t s = 13;
  std::vector<node_contact> start;
  for (std::uint16_t p = 1; p <= 10; ++p) start.push_back({random_id(s), addr(1, p)});
  for (std::uint16_t p = 1; p <= 10; ++p)
    start.push_back({random_id(s), net::peer_address::v4(0x7f000001, p)});
  start.push_back(start.front());  // the same node twice
  lookup lk(random_id(s), lookup_kind::find_node, start);
  EXPECT_EQ(lk.candidate_count(), 11u);
}

TEST(Lookup, StartsFromABootstrapNodeWhoseIdItDoesNotKnow) {
  const network net(1000, 14);
  std::uint64_t s = 15;
  const node_id target = random_id(s);
  lookup lk(target, lookup_kind::find_node, {});
  const auto router = net.nodes[17].contact;
  lk.add_bootstrap(router.address);
  lk.start(0);
  const auto q = lk.next_queries(0);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].address, router.address);
  ASSERT_TRUE(lk.on_reply(router.address, router.id, net.answer(17, target), {}, {}, 0.1));
  run(lk, net, no_peers, 0.1);
  EXPECT_TRUE(lk.done());
  EXPECT_EQ(ids_of(lk.closest_replied()), net.truly_closest(target, 8));
}

TEST(Lookup, WithNothingToAskItIsDoneAtOnce) {
  std::uint64_t s = 16;
  lookup lk(random_id(s), lookup_kind::find_node, {});
  EXPECT_FALSE(lk.done());
  lk.start(0);
  EXPECT_TRUE(lk.done());
  EXPECT_TRUE(lk.next_queries(0).empty());
}

}  // namespace
}  // namespace corrent::dht
