#include "core/swarm/work_queue.hpp"

#include <algorithm>
#include <bit>
#include <limits>
#include <numeric>
#include <utility>

namespace corrent::swarm {
namespace {

// How many queued pieces rarest() inspects in bucket order before it switches to the
// word-parallel pass. A peer holding a fraction f of the rarest pieces is found in about
// 1/f steps, so this only runs out for peers that hold few of them.
constexpr std::uint32_t scan_budget = 256;

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finalizer: spreads a caller's random
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

template <class F>
void for_each_set(const bitfield& b, F&& f) {
  const auto words = b.words();
  for (std::size_t w = 0; w < words.size(); ++w) {
    for (std::uint64_t bits = words[w]; bits != 0; bits &= bits - 1) {
      f(static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(std::countr_zero(bits))));
    }
  }
}

}  // namespace

work_queue::work_queue(std::uint32_t num_pieces)
    : count_(num_pieces, 0),
      pos_(num_pieces),
      queued_(num_pieces, true),
      queued_words_((num_pieces + 63) / 64, true),
      order_(num_pieces),
      bucket_start_{0, num_pieces} {
  std::iota(order_.begin(), order_.end(), 0u);
  std::iota(pos_.begin(), pos_.end(), 0u);
}

void work_queue::add_peer(const bitfield& peer_has) {
  if (peer_has.size() != count_.size()) return;
  if (peer_has.all()) {
    ++seeds_;  // raises every piece by one: the order does not change
    return;
  }
  for_each_set(peer_has, [this](std::uint32_t p) { increment(p); });
}

void work_queue::remove_peer(const bitfield& peer_has) {
  if (peer_has.size() != count_.size()) return;
  // A peer that became a seed through `have`s was counted per piece; taking one seed
  // off instead lowers every piece by one all the same.
  if (peer_has.all() && seeds_ > 0) {
    --seeds_;
    return;
  }
  for_each_set(peer_has, [this](std::uint32_t p) { decrement(p); });
}

void work_queue::add_have(std::uint32_t piece) {
  if (piece < count_.size()) increment(piece);
}

void work_queue::place(std::uint32_t index, std::uint32_t piece) {
  order_[index] = piece;
  pos_[piece] = index;
}

void work_queue::mark_queued(std::uint32_t piece) {
  queued_.set(piece);
  queued_words_.set(piece / 64);
}

void work_queue::mark_unqueued(std::uint32_t piece) {
  queued_.reset(piece);
  if (queued_.words()[piece / 64] == 0) queued_words_.reset(piece / 64);
}

void work_queue::ensure_bucket(std::uint32_t count) {
  while (bucket_count() <= count)
    bucket_start_.push_back(static_cast<std::uint32_t>(order_.size()));
}

// count k -> k+1: swap with the last piece of bucket k, then bucket k+1 starts one earlier.
void work_queue::increment(std::uint32_t piece) {
  const std::uint32_t k = count_[piece]++;
  if (!queued_.test(piece)) return;
  ensure_bucket(k + 1);
  const std::uint32_t last = --bucket_start_[k + 1];
  const std::uint32_t other = order_[last];
  place(pos_[piece], other);
  place(last, piece);
}

// count k -> k-1: swap with the first piece of bucket k, then bucket k starts one later.
void work_queue::decrement(std::uint32_t piece) {
  if (count_[piece] == 0) return;  // the session removed a peer it never added
  const std::uint32_t k = count_[piece]--;
  if (!queued_.test(piece)) return;
  const std::uint32_t first = bucket_start_[k]++;
  const std::uint32_t other = order_[first];
  place(pos_[piece], other);
  place(first, piece);
}

// Appended to the last bucket, then walked down one bucket at a time by swapping with
// each bucket's first piece.
void work_queue::push(std::uint32_t piece) {
  const std::uint32_t k = count_[piece];
  ensure_bucket(k);
  order_.push_back(piece);
  pos_[piece] = static_cast<std::uint32_t>(order_.size() - 1);
  ++bucket_start_.back();
  for (auto b = static_cast<std::uint32_t>(bucket_count() - 1); b > k; --b) {
    const std::uint32_t first = bucket_start_[b]++;
    const std::uint32_t other = order_[first];
    place(pos_[piece], other);
    place(first, piece);
  }
  mark_queued(piece);
}

