// dht::lookup — one iterative Kademlia lookup (BEP 5 find_node or get_peers) toward a
// target, as a state machine: the caller sends the queries next_queries() names and feeds
// back what happened (on_reply, on_timeout, tick); the lookup never touches a socket.
//
// It keeps candidates sorted by distance to the target (at most max_candidates, 100; the
// farthest not in flight makes room for a closer one), with no id, address or (outside
// local networks, BEP 42) IP twice, so one host cannot steer it with many ids. It queries
// the closest candidates not yet asked, at most alpha (3) at a time, and only among the k
// (8) closest that have not failed (the window). Against a node that answers with many
// made-up ids next to the target (dead addresses, an eclipse): a reply gives at most
// max_nodes_per_reply (16) nodes, queries go first to a window where at most
// max_per_referrer (3) come from one node's replies and others' fill the rest, and a query
// unanswered for slow_after_s (1 s) frees its slot and leaves the window (its reply still counts
// until the timeout). It is done when those k have all answered and nothing is in flight, when
// max_queries (200) have been sent and answered or timed out, or total_timeout_s (30 s) after
// start(). A query unanswered after query_timeout_s (3 s) fails: its slot frees and the node is out
// of the lookup; take_failed() hands such addresses to the routing table. A reply counts only from
// an address with a query in flight, and only under the id we were told (a node whose id we did not
// know, a bootstrap router, takes the id it answers with). Peers from get_peers replies are
// gathered without duplicates, at most max_peers (1000); closest_with_tokens() names
// where announce_peer goes. Pure: time is passed in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/dht/node_id.hpp"
#include "core/dht/routing_table.hpp"
#include "core/net/peer_address.hpp"

namespace corrent::dht {

enum class lookup_kind : std::uint8_t { find_node, get_peers };

struct lookup_config {
  std::size_t k = 8;
  std::size_t alpha = 3;
  std::size_t max_candidates = 100;
  std::size_t max_queries = 200;
  std::size_t max_peers = 1000;
  std::size_t max_token_size = 64;  // a longer token counts as none
  double query_timeout_s = 3;
  double slow_after_s = 1;  // a query unanswered this long no longer holds its slot
  double total_timeout_s = 30;
  std::size_t max_nodes_per_reply = 16;  // the first ones of a reply (BEP 5: k per family)
  std::size_t max_per_referrer = 3;      // of the k closest, named by one node (see window())
  bool one_node_per_ip = true;           // outside local networks
};

class lookup {
 public:
  struct token_holder {
    node_contact node;
    std::string token;
  };

  // `start`: the closest nodes we know (routing_table::closest()).
  lookup(const node_id& target, lookup_kind kind, const std::vector<node_contact>& start,
         lookup_config config = {});

  // A node whose id we do not know (a bootstrap router): asked first. Before start().
  void add_bootstrap(const net::peer_address& address);
  void start(double now);

  // Nodes to query now (each counts as in flight from now); empty when done or waiting.
  // Expires overdue queries first, as tick() does.
  std::vector<node_contact> next_queries(double now);
  // A reply from `from` with the responder's id, the nodes and (get_peers) peers it sent
  // and its token. False, and nothing is taken, unless a query to `from` is in flight and
  // `id` is the one we asked; a reply under another id fails the node.
  bool on_reply(const net::peer_address& from, const node_id& id,
                std::span<const node_contact> nodes, std::span<const net::peer_address> peers,
                std::string_view token, double now);
  // The query to `from` failed (the transport's own timeout, an error reply).
  void on_timeout(const net::peer_address& from, double now);
  // Fails queries in flight for query_timeout_s; ends the lookup at its time bound.
  void tick(double now);
  // The addresses whose queries failed since the last call.
  std::vector<net::peer_address> take_failed();

  bool done() const { return done_; }
  const node_id& target() const { return target_; }
  lookup_kind kind() const { return kind_; }
  const std::vector<net::peer_address>& peers() const { return peers_; }
  // Up to k of the closest nodes that answered.
  std::vector<node_contact> closest_replied() const;
  // Up to k of the closest nodes that answered with a token: where announce_peer goes.
  std::vector<token_holder> closest_with_tokens() const;

  std::size_t queries_sent() const { return queries_sent_; }
  std::size_t in_flight() const { return in_flight_; }
  std::size_t candidate_count() const { return candidates_.size(); }

 private:
  enum class status : std::uint8_t { fresh, in_flight, replied, failed };
  struct candidate {
    node_contact node;
    node_id distance;      // to the target; zero while the id is unknown
    bool id_known = true;  // false: a bootstrap node, sorted first
    status state = status::fresh;
    double sent_at = 0;
    std::string token;
    bool has_referrer = false;  // named by a reply (not a start or bootstrap node)
    net::peer_address referrer;
  };
  static bool before(const candidate& a, const candidate& b);
  void add(const node_contact& c, bool id_known, const net::peer_address* referrer = nullptr);
  bool slow(const candidate& c, double now) const {
    return c.state == status::in_flight && now - c.sent_at >= config_.slow_after_s;
  }
  // Indexes of the k closest candidates that have not failed and are not slow. `capped`:
  // at most max_per_referrer of them named by one node, then topped up with the closest of
  // the rest when that leaves fewer than k (a lookup fed by one node still has k). Queries
  // go to the capped window first, then to the plain one; the lookup is done when the
  // plain one has all answered (so the cap orders the work, and never skips a node).
  std::vector<std::size_t> window(double now, bool capped) const;
  void place(candidate c);
  void fail(candidate& c);
  void update_done(double now);

  node_id target_;
  lookup_kind kind_;
  lookup_config config_;
  std::vector<candidate> candidates_;  // sorted: unknown ids first, then by distance
  std::vector<net::peer_address> peers_;
  std::set<net::peer_address> peer_set_;
  std::vector<net::peer_address> failed_;
  std::size_t queries_sent_ = 0;
  std::size_t in_flight_ = 0;
  double started_at_ = 0;
  bool started_ = false;
  bool done_ = false;
};

}  // namespace corrent::dht
