// io::torrent, its connections: dialling (the MSE handshake first unless disabled, then
// BEP 3's), attaching incoming ones the session handed over, and the events of each
// connection passed to the logic.
#include <spdlog/spdlog.h>

#include "core/mse/handshake.hpp"
#include "core/wire/codec.hpp"
#include "io/peer/handshaker.hpp"
#include "io/peer/mse_handshake.hpp"
#include "io/torrent/torrent.hpp"

namespace corrent::io {
namespace asio = boost::asio;

// ---------------------------------------------------------------- peers

std::optional<peer::close_reason> torrent::may_attach(const net::peer_address& address,
                                                      bool outgoing) {
  if (!running_ || stopping_ || !logic_) return peer::close_reason::torrent_stopping;
  auto why = logic_->may_attach(address, outgoing, host_.now());
  process();  // a useless peer may have been closed to make room
  return why;
}

void torrent::attach(std::unique_ptr<peer_stream> stream, const wire::handshake& theirs,
                     net::peer_address address) {
  auto conn = std::make_shared<peer_connection>(host_.executor(), std::move(stream), *this,
                                                host_.next_peer_key(), address, false);
  tasks_.spawn(run_connection(std::move(conn), theirs));
}

asio::awaitable<void> torrent::dial(net::peer_address address, bool plaintext) {
  auto failed = [&](peer::close_reason why, const std::string& detail) {
    spdlog::debug("dial {} failed: {}{}{}", address.to_string(), peer::to_string(why),
                  detail.empty() ? "" : ": ", detail);
    if (logic_ && running_) {
      logic_->on_connect_failed(address, why, host_.now());
      process();
    }
  };
  auto d = co_await dial_tcp(host_.executor(), address);
  if (!d.stream) {
    failed(d.why, d.detail);
    co_return;
  }
  auto deadline = std::chrono::steady_clock::now() + handshake_timeout;
  wire::handshake ours;
  ours.info_hash = info_hash();
  ours.id = host_.peer_id();
  ours.reserved = wire::our_reserved(host_.dht() != nullptr);
  bool sent = false;     // our handshake went as MSE's initial payload
  bool refused = false;  // the encrypted attempt failed and we redialled in plaintext
  const auto policy = host_.options().encryption;
  if (policy == encryption_policy::require || (policy == encryption_policy::prefer && !plaintext)) {
    const std::uint32_t provide =
        policy == encryption_policy::require ? mse::bit(mse::method::rc4) : mse::all_methods;
    const auto hs = wire::encode_handshake(ours);
    auto m = co_await mse_connect(std::move(d.stream), info_hash(),
                                  std::string(hs.begin(), hs.end()), provide, deadline);
    if (m.stream) {
      d.stream = std::move(m.stream);
      sent = true;
    } else if (policy == encryption_policy::require) {
      failed(peer::close_reason::bad_encryption,
             std::string(peer::to_string(m.why)) + (m.detail.empty() ? "" : ": ") + m.detail);
      co_return;
    } else {
      // The peer does not speak MSE (it hung up on our key, or failed it): once more in
      // plaintext.
      spdlog::debug("dial {}: encrypted handshake failed ({}{}{}), trying plaintext",
                    address.to_string(), peer::to_string(m.why), m.detail.empty() ? "" : ": ",
                    m.detail);
      d = co_await dial_tcp(host_.executor(), address);
      if (!d.stream) {
        failed(d.why, d.detail);
        co_return;
      }
      deadline = std::chrono::steady_clock::now() + handshake_timeout;
      refused = true;
    }
  }
  if (!sent) {
    if (auto w = co_await write_handshake(*d.stream, ours, deadline);
        w.why != peer::close_reason::none) {
      failed(w.why, w.detail);
      co_return;
    }
  }
  auto r = co_await read_handshake(*d.stream, deadline);
  if (!r.theirs) {
    failed(r.why, r.detail);
    co_return;
  }
  if (r.theirs->info_hash != info_hash()) {
    failed(peer::close_reason::unknown_info_hash, {});
    co_return;
  }
  if (r.theirs->id == host_.peer_id()) {
    failed(peer::close_reason::self_connection, {});
    co_return;
  }
  if (auto why = may_attach(address, true)) {
    failed(*why, {});
    co_return;
  }
  if (refused && logic_) logic_->on_plaintext_only(address);
  auto conn = std::make_shared<peer_connection>(host_.executor(), std::move(d.stream), *this,
                                                host_.next_peer_key(), address, true);
  co_await run_connection(std::move(conn), *r.theirs);
}

asio::awaitable<void> torrent::run_connection(std::shared_ptr<peer_connection> conn,
                                              wire::handshake theirs) {
  if (!logic_ || !running_ || stopping_) {
    conn->close(peer::close_reason::torrent_stopping);
    co_return;
  }
  conns_[conn->key] = conn;
  logic_->on_peer_connected(conn->key, conn->address, conn->outgoing, theirs.id, theirs.reserved,
                            host_.now());
  // Which transport each address used (for --stats), bounded like the peer records.
  if (transports_.size() < 10'000 || transports_.contains(conn->address.to_string()))
    transports_[conn->address.to_string()] = std::string(conn->transport());
  spdlog::debug("peer {} ({}) connected over {}", conn->address.to_string(), client_name(theirs.id),
                conn->transport());
  process();
  co_await peer_connection::run(conn);
}

bool torrent::on_message(peer_connection& c, const wire::message& m) {
  if (!logic_) return false;
  const bool ok = logic_->on_message(c.key, m, host_.now());
  process();  // blocks are stored now, while the message's bytes are valid
  if (!ok) {
    if (const auto* st = logic_->find_peer(c.key)) c.close(st->closing, st->close_detail);
  }
  return ok;
}

void torrent::after_messages(peer_connection& c) {
  if (!logic_) return;
  logic_->after_messages(c.key, host_.now());
  process();
  serve(c);
}

void torrent::on_write_done(peer_connection& c) {
  serve(c);
}

void torrent::on_closed(peer_connection& c) {
  const auto it = conns_.find(c.key);
  if (it == conns_.end()) return;
  auto self = it->second;  // alive until the end of this function
  conns_.erase(it);
  spdlog::debug("peer {} closed: {}", c.address.to_string(), c.close_text());
  if (!logic_) return;
  if (auto* st = logic_->find_peer(c.key)) {
    if (!st->is_closing()) st->close(c.close_reason(), c.close_detail());  // counted by reason
    logic_->on_peer_closed(c.key, host_.now());
  }
  process();
}

}  // namespace corrent::io
