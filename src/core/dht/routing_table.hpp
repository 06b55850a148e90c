// dht::routing_table — the Kademlia routing table around our own node id (BEP 5): the
// nodes we keep to answer find_node/get_peers and to start lookups from.
//
// Buckets, libtorrent-style: bucket i < last holds the nodes whose ids share exactly i
// leading bits with ours, and the last bucket holds every node sharing more. Each bucket
// keeps up to k (8) nodes; when the last bucket is full and a node for it arrives, it
// splits (the nodes sharing one bit more move to a new last bucket), so the table is
// detailed near our id and coarse far from it. At most max_buckets (160) buckets, each
// with k nodes and max_replacements (8) candidates: the table's size is bounded.
//
// A node is good when it has answered one of our queries and has been heard from (a
// reply, or a query of its own) within good_for_s (15 minutes) without failing since;
// bad when it failed to answer bad_after_failures (2) queries in a row; questionable
// otherwise. In a full bucket a bad node gives way to a newcomer, and a node that never
// answered us (one that only sent queries) to a newcomer that did; otherwise the
// newcomer waits in the bucket's replacement cache, and takes the first place that frees
// up. With prefer_verified_ids, a newcomer whose id fits its public address (BEP 42) also
// takes the place of the worst node whose id does not. ping_targets() names the questionable and
// bad nodes to ping, so that places do free up. A node that never answered is dropped at its first
// timeout; a bad one when a replacement is waiting, or after forget_after_failures (5) failures.
//
// An address appears at most once, and with one_node_per_ip an IP too, except on local
// networks (BEP 42's exempt blocks, loopback included): one host cannot fill a bucket
// under many ids. An id that is in the table under another address is not moved by a
// newcomer claiming it; a reply from a known address under a new id (the node restarted)
// replaces the old entry, while a query cannot (its source address can be forged).
//
// A bucket that saw no change (a node added or replaced, or replying) for stale_after_s
// (15 minutes) is stale: refresh_targets() returns a random id in its range to look up.
// save()/load() keep our id and the nodes that answered us across runs.
// Pure: time and randomness are passed in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dht/node_id.hpp"
#include "core/net/peer_address.hpp"

namespace corrent::dht {

struct routing_table_config {
  std::size_t bucket_size = 8;  // k
  std::size_t max_replacements = 8;
  std::size_t max_buckets = 160;
  double good_for_s = 15 * 60;
  double stale_after_s = 15 * 60;
  double ping_interval_s = 60;  // the least time between two pings of one node
  int bad_after_failures = 2;
  int forget_after_failures = 5;
  bool one_node_per_ip = true;      // outside local networks
  bool prefer_verified_ids = true;  // BEP 42: see insert()
};

enum class node_state : std::uint8_t { good, questionable, bad };

struct node_entry {
  static constexpr double never = -std::numeric_limits<double>::infinity();
  node_id id;
  net::peer_address address;
  double last_seen = never;        // its latest reply or query
  double last_query_sent = never;  // our latest query to it
  int fail_count = 0;              // queries in a row it did not answer
  bool replied = false;            // it has answered us at least once
};

class routing_table {
 public:
  struct bucket {
    std::vector<node_entry> nodes;         // at most bucket_size
    std::vector<node_entry> replacements;  // at most max_replacements
    double last_active = node_entry::never;
  };
  struct saved {
    node_id self;
    std::vector<node_contact> nodes;
  };

  explicit routing_table(const node_id& self, routing_table_config config = {});
  const node_id& self() const { return self_; }
  const routing_table_config& config() const { return config_; }

  // A node answered one of our queries. False when it was not taken (our own id, an
  // unusable address, its id or IP already held elsewhere, its bucket full of better
  // nodes).
  bool on_reply(const node_id& id, const net::peer_address& from, double now);
  // A node sent us a query: it may enter, as questionable until it answers one of ours.
  bool on_query_from(const node_id& id, const net::peer_address& from, double now);
  // A node that answered us in an earlier run (from load()): questionable until it
  // answers again.
  bool add_known(const node_id& id, const net::peer_address& address);
  // Our query to `address` went unanswered.
  void on_timeout(const net::peer_address& address, double now);
  // We sent a query to `address` (a lookup's, say): ping_targets() leaves it alone a while.
  void on_query_sent(const net::peer_address& address, double now);

  // Up to n nodes closest to target: the good ones first (closest first), then the
  // questionable ones; never bad ones.
  std::vector<node_contact> closest(const node_id& target, std::size_t n, double now) const;
  // Up to `max` nodes to ping: those not good, least recently seen first, not queried for
  // ping_interval_s. They count as queried now.
  std::vector<node_contact> ping_targets(double now, std::size_t max);
  // A random id (drawn from `seed`) in the range of each stale bucket, to look up; those
  // buckets count as refreshed now.
  std::vector<node_id> refresh_targets(double now, std::uint64_t seed);

  node_state state(const node_entry& e, double now) const;
  // The node with this id or address among the buckets' nodes (not the replacements).
  const node_entry* find(const node_id& id) const;
  const node_entry* find(const net::peer_address& address) const;
  std::size_t size() const;  // nodes, not counting replacements
  std::size_t replacement_count() const;
  const std::vector<bucket>& buckets() const { return buckets_; }

  // Our id and the nodes that answered us and are not bad, bencoded:
  // d2:id20:<id>5:nodes<26 bytes each>6:nodes6<38 bytes each>e (BEP 5 compact node info).
  std::string save() const;
  // Reads save()'s output; nullopt unless it is well formed. Nodes with unusable
  // addresses or our own id are skipped.
  static std::optional<saved> load(std::string_view data);

 private:
  struct location {
    std::size_t bucket;
    bool replacement;
    std::size_t index;
  };
  std::size_t bucket_index(const node_id& id) const;
  std::optional<location> locate(const node_id& id) const;
  node_entry& at(const location& l);
  bool heard(const node_id& id, const net::peer_address& from, double now, bool reply);
  bool ip_taken(const net::peer_address& a) const;
  bool insert(const node_entry& e, double now);
  void split();
  void fill(std::size_t b);
  void erase(const location& l);

  node_id self_;
  routing_table_config config_;
  std::vector<bucket> buckets_;
  std::map<net::peer_address, node_id> endpoints_;  // every node and replacement
};

}  // namespace corrent::dht
