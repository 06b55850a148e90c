// io::torrent, the disk side: blocks are stored into piece buffers; a complete piece is
// hashed and written on the session's disk pool, and its outcome (verified, failed, write
// error) comes back to the network thread. Checkpoints of the resume file, and moving the
// files into place at the end, also run on the pool. Every job holds the torrent alive
// (shared_from_this) and is counted, so stop() can wait until none is left.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>

#include "core/crypto/sha1.hpp"
#include "core/crypto/sha1_many.hpp"
#include "core/text/printable.hpp"
#include "io/storage/disk_io.hpp"
#include "io/storage/recheck.hpp"
#include "io/storage/whole_file.hpp"
#include "io/torrent/torrent.hpp"

namespace corrent::io {
namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;
using namespace std::chrono_literals;

namespace {
// The hash batch (crypto::sha1_many): all 16 lanes for pieces up to 1 MiB, 8 of 2 MiB.
constexpr std::int64_t max_hash_batch_bytes = 16 << 20;
constexpr double checkpoint_interval_s = 2;
}  // namespace

void torrent::size_disk_side() {
  const auto len = std::max<std::int64_t>(1, info_->piece_length);
  hash_batch_ = crypto::sha1_batch_size(len, max_hash_batch_bytes);
  flush_ledger_.reset(have_);  // sized; the check says what is on disk
}

void torrent::store_block(const corrent::torrent::action& a) {
  auto& buf = piece_buffers_[a.block.piece];
  if (!buf) buf = host_.disk().piece_buffers().get(static_cast<std::size_t>(info_->piece_length));
  std::memcpy(buf.get() + a.block.begin, a.data.data(), a.data.size());
}

void torrent::submit_piece(std::uint32_t piece) {
  auto node = piece_buffers_.extract(piece);
  if (node.empty()) return;
  ++pending_disk_;
  hash_batch_queue_.push_back({piece, std::move(node.mapped()), logic_->watching(piece)});
  maybe_flush_hashes();
}

// A full batch goes to the pool now; so does a partial one when no requests are
// outstanding (no piece will join soon: the download's end, or every peer choked us)
// or when the pieces waiting would pause requests. While any peer could want our
// pieces (it is interested, or not a seed), every piece goes at once: a piece held back
// is one it cannot get from us (three corrent leechers behind a --seed-ratio 1 seed:
// batching there made the seed send 1.4-1.7 copies instead of 1.2-1.4). Among seeds
// only, pieces wait at most 20 ms for the lanes.
void torrent::maybe_flush_hashes() {
  if (hash_batch_queue_.empty()) return;
  const auto& budget = host_.disk().budget();
  const bool capped = budget.pending_bytes() + info_->piece_length > budget.capacity();
  if (hash_batch_queue_.size() >= hash_batch_ || !logic_ || logic_->stopping() ||
      !logic_->requests_outstanding() || capped || logic_->peers_may_want_pieces()) {
    flush_hashes();
  } else if (!hash_timer_armed_) {
    hash_timer_armed_ = true;
    hash_flush_timer_->expires_after(20ms);
    hash_flush_timer_->async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
      auto self = weak.lock();
      if (ec || !self) return;  // cancelled by flush_hashes(), which cleared the flag
      self->hash_timer_armed_ = false;
      self->flush_hashes();
    });
  }
}

// Hashes the batch on the pool (together: crypto::sha1_many), writes the pieces that
// passed, and posts each outcome back as soon as its piece is written: the buffer and
// the room in the budget come back piece by piece.
void torrent::flush_hashes() {
  if (hash_batch_queue_.empty()) return;
  hash_flush_timer_->cancel();
  hash_timer_armed_ = false;
  auto batch = std::make_shared<std::vector<hash_job>>(std::move(hash_batch_queue_));
  hash_batch_queue_.clear();
  host_.disk().post([self = shared_from_this(), batch] {
    const auto& info = *self->info_;
    std::vector<std::string_view> bytes;
    bytes.reserve(batch->size());
    for (const auto& j : *batch) {
      bytes.emplace_back(j.data.get(), static_cast<std::size_t>(info.piece_size(j.piece)));
    }
    std::vector<crypto::sha1_digest> digests(batch->size());
    crypto::sha1_many(bytes, digests);
    for (std::size_t i = 0; i < batch->size(); ++i) {
      auto& j = (*batch)[i];
      const bool ok = digests[i] == info.piece_hash(j.piece);
      result<void> written;
      if (ok) written = self->storage_->write_piece(j.piece, j.data.get());
      // Block digests: of a failed piece to find the liar later, of a piece that failed
      // before to compare with (swarm::smart_ban).
      std::vector<crypto::sha1_digest> blocks;
      if (!ok || j.watched) blocks = swarm::block_digests(bytes[i]);
      asio::post(self->host_.executor(),
                 [self, data = std::move(j.data), piece = j.piece, ok, written = std::move(written),
                  blocks = std::move(blocks)]() mutable {
                   self->on_piece_done(piece, ok, std::move(written), std::move(blocks));
                   // After the budget released the piece: the spare fits in it or is freed.
                   self->host_.disk().piece_buffers().put(
                       std::move(data), static_cast<std::size_t>(self->info_->piece_length));
                 });
    }
  });
}

