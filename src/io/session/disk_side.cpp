// The torrent session's disk side: a complete piece is hashed and written on the pool,
// and its outcome (verified, failed, write error) comes back to the network thread.
#include <spdlog/spdlog.h>

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/crypto/sha1.hpp"
#include "core/crypto/sha1_many.hpp"
#include "core/wire/codec.hpp"
#include "io/session/torrent_session.hpp"

namespace corrent::io {
namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;
using namespace std::chrono_literals;

namespace {
// The hash batch (crypto::sha1_many): all 16 lanes for pieces up to 1 MiB, 8 of 2 MiB.
// (12 MiB, 12 pieces of 1 MiB, before max_piece_buffer_bytes: 16 then took w2 past
// 32 MiB. Under the budget, 16 against 12: w1 wall 1.22 -> 1.15 s, CPU 0.93 -> 0.89 s;
// w3 0.77 -> 0.71 s; w2 peak 24.5 -> 28.6 MiB.)
constexpr std::int64_t max_hash_batch_bytes = 16 << 20;
// All piece buffers together, open and waiting for the disk: the batch being hashed plus
// room for the next one to fill meanwhile. Waiting pieces alone may fill it; then
// requests pause (torrent_session::fill_requests). Without it the open pieces (up to
// max_open_piece_bytes) came on top of the pending ones: four seeders took corrent to
// 29-38 MiB (12-piece batches); with it peak memory is the budget + ~4 MiB, steady.
constexpr std::int64_t max_piece_buffer_bytes = 24 << 20;
}  // namespace

// How many pieces are hashed together, and how much piece data may wait for the disk.
void torrent_session::size_disk_side() {
  const auto& t = torrent_;
  // Pieces hashed together (crypto::sha1_many): as many of the 16 vector lanes as
  // max_hash_batch_bytes fills; one at a time without the 16-lane path or for huge pieces.
  hash_batch_ = crypto::sha1_batch_size(t.piece_length, max_hash_batch_bytes);
  // Huge pieces: room for a few open ones and one on the disk.
  max_piece_bytes_ =
      static_cast<std::size_t>(std::max<std::int64_t>(max_piece_buffer_bytes, 6 * t.piece_length));
  // Piece buffers are kept for reuse up to what max_piece_bytes_ allows anyway:
  // no fresh pages (and page faults) for every piece.
  max_spare_buffers_ = std::max<std::size_t>(
      8, max_piece_bytes_ / static_cast<std::size_t>(std::max<std::int64_t>(1, t.piece_length)));
}

// Pieces waiting for the disk leave less room under max_piece_bytes_ for open ones: the
// picker opens no new piece (those open still finish) until the disk catches up.
void torrent_session::update_open_cap() {
  const auto len = static_cast<std::size_t>(std::max<std::int64_t>(1, torrent_.piece_length));
  const std::size_t budget = max_piece_bytes_ / len;
  const std::size_t room = budget > pending_disk_ ? budget - pending_disk_ : 0;
  picker_.set_max_open_pieces(
      static_cast<std::uint32_t>(std::clamp<std::size_t>(room, 1, max_open_pieces_)));
}

void torrent_session::submit_piece(std::uint32_t piece) {
  auto node = piece_buffers_.extract(piece);
  if (node.empty()) return;
  ++pending_disk_;
  update_open_cap();
  hash_batch_queue_.push_back({piece, std::move(node.mapped()), smart_ban_.watching(piece)});
  maybe_flush_hashes();
}

// A full batch goes to the pool now; so does a partial one when no requests are
// outstanding (no piece will join soon: the download's end, or every peer choked us)
// or when the pieces waiting would pause requests. While any peer could want our
// pieces (it is interested, or not a seed), every piece goes at once, as before
// batching: a piece held back is one it cannot get from us (three corrent leechers
// behind a --seed-ratio 1 seed: batching there made the seed send 1.4-1.7 copies
// instead of 1.2-1.4). Among seeds only, pieces wait at most 20 ms for the lanes.
void torrent_session::maybe_flush_hashes() {
  if (hash_batch_queue_.empty()) return;
  const bool wanted = std::any_of(peers_.begin(), peers_.end(), [](const auto& kv) {
    const auto& p = *kv.second;
    return p.handshake_done && (p.peer_interested || !p.has_bitfield || !p.has.all());
  });
  const bool capped =
      (pending_disk_ + 1) * static_cast<std::size_t>(torrent_.piece_length) > max_piece_bytes_;
  if (hash_batch_queue_.size() >= hash_batch_ || !requests_outstanding() || capped || stopping_ ||
      wanted) {
    flush_hashes();
  } else if (!hash_timer_armed_) {
    hash_timer_armed_ = true;
    hash_flush_timer_.expires_after(20ms);
    hash_flush_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled by flush_hashes(), which cleared the flag
      hash_timer_armed_ = false;
      flush_hashes();
    });
  }
}

