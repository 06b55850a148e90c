#include "core/swarm/choker.hpp"

#include <algorithm>
#include <utility>

namespace corrent::swarm {
namespace {

using candidates = std::vector<const choke_candidate*>;
using since_map = std::unordered_map<peer_key, double>;

double since_or(const since_map& m, peer_key key, double fallback) {
  const auto it = m.find(key);
  return it == m.end() ? fallback : it->second;
}

// Strict weak order: faster first; on equal rates the peer already in a regular slot,
// then one we unchoke anyway, then the lower key, so equal peers do not trade places.
struct faster {
  bool seeding;
  const since_map* regular;

  bool operator()(const choke_candidate* x, const choke_candidate* y) const {
    const double rx = seeding ? x->upload_rate : x->download_rate;
    const double ry = seeding ? y->upload_rate : y->download_rate;
    if (rx != ry) return rx > ry;
    const bool kx = regular->contains(x->key), ky = regular->contains(y->key);
    if (kx != ky) return kx;
    if (x->unchoked != y->unchoked) return x->unchoked;
    return x->key < y->key;
  }
};

// Tit-for-tat: the `slots` fastest.
candidates pick_fastest(candidates pool, std::size_t slots, const faster& order) {
  std::sort(pool.begin(), pool.end(), order);
  if (pool.size() > slots) pool.resize(slots);
  return pool;
}

// Seeding: a regular peer keeps its slot for `rotation_s`; after that it yields to the
// peer that has waited longest, if anyone waits. Slots nobody yielded (a peer left, or
// the first rechoke) go to the fastest.
candidates pick_rotating(const candidates& pool, std::size_t slots, double now_s, double rotation_s,
                         const since_map& regular, const since_map& waiting, const faster& order) {
  candidates kept, expired, waiters;
  for (const choke_candidate* c : pool) {
    const auto it = regular.find(c->key);
    if (it == regular.end()) {
      waiters.push_back(c);
    } else if (now_s - it->second < rotation_s) {
      kept.push_back(c);
    } else {
      expired.push_back(c);
    }
  }
  std::sort(kept.begin(), kept.end(), order);
  if (kept.size() > slots) {
    expired.insert(expired.end(), kept.begin() + static_cast<std::ptrdiff_t>(slots), kept.end());
    kept.resize(slots);
  }
  // Longest waiting first; equal waits (peers that arrived together) by speed.
  std::sort(
      waiters.begin(), waiters.end(), [&](const choke_candidate* x, const choke_candidate* y) {
        const double wx = since_or(waiting, x->key, now_s), wy = since_or(waiting, y->key, now_s);
        return wx != wy ? wx < wy : order(x, y);
      });
  // Longest serving yields first.
  std::sort(
      expired.begin(), expired.end(), [&](const choke_candidate* x, const choke_candidate* y) {
        const double ux = since_or(regular, x->key, now_s), uy = since_or(regular, y->key, now_s);
        return ux != uy ? ux < uy : x->key < y->key;
      });

  const std::size_t rotations = std::min({expired.size(), waiters.size(), slots - kept.size()});
  candidates chosen = kept;
  chosen.insert(chosen.end(), waiters.begin(),
                waiters.begin() + static_cast<std::ptrdiff_t>(rotations));

  candidates rest(waiters.begin() + static_cast<std::ptrdiff_t>(rotations), waiters.end());
  rest.insert(rest.end(), expired.begin() + static_cast<std::ptrdiff_t>(rotations), expired.end());
  std::sort(rest.begin(), rest.end(), order);
  for (const choke_candidate* c : rest) {
    if (chosen.size() >= slots) break;
    chosen.push_back(c);
  }
  return chosen;
}

}  // namespace

std::vector<peer_key> choker::rechoke(std::span<const choke_candidate> peers, double now_s,
                                      bool seeding, std::uint64_t random) {
  // The optimistic unchoke holds its own slot until its period ends or it stops wanting.
  const std::optional<peer_key> previous_optimistic = optimistic_;
  if (optimistic_) {
    const auto it = std::find_if(peers.begin(), peers.end(),
                                 [&](const choke_candidate& c) { return c.key == *optimistic_; });
    if (it == peers.end() || !it->interested ||
        now_s - optimistic_since_ >= config_.optimistic_period_s) {
      optimistic_.reset();
    }
  }

  const auto is_optimistic = [&](peer_key k) { return optimistic_ && *optimistic_ == k; };
  candidates pool;
  for (const choke_candidate& c : peers) {
    if (c.interested && !is_optimistic(c.key)) pool.push_back(&c);
  }

  const faster order{seeding, &unchoked_since_};
  const candidates regular =
      seeding ? pick_rotating(pool, config_.regular_slots, now_s, config_.seed_rotation_s,
                              unchoked_since_, waiting_since_, order)
              : pick_fastest(pool, config_.regular_slots, order);

  std::vector<peer_key> regular_keys;
  regular_keys.reserve(regular.size() + 1);
  for (const choke_candidate* c : regular) regular_keys.push_back(c->key);
  std::vector<peer_key> sorted_regular = regular_keys;
  std::sort(sorted_regular.begin(), sorted_regular.end());
  const auto is_regular = [&](peer_key k) {
    return std::binary_search(sorted_regular.begin(), sorted_regular.end(), k);
  };

  if (!optimistic_) {
    std::vector<peer_key> others;
    for (const choke_candidate* c : pool) {
      if (!is_regular(c->key)) others.push_back(c->key);
    }
    std::sort(others.begin(), others.end());
    // Rotate: the previous optimistic gets another turn only if nobody else can have one.
    if (previous_optimistic && others.size() > 1) {
      std::erase(others, *previous_optimistic);
    }
    if (!others.empty()) {
      optimistic_ = others[random % others.size()];
      optimistic_since_ = now_s;
    }
  }

  since_map unchoked_since, waiting_since;
  for (const peer_key k : regular_keys) {
    unchoked_since.emplace(k, since_or(unchoked_since_, k, now_s));
  }
  for (const choke_candidate* c : pool) {
    if (!is_regular(c->key) && !is_optimistic(c->key)) {
      waiting_since.emplace(c->key, since_or(waiting_since_, c->key, now_s));
    }
  }
  unchoked_since_ = std::move(unchoked_since);
  waiting_since_ = std::move(waiting_since);

  if (optimistic_) regular_keys.push_back(*optimistic_);
  return regular_keys;
}

void choker::remove(peer_key key) {
  if (optimistic_ == key) optimistic_.reset();
  unchoked_since_.erase(key);
  waiting_since_.erase(key);
}

}  // namespace corrent::swarm
