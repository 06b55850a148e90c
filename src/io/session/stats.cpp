// The torrent session's numbers: rates, the status line's data, seed limits, the final
// summary, and the rate-limit pump.
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/crypto/sha1.hpp"
#include "core/wire/codec.hpp"
#include "io/session/torrent_session.hpp"

namespace corrent::io {
namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;
using namespace std::chrono_literals;

double torrent_session::now_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at_).count();
}

asio::awaitable<void> torrent_session::rate_loop() {
  asio::steady_timer t(co_await asio::this_coro::executor);
  while (!stopping_) {
    t.expires_after(20ms);
    co_await t.async_wait(as_tuple(use_awaitable));
    std::size_t busy = busy_peers();
    for (auto& [key, p] : peers_) {
      if (!p->handshake_done) continue;
      fill_requests(*p, &busy);
      serve_requests(*p);
    }
  }
}

download_status torrent_session::status() const {
  download_status s;
  s.pieces_done = picker_.have_count();
  s.pieces_total = torrent_.num_pieces();
  s.bytes_done = verified_bytes_;
  s.bytes_total = torrent_.total_length;
  s.down_rate = down_meter_.rate;
  s.up_rate = up_meter_.rate;
  for (const auto& [key, p] : peers_) s.peers_connected += p->handshake_done ? 1 : 0;
  s.peers_known = static_cast<int>(known_.size());
  s.elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at_).count();
  s.hash_failures = hash_failures_;
  s.uploaded_total = uploaded_bytes_;
  s.seeding = seeding_;
  if (seeding_) {
    s.seeding_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - seeding_since_).count();
  }
  s.tracker_state = tracker_state_;
  return s;
}

asio::awaitable<void> torrent_session::status_loop() {
  asio::steady_timer t(co_await asio::this_coro::executor);
  auto last = std::chrono::steady_clock::now();
  while (!stopping_) {
    t.expires_after(1s);
    co_await t.async_wait(as_tuple(use_awaitable));
    const auto now = std::chrono::steady_clock::now();
    const double dt = std::chrono::duration<double>(now - last).count();
    last = now;
    if (dt <= 0) continue;
    down_meter_.tick(dt);
    up_meter_.tick(dt);
    for (auto& [key, p] : peers_) {
      p->downloaded.tick(dt);
      p->uploaded.tick(dt);
    }
    if (!complete_) {
      // A slot holder with no requests for a second has nothing for us (or is stalled):
      // its slot goes to a peer that waits.
      for (auto& [key, p] : peers_) {
        if (p->download_slot && p->requests.empty() && now - p->last_block_at > 1s) {
          p->download_slot = false;
        }
      }
      const bool waiting = peer_waiting();
      slots_.tick(down_meter_.rate, busy_peers(), waiting);
      if (waiting) {  // a slot may have grown or come free
        fill_all_requests();
      }
    }
    if (on_status_ && !stopping_) on_status_(status());
    if (seeding_) {
      const auto st = status();
      if (seed_ratio_reached()) {
        stop(false);
      } else if (opts_.seed_time_s > 0 && st.seeding_s >= opts_.seed_time_s) {
        spdlog::info("seeded for {:.0f} s", st.seeding_s);
        stop(false);
      }
    }
  }
}

download_summary torrent_session::summary() const {
  download_summary s;
  s.complete = complete_ && error_.empty();
  s.interrupted = interrupted_;
  s.error = error_;
  s.downloaded_bytes = downloaded_bytes_;
  s.uploaded_bytes = uploaded_bytes_;
  s.hash_failures = hash_failures_;
  s.elapsed_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at_).count();
  s.first_byte_s = first_byte_s_;
  // One entry per address: reconnections add up.
  std::vector<peer_summary> all = finished_peers_;
  for (const auto& [key, p] : peers_) {
    if (!p->handshake_done) continue;
    all.push_back({p->address.to_string(), client_name(p->remote_id), p->downloaded.total,
                   p->uploaded.total, p->hash_failures, false});
  }
  std::map<std::string, peer_summary> by_address;
  for (const auto& ps : all) {
    auto [it, fresh] = by_address.try_emplace(ps.address, ps);
    if (!fresh) {
      it->second.downloaded += ps.downloaded;
      it->second.uploaded += ps.uploaded;
      it->second.hash_failures += ps.hash_failures;
    }
  }
  for (auto& [address, ps] : by_address) {
    if (auto a = net::peer_address::parse(address)) {
      if (auto it = known_.find(*a); it != known_.end()) ps.banned = it->second.banned;
    }
    s.peers.push_back(ps);
  }
  return s;
}

}  // namespace corrent::io