void torrent::on_piece_done(std::uint32_t piece, bool hash_ok, result<void> written,
                            std::vector<crypto::sha1_digest> blocks) {
  --pending_disk_;
  if (!logic_) return;  // stopped meanwhile (cannot happen: stop waits for the disk)
  const auto& budget = host_.disk().budget();
  const bool was_short = budget.free_bytes() < info_->piece_length || budget.pending_full();
  if (hash_ok && !written) {
    // Not the peers' fault: nobody is blamed, the torrent stops with the error (the piece
    // stays charged to the budget until the logic is gone).
    fail("cannot write piece " + std::to_string(piece) + ": " + written.error().message());
    return;
  }
  logic_->on_piece_hashed(piece, hash_ok, blocks, host_.now());
  process();
  if (was_short) host_.on_budget_freed();
}

asio::awaitable<void> torrent::wait_for_disk(bool uploads_too, std::chrono::milliseconds limit) {
  asio::steady_timer t(host_.executor());
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    bool busy = pending_disk_ > 0 || checkpoint_running_;
    if (uploads_too) {
      busy = busy || reads_in_flight_ > 0;
      // Delivered, not just written: closing a connection with unread input resets it,
      // and what still sat in the kernel's send queue was lost (a seed that stopped at its
      // ratio left a leecher short of its last blocks).
      for (const auto& [key, c] : conns_) busy = busy || !c->output_delivered();
    } else {
      busy = busy || reads_in_flight_ > 0;
    }
    if (!busy) co_return;
    t.expires_after(5ms);
    co_await t.async_wait(as_tuple(use_awaitable));
  }
}

// ---------------------------------------------------------------- checkpoints

void torrent::maybe_checkpoint() {
  const double now = host_.now();
  if (!logic_ || !storage_ || complete_ || moved_ || checkpoint_running_ ||
      now - last_checkpoint_ < checkpoint_interval_s || logic_->have_count() == checkpointed_count_)
    return;
  last_checkpoint_ = now;
  // Snapshot on this thread: only pieces already written are in the bitfield.
  checkpoint_running_ = true;
  const std::uint32_t count = logic_->have_count();
  auto verified =
      std::make_shared<swarm::bitfield>(flush_ledger_.vouchable(logic_->have_bitfield()));
  const std::int64_t down = logic_->downloaded_bytes(), up = logic_->uploaded_bytes();
  host_.disk().post([self = shared_from_this(), verified, count, down, up] {
    result<void> r = self->storage_->sync();
    const bool synced = static_cast<bool>(r);
    if (r) {
      const auto state =
          make_resume_state(*self->info_, self->storage_->parts_dir(), *verified, down, up);
      r = replace_file_atomically(self->storage_->resume_path(), resume::encode_resume(state));
    }
    asio::post(self->host_.executor(), [self, r, count, synced, verified] {
      self->checkpoint_running_ = false;
      if (!synced) self->on_sync_failed();
      if (synced) self->flush_ledger_.flush_succeeded(*verified);
      if (!r) {
        spdlog::error("checkpoint failed: {}", r.error().message());
        return;
      }
      self->checkpointed_count_ = count;
    });
  });
}

void torrent::on_sync_failed() {
  // Pieces whose writes run beside the flush on the other disk thread may be lost too.
  const std::size_t added = flush_ledger_.flush_failed(logic_ ? logic_->have_or_at_disk() : have_);
  if (added) {
    spdlog::warn(
        "{}: flushing to disk failed: {} piece{} written since the last good flush may "
        "be lost; no resume state vouches for them (they are checked again at the next "
        "start)",
        text::printable(name()), added, added == 1 ? "" : "s");
  }
}

