// The torrent session's upload side (BEP 3): choking by swarm::choker, validating and
// serving the peers' requests from disk on the thread pool, and — once the download is
// complete — moving the files into place and carrying on as a seed.
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/wire/codec.hpp"
#include "io/session/torrent_session.hpp"

namespace corrent::io {
namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;
using namespace std::chrono_literals;

namespace {
constexpr std::size_t max_queued_requests = 2048;  // per peer; more is a flood: disconnect
constexpr int max_batches_per_peer = 4;            // disk reads in flight for one peer
constexpr std::size_t blocks_per_batch = 16;       // up to 256 KiB per read task
constexpr std::size_t max_unsent_bytes = 4 << 20;  // per peer, before we stop reading
constexpr auto rechoke_interval = 10s;
}  // namespace

bool torrent_session::on_request(peer_connection& p, const wire::message& m) {
  const swarm::block_ref b{m.piece, m.begin, m.length};
  if (picker_.check_block(b) || m.length == 0 || m.length > wire::block_size) {
    p.close_reason = "request out of range";
    return false;
  }
  if (p.am_choking || !picker_.have(m.piece)) return true;  // BEP 3: ignored
  if (p.incoming.size() >= max_queued_requests) {
    p.close_reason = "too many queued requests";
    return false;
  }
  p.incoming.push_back(b);
  return true;
}

void torrent_session::serve_requests(peer_connection& p) {
  // Requests are read in batches of consecutive queue entries, one pool task each, into
  // one buffer of ready-to-send piece messages: one thread hand-off per batch, not per block.
  while (!serving_paused_ && !p.am_choking && !p.incoming.empty() &&
         p.reads_in_flight < max_batches_per_peer && p.unsent_bytes() < max_unsent_bytes) {
    std::size_t limit = blocks_per_batch;
    if (up_bucket_.limited()) {
      const double tokens = up_bucket_.available(now_s());
      if (tokens < wire::block_size) return;  // rate_loop comes back when tokens accrue
      limit = std::min(limit, static_cast<std::size_t>(tokens / wire::block_size));
    }
    auto batch = std::make_shared<std::vector<swarm::block_ref>>();
    double bytes = 0;
    while (!p.incoming.empty() && batch->size() < limit) {
      batch->push_back(p.incoming.front());
      bytes += p.incoming.front().length;
      p.incoming.pop_front();
    }
    up_bucket_.consume(bytes, now_s());
    ++p.reads_in_flight;
    ++reads_in_flight_;
    std::size_t total = 0;
    for (const auto& b : *batch) total += wire::piece_header_size + b.length;
    auto buf = read_buffers_->get(total);
    asio::post(disk_pool_, [this, key = p.key, batch, buf] {
      result<void> r;
      for (const auto& b : *batch) {
        wire::encode_piece_header(buf->data.get() + buf->size, b.piece, b.begin, b.length);
        buf->size += wire::piece_header_size;
        r = storage_.read_block(b.piece, b.begin, b.length, buf->data.get() + buf->size);
        if (!r) break;
        buf->size += b.length;
      }
      asio::post(ioc_, [this, key, batch, buf, r] { on_block_read(key, *batch, buf, r); });
    });
  }
}

void torrent_session::on_block_read(swarm::peer_key key, const std::vector<swarm::block_ref>& batch,
                                    std::shared_ptr<pooled_buffer> buf, result<void> r) {
  --reads_in_flight_;
  auto it = peers_.find(key);
  if (it == peers_.end()) return;
  auto& p = *it->second;
  --p.reads_in_flight;
  if (!r) {
    spdlog::error("cannot read data to upload: {}", r.error().message());
    p.close("local read error");
    return;
  }
  if (p.am_choking) return;  // choked meanwhile: the requests are void
  std::int64_t bytes = 0;
  for (const auto& b : batch) bytes += b.length;
  const auto bytes_view = buf->view();
  p.send(std::move(buf), bytes_view);
  p.uploaded.total += bytes;
  uploaded_bytes_ += bytes;
  up_meter_.total += bytes;
  for (const auto& b : batch) {
    const std::size_t index = b.piece * blocks_per_piece_ + b.begin / wire::block_size;
    if (index < sent_blocks_.size() && !sent_blocks_[index]) {
      sent_blocks_[index] = true;
      ++sent_block_count_;
    }
  }
  p.flush();
  if (seed_ratio_reached()) {
    stop(false);
    return;
  }
  serve_requests(p);
}

bool torrent_session::seed_ratio_reached() {
  if (!seeding_ || opts_.seed_ratio <= 0 || torrent_.total_length <= 0) return false;
  if (static_cast<double>(uploaded_bytes_) < opts_.seed_ratio * torrent_.total_length) return false;
  // Do not leave while an interested peer may still need a block nobody got from us:
  // a ratio reached with duplicates must not strand the swarm short of a full copy.
  if (sent_block_count_ < total_blocks_) {
    for (const auto& [key, p] : peers_) {
      if (p->handshake_done && p->peer_interested) return false;
    }
  }
  spdlog::info("seed ratio {:.2f} reached", opts_.seed_ratio);
  return true;
}

void torrent_session::rechoke() {
  std::vector<swarm::choke_candidate> candidates;
  candidates.reserve(peers_.size());
  for (const auto& [key, p] : peers_) {
    if (!p->handshake_done) continue;
    candidates.push_back(
        {key, p->peer_interested, !p->am_choking, p->downloaded.rate, p->uploaded.rate});
  }
  const double now_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at_).count();
  const auto unchoke = choker_.rechoke(candidates, now_s, seeding_, rng_());
  for (auto& [key, p] : peers_) {
    if (!p->handshake_done) continue;
    const bool want_unchoked = std::find(unchoke.begin(), unchoke.end(), key) != unchoke.end();
    if (want_unchoked && p->am_choking) {
      p->am_choking = false;
      wire::encode_unchoke(p->out());
      p->flush();
    } else if (!want_unchoked && !p->am_choking) {
      p->am_choking = true;
      p->incoming.clear();  // BEP 3: a choke discards the peer's pending requests
      wire::encode_choke(p->out());
      p->flush();
    }
  }
}

