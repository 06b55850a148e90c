#include "core/dht/peer_store.hpp"

#include <algorithm>
#include <random>

#include <utility>

namespace corrent::dht {
namespace {}  // namespace

bool peer_store::announce(const node_id& info_hash, const net::peer_address& peer, double now) {
  if (!peer.is_usable() || config_.max_peers_per_hash == 0 || config_.max_info_hashes == 0)
    return false;
  auto it = swarms_.find(info_hash);
  if (it == swarms_.end()) {
    if (swarms_.size() >= config_.max_info_hashes) {
      erase_swarm(swarms_.find(swarms_by_age_.begin()->second));
    }
    it = swarms_.emplace(info_hash, swarm{}).first;
  } else {
    swarms_by_age_.erase({it->second.last_announce, info_hash});
  }
  swarm& s = it->second;
  s.last_announce = now;
  swarms_by_age_.emplace(now, info_hash);

  if (auto p = s.peers.find(peer); p != s.peers.end()) {
    s.by_age.erase({p->second, peer});
    p->second = now;
    s.by_age.emplace(now, peer);
    return true;
  }
  if (s.peers.size() >= config_.max_peers_per_hash) {
    const auto oldest = s.by_age.begin();
    s.peers.erase(oldest->second);
    s.by_age.erase(oldest);
    --total_peers_;
  }
  s.peers.emplace(peer, now);
  s.by_age.emplace(now, peer);
  ++total_peers_;
  return true;
}

std::vector<net::peer_address> peer_store::get(const node_id& info_hash, std::size_t max,
                                               double now, std::uint64_t seed) const {
  std::vector<net::peer_address> out;
  const auto it = swarms_.find(info_hash);
  if (it == swarms_.end() || max == 0) return out;
  for (const auto& [addr, at] : it->second.peers) {
    if (now - at < config_.peer_ttl_s) out.push_back(addr);
  }
  if (out.size() > max) {
    std::mt19937_64 rng(seed);  // a uniform sample of `max`
    std::shuffle(out.begin(), out.end(), rng);
    out.resize(max);
  }
  return out;
}

void peer_store::expire(double now) {
  for (auto it = swarms_.begin(); it != swarms_.end();) {
    swarm& s = it->second;
    while (!s.by_age.empty() && now - s.by_age.begin()->first >= config_.peer_ttl_s) {
      s.peers.erase(s.by_age.begin()->second);
      s.by_age.erase(s.by_age.begin());
      --total_peers_;
    }
    if (s.peers.empty()) {
      erase_swarm(it++);
    } else {
      ++it;
    }
  }
}

std::size_t peer_store::peer_count(const node_id& info_hash) const {
  const auto it = swarms_.find(info_hash);
  return it == swarms_.end() ? 0 : it->second.peers.size();
}

void peer_store::erase_swarm(std::map<node_id, swarm>::iterator it) {
  swarms_by_age_.erase({it->second.last_announce, it->first});
  total_peers_ -= it->second.peers.size();
  swarms_.erase(it);
}

}  // namespace corrent::dht
