// swarm::work_queue — the pieces nobody is working on yet, ordered by availability, so
// the rarest piece a peer has is found without a scan of the whole torrent.
//
// Every piece has an availability: how many connected peers have it. Peers that have
// everything (seeds) are only counted (they do not change the order); all other peers
// add one per piece they have. The queued pieces live in one array sorted by that count,
// cut into buckets (bucket k = pieces with count k) whose starts are kept, the layout
// libtorrent's piece picker uses. Moving a piece to the neighbouring bucket is one swap,
// so a `have` costs O(1); push and erase cost O(number of buckets), at most the number of
// non-seed peers. Memory is O(pieces) whatever the churn.
//
// Internal to swarm::piece_picker; not part of the public interface.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/swarm/bitfield.hpp"

namespace corrent::swarm {

class work_queue {
 public:
  work_queue() = default;
  explicit work_queue(std::uint32_t num_pieces);  // every piece queued, nobody has any

  void add_peer(const bitfield& peer_has);
  void remove_peer(const bitfield& peer_has);
  void add_have(std::uint32_t piece);
  std::uint32_t availability(std::uint32_t piece) const { return seeds_ + count_[piece]; }

  bool contains(std::uint32_t piece) const { return queued_.test(piece); }
  std::size_t size() const { return order_.size(); }
  bool empty() const { return order_.empty(); }
  void push(std::uint32_t piece);   // piece must not be queued
  void erase(std::uint32_t piece);  // piece must be queued

  // The queued piece with the lowest availability that `peer_has` holds; among equals,
  // the one `random` points at. O(1) for a seed; otherwise a bounded walk up the buckets,
  // falling back to one word-parallel pass over peer_has & queued when the peer holds few
  // of the rarest pieces: 64 pieces per step, only over words that still hold a queued
  // piece (a summary bit per word, so an empty stretch of 4096 pieces is one step).
  std::optional<std::uint32_t> rarest(const bitfield& peer_has, std::uint64_t random) const;

 private:
  void increment(std::uint32_t piece);
  void decrement(std::uint32_t piece);
  void ensure_bucket(std::uint32_t count);
  void place(std::uint32_t index, std::uint32_t piece);
  void mark_queued(std::uint32_t piece);
  void mark_unqueued(std::uint32_t piece);
  std::size_t bucket_count() const { return bucket_start_.size() - 1; }
  std::optional<std::uint32_t> rarest_by_words(const bitfield& peer_has, std::uint64_t random,
                                               std::uint32_t lower_bound) const;

  std::vector<std::uint32_t> count_;  // per piece: non-seed peers that have it
  std::vector<std::uint32_t> pos_;    // per queued piece: its index in order_
  bitfield queued_;
  bitfield queued_words_;  // bit w: word w of queued_ is not zero (the word pass skips empties)
  std::uint32_t seeds_ = 0;
  std::vector<std::uint32_t> order_;         // queued pieces, ascending count_
  std::vector<std::uint32_t> bucket_start_;  // bucket k = order_[start[k], start[k+1])
};

}  // namespace corrent::swarm
