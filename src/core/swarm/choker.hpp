// swarm::choker — which interested peers we upload to (BEP 3 "choking").
//
// Every rechoke (the session calls it every 10 s, and when a peer becomes interested or
// leaves) picks up to `regular_slots` interested peers to unchoke, plus one optimistic
// unchoke:
//   * while downloading (tit-for-tat): the peers that upload to us fastest
//     (download_rate = bytes/s we receive from them);
//   * while seeding: the peers we upload to fastest (upload_rate), with ties and new
//     peers rotated so that every interested peer is served over time: a peer that has
//     been unchoked for `seed_rotation_s` seconds yields its slot to one that waited longest;
//   * the optimistic unchoke: one interested peer outside the regular set, chosen at
//     random (randomness passed in), kept for `optimistic_period_s` (30 s) then rotated.
// Not-interested peers are never unchoked (nothing to send them). Pure and
// deterministic: time and randomness are arguments; it keeps only the optimistic choice
// and the time each peer was last unchoked/choked.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/swarm/piece_picker.hpp"

namespace corrent::swarm {

struct choke_candidate {
  peer_key key = 0;
  bool interested = false;   // the peer is interested in us
  bool unchoked = false;     // we currently unchoke it
  double download_rate = 0;  // bytes/s from the peer to us
  double upload_rate = 0;    // bytes/s from us to the peer
};

struct choker_config {
  std::size_t regular_slots = 4;
  double optimistic_period_s = 30;
  double seed_rotation_s = 30;
};

class choker {
 public:
  explicit choker(choker_config config = {}) : config_(config) {}

  // The keys to unchoke now (every other peer is choked). `now_s` is any monotonic clock
  // in seconds; `random` any uniformly random value.
  std::vector<peer_key> rechoke(std::span<const choke_candidate> peers, double now_s, bool seeding,
                                std::uint64_t random);

  // The peer is gone: forget it.
  void remove(peer_key key);

  std::optional<peer_key> optimistic() const { return optimistic_; }

 private:
  choker_config config_;
  std::optional<peer_key> optimistic_;
  double optimistic_since_ = 0;
  std::unordered_map<peer_key, double> unchoked_since_;  // regular slots while seeding
  std::unordered_map<peer_key, double> waiting_since_;   // interested and choked
};

}  // namespace corrent::swarm