asio::awaitable<void> torrent_session::choke_loop() {
  auto last = std::chrono::steady_clock::now() - rechoke_interval;
  while (!stopping_) {
    // Woken early (interest changed, a peer left): rechoke at most once a second then.
    const auto now = std::chrono::steady_clock::now();
    if (now - last >= 1s) {
      rechoke();
      last = now;
    }
    wake_choke_.expires_after(rechoke_interval);
    co_await wake_choke_.async_wait(as_tuple(use_awaitable));
    if (std::chrono::steady_clock::now() - last < 1s) {
      asio::steady_timer t(co_await asio::this_coro::executor);
      t.expires_at(last + 1s);
      co_await t.async_wait(as_tuple(use_awaitable));
    }
  }
}

asio::awaitable<void> torrent_session::finish_and_seed() {
  // Let reads and writes in flight finish before the files move under them.
  serving_paused_ = true;
  asio::steady_timer t(co_await asio::this_coro::executor);
  while ((reads_in_flight_ > 0 || pending_disk_ > 0 || checkpoint_running_) && !stopping_) {
    t.expires_after(5ms);
    co_await t.async_wait(as_tuple(use_awaitable));
  }
  if (stopping_) co_return;
  if (auto r = storage_.sync(); !r) {
    fail("cannot flush files: " + r.error().message());
    co_return;
  }
  if (auto r = storage_.move_to_final(); !r) {
    fail("cannot move files into place: " + r.error().message());
    co_return;
  }
  moved_ = true;
  seeding_ = true;
  seeding_since_ = std::chrono::steady_clock::now();
  serving_paused_ = false;
  spdlog::info("download complete: {}; seeding", (opts_.output_dir / torrent_.name).string());
  for (auto& [key, p] : peers_) {
    update_interest(*p);
    serve_requests(*p);
  }
  wake_choke_.cancel();
  co_await announce_once(tracker::event::completed, 5s);
}

}  // namespace corrent::io