// The final checkpoint (at a stop): flush the written pieces, then the resume file.
asio::awaitable<result<void>> torrent::checkpoint() {
  const swarm::bitfield verified =
      flush_ledger_.vouchable(logic_ ? logic_->have_bitfield() : have_);
  const std::int64_t down = logic_ ? logic_->downloaded_bytes() : prior_downloaded_;
  const std::int64_t up = logic_ ? logic_->uploaded_bytes() : prior_uploaded_;
  auto self = shared_from_this();
  std::function<result<void>()> work = [self, verified, down, up]() -> result<void> {
    if (auto r = self->storage_->sync(); !r) return r;
    const auto state =
        make_resume_state(*self->info_, self->storage_->parts_dir(), verified, down, up);
    return replace_file_atomically(self->storage_->resume_path(), resume::encode_resume(state));
  };  // named: see check_files()
  co_return co_await host_.disk().run(std::move(work));
}

// ---------------------------------------------------------------- the end of a download

asio::awaitable<result<void>> torrent::move_into_place() {
  if (flush_ledger_.unsafe_count() > 0) {
    // Their writeback may have failed: the files are not declared done with them. The
    // resume file does not vouch for them, so the next run checks them again (and fetches
    // what was lost).
    co_return error{make_error_code(boost::system::errc::io_error),
                    std::to_string(flush_ledger_.unsafe_count()) +
                        " piece(s) written before a failed flush to disk may be lost: not "
                        "moved into place; run the same command again to check them"};
  }
  auto self = shared_from_this();
  std::function<result<void>()> work = [self]() -> result<void> {
    if (auto s = self->storage_->sync(); !s) {
      return error{s.error().code, "cannot flush files: " + s.error().message()};
    }
    if (auto m = self->storage_->move_to_final(); !m) {
      return error{m.error().code, "cannot move files into place: " + m.error().message()};
    }
    return {};
  };  // named: see check_files()
  auto r = co_await host_.disk().run(std::move(work));
  if (r) moved_ = true;  // before any other co_await: a cancellation cannot lose it
  if (r) co_await save_seed_record();
  co_return r;
}

asio::awaitable<void> torrent::save_seed_record() {
  if (options_.resume_file.empty() || !info_ || !moved_) co_return;
  const std::int64_t down = logic_ ? logic_->downloaded_bytes() : prior_downloaded_;
  const std::int64_t up = logic_ ? logic_->uploaded_bytes() : prior_uploaded_;
  swarm::bitfield all(static_cast<std::size_t>(info_->num_pieces()));
  all.set_all();
  auto self = shared_from_this();
  std::function<result<void>()> work = [self, all, down, up]() -> result<void> {
    const auto state = make_resume_state(*self->info_, self->options_.output_dir, all, down, up);
    return replace_file_atomically(self->options_.resume_file, resume::encode_resume(state));
  };  // named: see check_files()
  if (auto r = co_await host_.disk().run(std::move(work)); !r)
    spdlog::warn("cannot save the seed record: {}", r.error().message());
}

asio::awaitable<void> torrent::finish_download() {
  // Let reads and writes in flight finish before the files move under them.
  serving_paused_ = true;
  asio::steady_timer t(host_.executor());
  while ((reads_in_flight_ > 0 || pending_disk_ > 0 || checkpoint_running_) && !stopping_) {
    t.expires_after(5ms);
    co_await t.async_wait(as_tuple(use_awaitable));
  }
  if (stopping_) co_return;
  if (!options_.seed && !options_.seed_only) {
    host_.on_torrent_done(*this);  // stop() moves the files and tells the trackers
    co_return;
  }
  if (auto r = co_await move_into_place(); !r) {
    fail(r.error().message());
    co_return;
  }
  if (!logic_ || stopping_) co_return;
  logic_->set_seeding(true, host_.now());
  set_state(torrent_state::seeding);
  serving_paused_ = false;
  spdlog::info("download complete: {}; seeding",
               text::printable((options_.output_dir / info_->name).string()));
  process();
  serve_all();
  co_await announce_once(tracker::event::completed, 5s);
}

}  // namespace corrent::io
