// torrent_logic, the upload side (BEP 3): choking (swarm::choker), the peers' requests
// checked and queued, batches handed to the io layer to read and send, seeding limits.
#include <algorithm>
#include <cstdio>

#include "core/torrent/torrent_logic.hpp"

namespace corrent::torrent {

bool torrent_logic::on_request(peer::peer_state& p, const wire::message& m) {
  const swarm::block_ref b{m.piece, m.begin, m.length};
  if (!picker_ || picker_->check_block(b) || m.length == 0 || m.length > wire::block_size) {
    p.close(peer::close_reason::request_out_of_range);
    return false;
  }
  if (p.on_request(b, picker_->have(m.piece)) == peer::peer_state::request_verdict::flood) {
    p.close(peer::close_reason::request_flood);
    return false;
  }
  return true;
}

std::size_t torrent_logic::take_upload_batch(swarm::peer_key key, std::size_t max_blocks,
                                             double now, std::vector<swarm::block_ref>& out) {
  auto* p = find_peer(key);
  // While we choke it, only its allowed-fast requests are queued (BEP 6).
  if (!p || p->is_closing() || (p->am_choking && !p->fast_extension) || p->incoming.empty() ||
      stopping_)
    return 0;
  std::size_t limit = max_blocks;
  const bool limited = up_ && up_->limited();
  if (limited) {
    const double tokens = up_->available(now);
    if (tokens < wire::block_size) return 0;  // the bandwidth tick comes back when tokens accrue
    limit = std::min(limit, static_cast<std::size_t>(tokens / wire::block_size));
  }
  // Past the seed ratio, a peer with the fast extension is refused the pieces another
  // connected peer holds: it can fetch them there, and the seed's upload goes to the
  // pieces the swarm lacks (test_seed: a full-speed seed sent 1.61 copies while waiting
  // for its last pieces to go out whole).
  // Bytes taken but not yet sent count: at full speed on loopback, megabytes per peer are
  // on their way when the ratio is reached.
  const bool lingering = p->fast_extension && seeding_ && config_.seed_ratio > 0 && info_ &&
                         static_cast<double>(uploaded_bytes_ + upload_in_flight_) >=
                             config_.seed_ratio * info_->total_length;
  double bytes = 0;
  std::size_t n = 0;
  while (!p->incoming.empty() && n < limit) {
    if (lingering && another_peer_has(key, p->incoming.front().piece)) {
      p->send_reject(p->incoming.front());
      p->incoming.pop_front();
      continue;
    }
    out.push_back(p->incoming.front());
    bytes += p->incoming.front().length;
    p->incoming.pop_front();
    ++n;
  }
  if (limited) up_->consume(bytes, now);
  p->upload_in_flight += static_cast<std::int64_t>(bytes);
  upload_in_flight_ += static_cast<std::int64_t>(bytes);
  return n;
}

bool torrent_logic::on_upload_ready(swarm::peer_key key, const std::vector<swarm::block_ref>& batch,
                                    double now) {
  auto* p = find_peer(key);
  if (!p) return false;
  std::int64_t taken = 0;
  for (const auto& b : batch) taken += b.length;
  taken = std::min(taken, p->upload_in_flight);
  p->upload_in_flight -= taken;
  upload_in_flight_ -= taken;
  if (p->is_closing()) return false;
  if (p->am_choking) {  // choked meanwhile: void (BEP 3), or rejected (BEP 6)
    const bool allowed = p->fast_extension && std::all_of(batch.begin(), batch.end(), [&](auto& b) {
                           return p->allowed_while_choked(b.piece);
                         });
    if (!allowed) {
      if (p->fast_extension) {
        for (const auto& b : batch) p->send_reject(b);
      }
      return false;
    }
  }
  std::int64_t bytes = 0;
  for (const auto& b : batch) {
    bytes += b.length;
    if (!picker_ || b.piece >= picker_->num_pieces()) continue;
    if (b.piece < p->sent_whole.size() && p->sent_whole.test(b.piece)) continue;
    // A piece counts as out when one peer got all of it: blocks of one piece sent to
    // different peers are in nobody's hands.
    const auto pk = std::make_pair(key, b.piece);
    auto it = sent_partial_.find(pk);
    if (it == sent_partial_.end()) {
      if (sent_partial_.size() >= max_sent_partial) continue;
      it = sent_partial_.emplace(pk, swarm::bitfield(picker_->blocks_in_piece(b.piece))).first;
    }
    auto& bits = it->second;
    const std::size_t index = b.begin / wire::block_size;
    if (index >= bits.size() || bits.test(index)) continue;
    bits.set(index);
    if (bits.all()) {
      if (p->sent_whole.size() != picker_->num_pieces()) {
        p->sent_whole = swarm::bitfield(picker_->num_pieces());
      }
      p->sent_whole.set(b.piece);
      sent_partial_.erase(it);
    }
  }
  p->uploaded.total += bytes;
  uploaded_bytes_ += bytes;
  up_meter_.total += bytes;
  check_seed_limits(now);
  return true;
}

bool torrent_logic::seed_ratio_reached(double now) {
  if (!seeding_ || config_.seed_ratio <= 0 || !info_ || info_->total_length <= 0) return false;
  if (static_cast<double>(uploaded_bytes_) < config_.seed_ratio * info_->total_length) return false;
  if (ratio_reached_at_ < 0) ratio_reached_at_ = now;
  // Do not leave while an interested peer is connected and the peers connected do not hold
  // every piece twice between them (once when only one is connected): what they have, and
  // what went whole to them from us (their HAVEs come after they checked it). Twice, so
  // that any one of them may leave without stranding the rest (python3-libtorrent
  // leechers leave when done: with "once", one or two of three were stranded in 7 runs
  // of 9).
  // Past the ratio the seed refuses what another peer holds, so the wait costs little.
  // Bounded: at most max_linger_s past the ratio, so no peer can hold a seed forever.
  if (now - ratio_reached_at_ >= config_.seed_linger_max_s) return true;
  bool interested = false;
  for (const auto& [key, p] : peers_) interested |= p->peer_interested && !p->is_closing();
  if (!interested) return true;
  return peers_hold_every_piece_twice();
}

bool torrent_logic::another_peer_has(swarm::peer_key key, std::uint32_t piece) const {
  for (const auto& [k, p] : peers_) {
    if (k == key || p->is_closing()) continue;
    if (piece < p->has.size() && p->has.test(piece)) return true;
    if (piece < p->sent_whole.size() && p->sent_whole.test(piece)) return true;
  }
  return false;
}

bool torrent_logic::peers_hold_every_piece_twice() const {
  if (!info_) return false;
  const auto pieces = static_cast<std::size_t>(info_->num_pieces());
  const std::size_t words = (pieces + 63) / 64;
  // Per word: pieces at least one peer holds, and at least two (word-parallel counting).
  std::vector<std::uint64_t> once(words, 0), twice(words, 0);
  std::size_t peers = 0;
  for (const auto& [key, p] : peers_) {
    if (p->is_closing()) continue;
    ++peers;
    const bool has = p->has.size() == pieces, sent = p->sent_whole.size() == pieces;
    for (std::size_t i = 0; i < words; ++i) {
      const std::uint64_t w = (has ? p->has.words()[i] : 0) | (sent ? p->sent_whole.words()[i] : 0);
      twice[i] |= once[i] & w;
      once[i] |= w;
    }
  }
  const auto& need = peers >= 2 ? twice : once;
  for (std::size_t i = 0; i < words; ++i) {
    const std::size_t bits = std::min<std::size_t>(64, pieces - i * 64);
    const std::uint64_t full = bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
    if ((need[i] & full) != full) return false;
  }
  return true;
}

void torrent_logic::check_seed_limits(double now) {
  if (!seeding_ || seed_limit_sent_) return;
  std::string why;
  if (seed_ratio_reached(now)) {
    char text[64];
    std::snprintf(text, sizeof text, "seed ratio %.2f reached", config_.seed_ratio);
    why = text;
  } else if (config_.seed_time_s > 0 && now - seeding_since_ >= config_.seed_time_s) {
    why = "seeded for " + std::to_string(static_cast<long long>(now - seeding_since_)) + " s";
  } else {
    return;
  }
  seed_limit_sent_ = true;
  log(action_kind::log_info, why);
  action a;
  a.kind = action_kind::seed_limit_reached;
  actions_.push_back(std::move(a));
}

// Woken early (interest changed, a peer left): rechoke now if the last was a second ago
// or more; otherwise the next tick does it.
void torrent_logic::maybe_rechoke(double now) {
  if (rechoke_wanted_ && now - last_rechoke_ >= 1.0) rechoke(now);
}

void torrent_logic::rechoke(double now) {
  rechoke_wanted_ = false;
  last_rechoke_ = now;
  std::vector<swarm::choke_candidate> candidates;
  candidates.reserve(peers_.size());
  for (const auto& [key, p] : peers_) {
    if (p->is_closing()) continue;
    candidates.push_back(
        {key, p->peer_interested, !p->am_choking, p->downloaded.rate, p->uploaded.rate});
  }
  const auto unchoke = choker_.rechoke(candidates, now, seeding_, rng_());
  for (auto& [key, p] : peers_) {
    if (p->is_closing()) continue;
    const bool want_unchoked = std::find(unchoke.begin(), unchoke.end(), key) != unchoke.end();
    if (want_unchoked && p->am_choking) {
      p->send_unchoke();
    } else if (!want_unchoked && !p->am_choking) {
      p->send_choke();  // BEP 3: its pending requests are void
    }
  }
}

}  // namespace corrent::torrent