// The reverse of push: walked up to the end of the array, then popped.
void work_queue::erase(std::uint32_t piece) {
  const auto buckets = static_cast<std::uint32_t>(bucket_count());
  for (std::uint32_t b = count_[piece]; b < buckets; ++b) {
    const std::uint32_t last = --bucket_start_[b + 1];
    const std::uint32_t other = order_[last];
    place(pos_[piece], other);
    place(last, piece);
  }
  order_.pop_back();
  mark_unqueued(piece);
}

std::optional<std::uint32_t> work_queue::rarest(const bitfield& peer_has,
                                                std::uint64_t random) const {
  if (peer_has.size() != count_.size() || order_.empty()) return std::nullopt;
  const auto buckets = static_cast<std::uint32_t>(bucket_count());
  if (peer_has.all()) {  // a seed has the rarest queued piece, whichever it is
    for (std::uint32_t b = 0; b < buckets; ++b) {
      const std::uint32_t size = bucket_start_[b + 1] - bucket_start_[b];
      if (size != 0) return order_[bucket_start_[b] + random % size];
    }
    return std::nullopt;
  }
  // Every piece a peer has counts that peer, so bucket 0 holds none of a known peer's
  // pieces and the walk starts at bucket 1.
  std::uint32_t budget = scan_budget;
  for (std::uint32_t b = 1; b < buckets; ++b) {
    const std::uint32_t start = bucket_start_[b];
    const std::uint32_t size = bucket_start_[b + 1] - start;
    if (size == 0) continue;
    const auto offset = static_cast<std::uint32_t>(random % size);
    for (std::uint32_t i = 0; i < size; ++i) {
      if (budget-- == 0) return rarest_by_words(peer_has, random, b);
      const std::uint32_t at = offset + i < size ? offset + i : offset + i - size;
      const std::uint32_t piece = order_[start + at];
      if (peer_has.test(piece)) return piece;
    }
  }
  // Buckets 1.. hold nothing of this peer's. Unless the peer was never added, it has
  // nothing we need; the word pass settles it either way.
  if (bucket_start_[1] == 0) return std::nullopt;  // bucket 0 is empty
  return rarest_by_words(peer_has, random, buckets);
}

// One pass over peer_has & queued, 64 pieces at a time, visiting only the words that
// still hold a queued piece, from a random word onwards (wrapping round); ties are drawn
// by a hash of `random` and the piece. Buckets 1..lower_bound-1 were searched already,
// so a piece with count <= lower_bound cannot be beaten and ends the pass.
std::optional<std::uint32_t> work_queue::rarest_by_words(const bitfield& peer_has,
                                                         std::uint64_t random,
                                                         std::uint32_t lower_bound) const {
  const auto has = peer_has.words();
  const auto queued = queued_.words();
  const auto summary = queued_words_.words();
  const std::size_t n = summary.size();
  const std::size_t start_word = static_cast<std::size_t>(mix(random) % queued_words_.size());
  const std::size_t start = start_word / 64;
  const std::uint64_t from_start = ~std::uint64_t{0} << (start_word % 64);
  std::optional<std::uint32_t> best;
  std::uint32_t best_count = std::numeric_limits<std::uint32_t>::max();
  std::uint64_t best_tie = 0;
  // Steps 0..n-1 visit every summary word once; step n revisits the first one for the
  // words before `start_word`.
  for (std::size_t i = 0; i <= n; ++i) {
    const std::size_t s = start + i < n ? start + i : start + i - n;
    std::uint64_t words = summary[s];
    if (i == 0) words &= from_start;
    if (i == n) words &= ~from_start;
    if (words == 0) continue;
    // Most chunks of 64 words hold nothing of this peer's: one branch-free pass says so.
    const std::size_t first = s * 64;
    const std::size_t last = std::min(first + 64, has.size());
    std::uint64_t any = 0;
    for (std::size_t w = first; w < last; ++w) any |= has[w] & queued[w];
    if (any == 0) continue;
    for (; words != 0; words &= words - 1) {
      const std::size_t w = s * 64 + static_cast<std::size_t>(std::countr_zero(words));
      for (std::uint64_t bits = has[w] & queued[w]; bits != 0; bits &= bits - 1) {
        const auto piece =
            static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(std::countr_zero(bits)));
        const std::uint32_t count = count_[piece];
        if (count > best_count) continue;
        // Equal counts: the smallest hash wins, a fair draw among them.
        const std::uint64_t tie = mix(random ^ piece);
        if (count == best_count && tie >= best_tie) continue;
        best = piece;
        best_count = count;
        best_tie = tie;
        if (best_count <= lower_bound) return best;
      }
    }
  }
  return best;
}

}  // namespace corrent::swarm
