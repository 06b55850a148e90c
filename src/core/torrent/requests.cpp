// torrent_logic, the request side: our interest, which peers we ask (download slots),
// what we ask them for (swarm::piece_picker, the endgame), and the blocks that come back.
#include <algorithm>
#include <bit>

#include "core/torrent/torrent_logic.hpp"

namespace corrent::torrent {

bool torrent_logic::on_block(peer::peer_state& p, const wire::message& m, double now) {
  if (!picker_ || m.piece >= picker_->num_pieces() ||
      m.begin + static_cast<std::uint64_t>(m.length) > picker_->piece_size(m.piece)) {
    p.close(peer::close_reason::piece_out_of_range);
    return false;
  }
  const swarm::block_ref b{m.piece, m.begin, m.length};
  const bool requested = p.on_block(b);
  p.downloaded.total += m.length;
  downloaded_bytes_ += m.length;
  down_meter_.total += m.length;
  if (first_byte_at_ < 0) first_byte_at_ = now;
  // Unrequested or cancelled: the bytes are ignored, and they do not count as the peer
  // answering (a peer sending junk must not keep our requests from timing out).
  if (!requested) return true;
  p.last_block_at = now;
  p.request_timeouts = 0;
  auto r = picker_->on_block_received(p.key, b);
  if (!r.wanted) return true;
  if (buffers_[b.piece] == buffer_state::none) {
    buffers_[b.piece] = buffer_state::buffered;
    ++buffered_count_;
    if (budget_) budget_->open(info_->piece_length);
  }
  action a;
  a.kind = action_kind::store_block;
  a.peer = p.key;
  a.block = b;
  a.data = m.payload;
  actions_.push_back(std::move(a));
  for (swarm::peer_key other : r.cancel) {
    if (auto* o = find_peer(other)) o->send_cancel(b);
  }
  if (r.piece_complete) {
    buffers_[b.piece] = buffer_state::pending;
    --buffered_count_;
    ++pending_count_;
    if (budget_) budget_->to_pending(info_->piece_length);
    update_open_cap();
    action h;
    h.kind = action_kind::hash_piece;
    h.piece = b.piece;
    actions_.push_back(std::move(h));
  }
  return true;
}

void torrent_logic::after_messages(swarm::peer_key key, double now) {
  auto* p = find_peer(key);
  if (!p || p->is_closing()) return;
  update_interest(*p);
  fill_requests(*p, now);
}

void torrent_logic::update_interest(peer::peer_state& p) {
  if (!p.has_bitfield || !picker_) return;
  p.send_interested(!picker_->download_finished() && picker_->is_interesting(p.has));
}

std::size_t torrent_logic::request_depth(const peer::peer_state& p) const {
  // Enough requests to cover a tenth of a second of this peer's rate.
  const double blocks = p.downloaded.rate * 0.1 / wire::block_size;
  auto depth = static_cast<std::size_t>(std::clamp(blocks, 32.0, 256.0));
  // BEP 10 `reqq`: it queues no more than that; more would be dropped.
  if (p.reqq > 0) depth = std::min<std::size_t>(depth, p.reqq);
  return depth;
}

bool torrent_logic::may_request(const peer::peer_state& p, double now) const {
  // Choked: only its allowed-fast pieces (BEP 6).
  const bool unchoked = !p.peer_choking || (p.fast_extension && !p.allowed_fast_in.empty());
  return picker_ && !stopping_ && unchoked && p.am_interested && !p.is_closing() &&
         p.snubbed_until <= now;
}

// How long a peer holding our requests may go without sending one of the blocks asked
// for: the time eight blocks take at its rate (at least 16 KiB/s assumed), between
// request_timeout_min_s and request_timeout_max_s. A trickling peer is not timed out (its
// blocks arrive); the endgame copies what it holds at the end.
double torrent_logic::request_timeout(const peer::peer_state& p) const {
  const double rate = std::max(p.downloaded.rate, 16.0 * 1024);
  return std::clamp(8.0 * wire::block_size / rate, config_.request_timeout_min_s,
                    config_.request_timeout_max_s);
}

// Requests left unanswered past their time go to other peers; the peer gets none for a
// while (snubbed_until), and after max_request_timeouts of these in a row it is dropped.
void torrent_logic::expire_requests(peer::peer_state& p, double now) {
  if (p.requests.empty() || !picker_ || now - p.last_block_at <= request_timeout(p)) return;
  while (!p.requests.empty()) {
    const auto b = p.requests.front();
    p.send_cancel(b);
    picker_->on_request_dropped(p.key, b);
  }
  p.snubbed_until = now + config_.snub_penalty_s;
  p.download_slot = false;
  if (++p.request_timeouts >= config_.max_request_timeouts) p.close(peer::close_reason::snubbed);
}

// Pending pieces leave less room in the budget for open ones: the picker opens no new
// piece (those open still finish) until the disk catches up. Other torrents' pieces
// count against the same budget.
void torrent_logic::update_open_cap() {
  if (!picker_) return;
  std::uint32_t cap = max_open_pieces_;
  if (budget_) {
    const auto len = std::max<std::int64_t>(1, info_->piece_length);
    const auto mine = static_cast<std::int64_t>(buffered_count_) * len;
    const auto room =
        budget_->capacity() - budget_->pending_bytes() - (budget_->open_bytes() - mine);
    cap = static_cast<std::uint32_t>(std::clamp<std::int64_t>(room / len, 1, max_open_pieces_));
  }
  if (cap != open_cap_) {
    open_cap_ = cap;
    picker_->set_max_open_pieces(cap);
  }
}

void torrent_logic::fill_all_requests(double now, const peer::peer_state* except) {
  if (!picker_ || stopping_) return;
  std::size_t busy = busy_peers();
  for (auto& [key, p] : peers_) {
    if (p.get() != except) fill_requests(*p, now, &busy);
  }
}

void torrent_logic::fill_requests(peer::peer_state& p, double now, std::size_t* busy) {
  if (!may_request(p, now)) {
    if (p.download_slot) {
      p.download_slot = false;
      if (busy && *busy > 0) --*busy;
    }
    return;
  }
  if (budget_ && budget_->pending_full()) return;
  // A peer not yet downloaded from takes a free download slot (swarm::download_slots). A
  // slot outlives the pauses above and in the picker (open-piece cap): freed at each
  // pause, the slots went to idle peers in turn (20 seeders: 8 of them sent 10-80 MB).
  if (!p.download_slot && (busy ? *busy : busy_peers()) >= slots_.cap()) return;
  const std::size_t depth = request_depth(p);
  if (p.requests.size() >= depth) return;
  std::size_t want = depth - p.requests.size();
  // Endgame (every block requested): duplicates of others' blocks, a few at a time. Each
  // peer asking for a full queue of them had the seeders send up to 20 MiB twice at the
  // end of w2 (cancels arrive too late on a fast link), and the download took 5-10 % longer.
  if (picker_->in_endgame()) {
    if (p.requests.size() >= config_.endgame_requests) return;
    want = std::min(want, config_.endgame_requests - p.requests.size());
  }
  // Top up in bursts of at least 16 requests (one write, one wake-up of the peer's
  // reader) rather than a few after every read.
  if (!p.requests.empty() && want < std::min<std::size_t>(16, depth / 2)) return;
  const bool limited = down_ && down_->limited();
  if (limited) {
    const double tokens = down_->available(now);
    if (tokens < wire::block_size) return;  // on_bandwidth_tick comes back when tokens accrue
    want = std::min(want, static_cast<std::size_t>(tokens / wire::block_size));
  }
  update_open_cap();
  scratch_blocks_.clear();
  if (p.peer_choking) {  // allowed-fast pieces only
    swarm::bitfield allowed(p.has.size());
    for (const auto piece : p.allowed_fast_in) {
      if (piece < p.has.size() && p.has.test(piece)) allowed.set(piece);
    }
    picker_->pick_blocks(p.key, allowed, want, rng_(), scratch_blocks_, p.parole);
  } else if (!p.refused.none() && now < p.refused_until) {
    swarm::bitfield offered = p.has;  // less what it refused lately
    const auto words = p.refused.words();
    for (std::size_t w = 0; w < words.size(); ++w) {
      for (std::uint64_t bits = words[w]; bits != 0; bits &= bits - 1) {
        const auto piece = w * 64 + static_cast<std::size_t>(std::countr_zero(bits));
        if (piece < offered.size() && offered.test(piece)) offered.reset(piece);
      }
    }
    picker_->pick_blocks(p.key, offered, want, rng_(), scratch_blocks_, p.parole);
  } else {
    if (!p.refused.none()) p.refused = {};
    picker_->pick_blocks(p.key, p.has, want, rng_(), scratch_blocks_, p.parole);
  }
  if (limited) {
    double bytes = 0;
    for (const auto& b : scratch_blocks_) bytes += b.length;
    down_->consume(bytes, now);
  }
  if (scratch_blocks_.empty()) return;
  if (p.requests.empty()) p.last_block_at = now;
  if (!p.download_slot) {
    p.download_slot = true;
    if (busy) ++*busy;
  }
  for (const auto& b : scratch_blocks_) p.send_request(b, now);
}

std::size_t torrent_logic::busy_peers() const {
  std::size_t n = 0;
  for (const auto& [key, p] : peers_) n += p->download_slot ? 1 : 0;
  return n;
}

bool torrent_logic::peer_waiting(double now) const {
  for (const auto& [key, p] : peers_) {
    if (!p->download_slot && may_request(*p, now)) return true;
  }
  return false;
}

void torrent_logic::on_bandwidth_tick(double now) {
  fill_all_requests(now);
}

void torrent_logic::on_budget_freed(double now) {
  fill_all_requests(now);
}

}  // namespace corrent::torrent
