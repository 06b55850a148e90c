// The torrent session's disk side: a complete piece is hashed and written on the pool,
// and its outcome (verified, failed, write error) comes back to the network thread.
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
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

void torrent_session::submit_piece(std::uint32_t piece) {
  auto node = piece_buffers_.extract(piece);
  if (node.empty()) return;
  ++pending_disk_;
  char* data = node.mapped().release();
  const auto expected = torrent_.piece_hash(piece);
  const auto size = static_cast<std::size_t>(torrent_.piece_size(piece));
  asio::post(disk_pool_, [this, piece, data, expected, size] {
    const bool ok = crypto::sha1(std::string_view(data, size)) == expected;
    result<void> written;
    if (ok) written = storage_.write_piece(piece, data);
    asio::post(ioc_, [this, piece, data, ok, written] {
      spare_buffers_.emplace_back(data);
      if (spare_buffers_.size() > 8) spare_buffers_.pop_back();
      on_piece_done(piece, ok, written);
    });
  });
}

void torrent_session::on_piece_done(std::uint32_t piece, bool hash_ok, result<void> written) {
  --pending_disk_;
  if (!hash_ok) {
    ++hash_failures_;
    const auto blamed = picker_.contributors(piece);
    spdlog::warn("piece {} failed its hash check ({} peer(s) sent it)", piece, blamed.size());
    picker_.on_piece_failed(piece);
    for (auto key : blamed) {
      auto it = peers_.find(key);
      if (it == peers_.end()) continue;
      auto& p = *it->second;
      ++p.hash_failures;
      if (blamed.size() == 1 || p.hash_failures >= 2)
        ban(p, "sent data that failed the hash check");
    }
  } else if (!written) {
    fail("cannot write piece " + std::to_string(piece) + ": " + written.error().message());
    return;
  } else {
    picker_.on_piece_verified(piece);
    verified_bytes_ += torrent_.piece_size(piece);
    for (auto& [key, p] : peers_) {
      if (!p->handshake_done) continue;
      wire::encode_have(p->out(), piece);
      p->flush();
    }
    check_finished();
  }
  for (auto& [key, p] : peers_) fill_requests(*p);
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