// Hashes the batch on the pool (together: crypto::sha1_many), writes the pieces that
// passed, and posts each outcome back as soon as its piece is written: the buffer and
// the room under max_piece_bytes_ come back piece by piece (one post for the
// whole batch left requests paused for its whole write: w3 0.66 -> 0.82 s).
void torrent_session::flush_hashes() {
  if (hash_batch_queue_.empty()) return;
  hash_flush_timer_.cancel();
  hash_timer_armed_ = false;
  auto batch = std::make_shared<std::vector<hash_job>>(std::move(hash_batch_queue_));
  hash_batch_queue_.clear();
  asio::post(disk_pool_, [this, batch] {
    std::vector<std::string_view> bytes;
    bytes.reserve(batch->size());
    for (const auto& j : *batch) {
      bytes.emplace_back(j.data.get(), static_cast<std::size_t>(torrent_.piece_size(j.piece)));
    }
    std::vector<crypto::sha1_digest> digests(batch->size());
    crypto::sha1_many(bytes, digests);
    for (std::size_t i = 0; i < batch->size(); ++i) {
      auto& j = (*batch)[i];
      const bool ok = digests[i] == torrent_.piece_hash(j.piece);
      result<void> written;
      if (ok) written = storage_.write_piece(j.piece, j.data.get());
      // Block digests: of a failed piece to find the liar later, of a piece that failed
      // before to compare with (swarm::smart_ban).
      std::vector<crypto::sha1_digest> blocks;
      if (!ok || j.watched) blocks = swarm::block_digests(bytes[i]);
      asio::post(ioc_, [this, data = std::move(j.data), piece = j.piece, ok,
                        written = std::move(written), blocks = std::move(blocks)]() mutable {
        spare_buffers_.push_back(std::move(data));
        if (spare_buffers_.size() > max_spare_buffers_) spare_buffers_.pop_back();
        on_piece_done(piece, ok, written, blocks);
      });
    }
  });
}

void torrent_session::on_piece_done(std::uint32_t piece, bool hash_ok, result<void> written,
                                    const std::vector<crypto::sha1_digest>& blocks) {
  --pending_disk_;
  update_open_cap();
  if (!hash_ok) {
    on_piece_failed(piece, blocks);
  } else if (!written) {
    fail("cannot write piece " + std::to_string(piece) + ": " + written.error().message());
    return;
  } else {
    if (!blocks.empty()) {
      for (const auto& liar : smart_ban_.on_piece_verified(piece, blocks)) {
        ban(liar, "sent a block that differs from the verified piece " + std::to_string(piece));
      }
    }
    // Trust and parole matter once a piece has failed; until then nothing to track.
    const auto sent =
        hash_failures_ > 0 ? picker_.contributors(piece) : std::vector<swarm::peer_key>{};
    for (const auto key : sent) {
      const auto it = peers_.find(key);
      if (it == peers_.end()) continue;
      auto& kp = standing_[it->second->address];
      kp.trust = std::min(kp.trust + 1, trust_max);
      if (sent.size() == 1 && it->second->parole) {  // a whole good piece ends parole
        it->second->parole = kp.parole = false;
        picker_.end_exclusive(key);
      }
    }
    picker_.on_piece_verified(piece);
    verified_bytes_ += torrent_.piece_size(piece);
    // No 'have' to a peer that has the piece (a seeder, typically): it cannot want it,
    // and with 20 seeders the redundant haves were a send and a peer wake-up per piece
    // each (libtorrent's send_redundant_have=false does the same).
    for (auto& [key, p] : peers_) {
      if (!p->handshake_done || (p->has_bitfield && p->has.test(piece))) continue;
      wire::encode_have(p->out(), piece);
      p->flush();
    }
    check_finished();
  }
  fill_all_requests();
}

// A piece failed its hash check. Its only contributor is banned at once. With several,
// none can be blamed yet: each goes on parole (downloads whole pieces alone, so its next
// bad piece names it), and the blocks are recorded so that when the piece verifies the
// peer whose block differed is banned (smart ban). Each shared failure also costs trust
// that good pieces earn back (trust_*): a peer in many failures and few good pieces is
// banned. A piece sent in part by a peer already banned for bad data blames no one else.
void torrent_session::on_piece_failed(std::uint32_t piece,
                                      const std::vector<crypto::sha1_digest>& blocks) {
  ++hash_failures_;
  const auto blamed = picker_.contributors(piece);
  spdlog::warn("piece {} failed its hash check ({} peer(s) sent it)", piece, blamed.size());
  std::vector<std::optional<net::peer_address>> senders;
  for (const auto key : picker_.block_senders(piece)) {
    const auto it = peers_.find(key);
    senders.push_back(it == peers_.end() ? std::nullopt
                                         : std::optional<net::peer_address>(it->second->address));
  }
  picker_.on_piece_failed(piece);
  const bool liar_known = std::any_of(
      blamed.begin(), blamed.end(), [&](swarm::peer_key k) { return banned_keys_.count(k) != 0; });
  if (liar_known) return;
  if (blamed.size() > 1) smart_ban_.on_piece_failed(piece, senders, blocks);
  for (auto key : blamed) {
    auto it = peers_.find(key);
    if (it == peers_.end()) continue;
    auto& p = *it->second;
    ++p.hash_failures;
    auto& kp = standing_[p.address];
    // On parole already, a shared failure is a piece from before it (its own pieces it
    // downloads alone): no trust lost, or an honest peer sharing those with the liar
    // would be banned with it before smart ban can tell them apart.
    if (!p.parole || blamed.size() == 1) kp.trust -= trust_per_failure;
    if (blamed.size() == 1) {
      ban(p.address, "sent a piece that failed the hash check, alone");
    } else if (kp.trust <= trust_ban) {
      ban(p.address,
          "in " + std::to_string(p.hash_failures) + " pieces that failed the hash check");
    } else if (!p.parole) {
      spdlog::info("peer {} on parole: downloads whole pieces alone", p.address.to_string());
      p.parole = kp.parole = true;
    }
  }
}

void torrent_session::check_finished() {
  if (complete_ || !picker_.download_finished() || pending_disk_ > 0) return;
  complete_ = true;
  if (opts_.seed) {
    asio::co_spawn(ioc_, finish_and_seed(), log_exception);
  } else {
    stop(false);
  }
}

}  // namespace corrent::io
