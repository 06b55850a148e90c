// The torrent session's request side: our interest, which peers we ask (download slots),
// what we ask them for (swarm::piece_picker, the endgame), and the blocks that come back
// into piece buffers.
#include <algorithm>
#include <cstring>

#include "core/wire/codec.hpp"
#include "io/session/torrent_session.hpp"

namespace corrent::io {

bool torrent_session::on_block(peer_connection& p, const wire::message& m) {
  const auto num_pieces = static_cast<std::uint32_t>(torrent_.num_pieces());
  if (m.piece >= num_pieces || m.begin + static_cast<std::uint64_t>(m.length) >
                                   static_cast<std::uint64_t>(torrent_.piece_size(m.piece))) {
    p.close_reason = "piece message out of range";
    return false;
  }
  const swarm::block_ref b{m.piece, m.begin, m.length};
  bool requested = false;
  for (auto it = p.requests.begin(); it != p.requests.end(); ++it) {
    if (*it == b) {
      p.requests.erase(it);
      requested = true;
      break;
    }
  }
  p.downloaded.total += m.length;
  downloaded_bytes_ += m.length;
  down_meter_.total += m.length;
  p.last_block_at = std::chrono::steady_clock::now();
  if (first_byte_s_ < 0) {
    first_byte_s_ = std::chrono::duration<double>(p.last_block_at - started_at_).count();
  }
  if (!requested) return true;  // unrequested or cancelled: ignore the bytes
  auto r = picker_.on_block_received(p.key, b);
  if (!r.wanted) return true;
  auto& buf = piece_buffers_[b.piece];
  if (!buf) {
    if (!spare_buffers_.empty()) {
      buf = std::move(spare_buffers_.back());
      spare_buffers_.pop_back();
    } else {
      buf = std::make_unique<char[]>(static_cast<std::size_t>(torrent_.piece_length));
    }
  }
  std::memcpy(buf.get() + b.begin, m.payload.data(), m.length);
  for (swarm::peer_key other : r.cancel) {
    auto it = peers_.find(other);
    if (it == peers_.end()) continue;
    auto& q = it->second->requests;
    for (auto rit = q.begin(); rit != q.end(); ++rit) {
      if (*rit == b) {
        q.erase(rit);
        wire::encode_cancel(it->second->out(), b.piece, b.begin, b.length);
        it->second->flush();
        break;
      }
    }
  }
  if (r.piece_complete) submit_piece(b.piece);
  return true;
}

void torrent_session::after_messages(peer_connection& p) {
  update_interest(p);
  fill_requests(p);
  serve_requests(p);
}

void torrent_session::update_interest(peer_connection& p) {
  if (!p.has_bitfield) return;
  const bool want = !picker_.download_finished() && picker_.is_interesting(p.has);
  if (want != p.am_interested) {
    p.am_interested = want;
    if (want) {
      wire::encode_interested(p.out());
    } else {
      wire::encode_not_interested(p.out());
    }
    p.flush();
  }
}

std::size_t torrent_session::request_depth(const peer_connection& p) const {
  // Enough requests to cover a tenth of a second of this peer's rate.
  const double blocks = p.downloaded.rate * 0.1 / wire::block_size;
  return static_cast<std::size_t>(std::clamp(blocks, 32.0, 256.0));
}

void torrent_session::fill_all_requests(const peer_connection* except) {
  std::size_t busy = busy_peers();
  for (auto& [key, p] : peers_) {
    if (p.get() != except) fill_requests(*p, &busy);
  }
}

void torrent_session::fill_requests(peer_connection& p, std::size_t* busy) {
  if (!may_request(p)) {
    if (p.download_slot) {
      p.download_slot = false;
      if (busy && *busy > 0) --*busy;
    }
    return;
  }
  if (pending_disk_ * static_cast<std::size_t>(torrent_.piece_length) > max_piece_bytes_) return;
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
  if (picker_.in_endgame()) {
    if (p.requests.size() >= endgame_requests) return;
    want = std::min(want, endgame_requests - p.requests.size());
  }
  // Top up in bursts of at least 16 requests (one write, one wake-up of the peer's
  // reader) rather than a few after every read.
  if (!p.requests.empty() && want < std::min<std::size_t>(16, depth / 2)) return;
  if (down_bucket_.limited()) {
    const double tokens = down_bucket_.available(now_s());
    if (tokens < wire::block_size) return;  // rate_loop comes back when tokens accrue
    want = std::min(want, static_cast<std::size_t>(tokens / wire::block_size));
  }
  pick_scratch_.clear();
  picker_.pick_blocks(p.key, p.has, want, rng_(), pick_scratch_, p.parole);
  if (down_bucket_.limited()) {
    double bytes = 0;
    for (const auto& b : pick_scratch_) bytes += b.length;
    down_bucket_.consume(bytes, now_s());
  }
  if (pick_scratch_.empty()) return;
  if (p.requests.empty()) p.last_block_at = std::chrono::steady_clock::now();
  if (!p.download_slot) {
    p.download_slot = true;
    if (busy) ++*busy;
  }
  for (const auto& b : pick_scratch_) {
    wire::encode_request(p.out(), b.piece, b.begin, b.length);
    p.requests.push_back(b);
  }
  p.flush();
}

std::size_t torrent_session::busy_peers() const {
  std::size_t n = 0;
  for (const auto& [key, p] : peers_) n += p->download_slot ? 1 : 0;
  return n;
}

bool torrent_session::requests_outstanding() const {
  return std::any_of(peers_.begin(), peers_.end(),
                     [](const auto& kv) { return !kv.second->requests.empty(); });
}

bool torrent_session::may_request(const peer_connection& p) const {
  return p.handshake_done && !p.peer_choking && p.am_interested && !stopping_ && !p.is_closed();
}

bool torrent_session::peer_waiting() const {
  for (const auto& [key, p] : peers_) {
    if (!p->download_slot && may_request(*p)) return true;
  }
  return false;
}

}  // namespace corrent::io
