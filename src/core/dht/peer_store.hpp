// dht::peer_store — the peers other nodes announced to us (BEP 5 announce_peer), per
// info-hash, for answering get_peers. An entry is a peer's address (IP and port: several
// clients behind one IP, or on loopback, are distinct peers) and when it last announced;
// it lasts `peer_ttl_s` (30 minutes) unless announced again. Bounded: at most
// max_info_hashes swarms and max_peers_per_hash peers in each. When a swarm is full the
// peer that announced longest ago makes room; when the store is full, the swarm whose
// latest announce is oldest goes. get() hands out a random sample when it holds more
// than asked, so every stored peer gets its share of lookups. Pure: time and randomness
// are passed in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "core/dht/node_id.hpp"
#include "core/net/peer_address.hpp"

namespace corrent::dht {

struct peer_store_config {
  std::size_t max_info_hashes = 2000;
  std::size_t max_peers_per_hash = 500;
  double peer_ttl_s = 30 * 60;
};

class peer_store {
 public:
  explicit peer_store(peer_store_config config = {}) : config_(config) {}

  // Adds or refreshes a peer. False when the address is unusable (port 0, multicast...).
  bool announce(const node_id& info_hash, const net::peer_address& peer, double now);
  // Up to `max` unexpired peers of the swarm; a random sample (from `seed`) when it has
  // more.
  std::vector<net::peer_address> get(const node_id& info_hash, std::size_t max, double now,
                                     std::uint64_t seed) const;
  // Drops every entry older than the TTL, and swarms left empty.
  void expire(double now);

  std::size_t info_hash_count() const { return swarms_.size(); }
  std::size_t peer_count(const node_id& info_hash) const;
  std::size_t total_peers() const { return total_peers_; }

 private:
  struct swarm {
    std::map<net::peer_address, double> peers;              // -> when it announced
    std::set<std::pair<double, net::peer_address>> by_age;  // oldest first
    double last_announce = 0;
  };
  void erase_swarm(std::map<node_id, swarm>::iterator it);
  peer_store_config config_;
  std::map<node_id, swarm> swarms_;
  std::set<std::pair<double, node_id>> swarms_by_age_;  // by last_announce, oldest first
  std::size_t total_peers_ = 0;
};

}  // namespace corrent::dht
