#include "io/session/torrent_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>

#include "core/crypto/sha1.hpp"
#include "core/wire/codec.hpp"

namespace corrent::io {
namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;
using namespace std::chrono_literals;

namespace {

wire::peer_id make_peer_id(std::mt19937_64& rng) {
  wire::peer_id id{};
  const char prefix[] = "-CR0010-";  // BEP 20 style: corrent 0.1.0
  std::memcpy(id.data(), prefix, 8);
  static constexpr char alphabet[] =
      "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (std::size_t i = 8; i < id.size(); ++i)
    id[i] = static_cast<std::uint8_t>(alphabet[rng() % 62]);
  return id;
}

}  // namespace

void log_exception(std::exception_ptr e) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    spdlog::error("internal error: {}", ex.what());
  }
}

std::string client_name(const wire::peer_id& id) {
  std::string s;
  for (std::size_t i = 0; i < 8; ++i) {
    const char c = static_cast<char>(id[i]);
    s += (c >= 0x20 && c < 0x7f) ? c : '.';
  }
  return s;
}

torrent_session::torrent_session(asio::io_context& ioc, const metainfo::torrent& t,
                                 const download_options& opts,
                                 std::function<void(const download_status&)> on_status)
    : ioc_(ioc),
      torrent_(t),
      opts_(opts),
      on_status_(std::move(on_status)),
      picker_(t.num_pieces(), t.piece_length, t.total_length),
      storage_(t, opts.output_dir),
      acceptor_(ioc),
      wake_connect_(ioc),
      wake_announce_(ioc),
      done_(ioc),
      wake_choke_(ioc),
      rng_(std::random_device{}()),
      hash_flush_timer_(ioc) {
  peer_id_ = make_peer_id(rng_);
  blocks_per_piece_ =
      static_cast<std::size_t>((t.piece_length + wire::block_size - 1) / wire::block_size);
  if (t.num_pieces() > 0) {
    const auto last = static_cast<std::size_t>(
        (t.piece_size(t.num_pieces() - 1) + wire::block_size - 1) / wire::block_size);
    total_blocks_ = static_cast<std::size_t>(t.num_pieces() - 1) * blocks_per_piece_ + last;
    sent_blocks_.assign(static_cast<std::size_t>(t.num_pieces()) * blocks_per_piece_, false);
  }
  // Burst: a fifth of a second of the rate, at least 4 blocks, so limits hold within a few
  // percent over seconds without stalling single blocks.
  if (opts_.max_download_rate > 0) {
    down_bucket_ = swarm::token_bucket(
        opts_.max_download_rate, std::max(opts_.max_download_rate * 0.2, 4.0 * wire::block_size));
  }
  if (opts_.max_upload_rate > 0) {
    up_bucket_ = swarm::token_bucket(opts_.max_upload_rate,
                                     std::max(opts_.max_upload_rate * 0.2, 4.0 * wire::block_size));
  }
  tracker_key_ = static_cast<std::uint32_t>(rng_());
  max_open_pieces_ = static_cast<std::uint32_t>(
      std::max<std::int64_t>(4, max_open_piece_bytes / std::max<std::int64_t>(1, t.piece_length)));
  size_disk_side();
  update_open_cap();
}

torrent_session::~torrent_session() {
  disk_pool_.join();
}

result<void> torrent_session::open_listener() {
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(opts_.listen_host, ec);
  if (ec) return error{ec, "--listen address " + opts_.listen_host};
  const int attempts = opts_.listen_port_fixed || opts_.listen_port == 0 ? 1 : 9;
  for (int i = 0; i < attempts; ++i) {
    asio::ip::tcp::endpoint ep(ip, static_cast<std::uint16_t>(opts_.listen_port + i));
    acceptor_.close(ec);
    acceptor_.open(ep.protocol(), ec);
    if (ec) continue;
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    acceptor_.bind(ep, ec);
    if (ec) continue;
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) continue;
    listen_port_ = acceptor_.local_endpoint().port();
    return {};
  }
  return error{ec,
               "cannot listen on " + opts_.listen_host + ":" + std::to_string(opts_.listen_port)};
}

asio::awaitable<void> torrent_session::run() {
  started_at_ = std::chrono::steady_clock::now();
  if (!restore_progress()) {  // the complete files are already at their final paths
    complete_ = true;
    moved_ = true;
    if (!opts_.seed) co_return;
    storage_.use_final_location();
    seeding_ = true;
    seeding_since_ = std::chrono::steady_clock::now();
  } else if (opts_.seed_only) {
    fail("the data in " + opts_.output_dir.string() + " is incomplete or missing (" +
         std::to_string(picker_.have_count()) + " of " + std::to_string(torrent_.num_pieces()) +
         " pieces good): run `corrent download` to complete it");
    co_return;
  }
  if (!error_.empty()) co_return;
  if (auto r = moved_ ? result<void>{} : storage_.prepare(); !r) {
    fail("cannot create files: " + r.error().message());
    co_return;
  }
  if (auto r = open_listener(); !r) {
    fail(r.error().message());
    co_return;
  }
  spdlog::info("listening on {}:{}", opts_.listen_host, listen_port_);
  add_peers(opts_.manual_peers);
  if (!seeding_) check_finished();  // a torrent of only empty files is complete at once

  auto ex = co_await asio::this_coro::executor;
  asio::co_spawn(ex, accept_loop(), log_exception);
  asio::co_spawn(ex, connect_loop(), log_exception);
  asio::co_spawn(ex, announce_loop(), log_exception);
  asio::co_spawn(ex, status_loop(), log_exception);
  asio::co_spawn(ex, checkpoint_loop(), log_exception);
  asio::co_spawn(ex, choke_loop(), log_exception);
  if (down_bucket_.limited() || up_bucket_.limited())
    asio::co_spawn(ex, rate_loop(), log_exception);

  // Wait until complete, failed or stopped.
  while (!stopping_) {
    done_.expires_after(1h);
    co_await done_.async_wait(as_tuple(use_awaitable));
  }

  // Shutdown: stop accepting and connecting, close peers, let disk jobs drain.
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  wake_connect_.cancel();
  asio::steady_timer t(ex);
  // A seed that reached its limit first sends what it already read for its peers (that
  // data counts as uploaded); up to 10 s. Ctrl-C does not wait.
  serving_paused_ = true;
  for (int i = 0; i < 1000 && !interrupted_; ++i) {
    bool busy = reads_in_flight_ > 0;
    for (const auto& [key, p] : peers_) busy = busy || !p->output_idle();
    if (!busy) break;
    t.expires_after(10ms);
    co_await t.async_wait(as_tuple(use_awaitable));
  }
  for (auto& [key, p] : peers_) p->close("shutting down");
  for (int i = 0; i < 300 && (pending_disk_ > 0 || !peers_.empty()); ++i) {
    t.expires_after(10ms);
    co_await t.async_wait(as_tuple(use_awaitable));
  }
  wake_choke_.cancel();
  if (complete_ && !moved_) {
    if (auto r = storage_.sync(); !r) error_ = "cannot flush files: " + r.error().message();
    if (error_.empty()) {
      if (auto r = storage_.move_to_final(); !r)
        error_ = "cannot move files into place: " + r.error().message();
    }
    if (error_.empty()) {
      spdlog::info("download complete: {}", (opts_.output_dir / torrent_.name).string());
      co_await announce_once(tracker::event::completed, 3s);
    }
  } else if (!complete_) {
    for (int i = 0; i < 500 && checkpoint_running_; ++i) {
      t.expires_after(10ms);
      co_await t.async_wait(as_tuple(use_awaitable));
    }
    if (auto r = checkpoint_now(); !r)
      spdlog::error("cannot save resume state: {}", r.error().message());
  }
  co_await announce_once(tracker::event::stopped, 2s);
  wake_announce_.cancel();
}

void torrent_session::stop(bool interrupted) {
  if (stopping_) return;
  interrupted_ = interrupted_ || interrupted;
  stopping_ = true;
  flush_hashes();  // pieces complete before the stop are still verified and written
  done_.cancel();
  wake_connect_.cancel();
  wake_announce_.cancel();
  wake_choke_.cancel();
}

void torrent_session::fail(std::string why) {
  if (error_.empty()) error_ = std::move(why);
  spdlog::error("{}", error_);
  stop(false);
}

// ---------------------------------------------------------------- peers: discovery

void torrent_session::add_peers(const std::vector<net::peer_address>& peers) {
  bool added = false;
  for (const auto& a : peers) {
    if (!a.is_usable()) continue;
    if (known_.size() >= 5000) break;
    auto [it, inserted] = known_.try_emplace(a);
    added = added || inserted;
  }
  if (added) wake_connect_.cancel();
}

asio::awaitable<void> torrent_session::connect_loop() {
  while (!stopping_) {
    const auto now = std::chrono::steady_clock::now();
    for (auto& [addr, kp] : known_) {
      if (static_cast<int>(peers_.size()) >= opts_.max_peers) break;
      if (kp.connected || kp.banned || kp.next_attempt > now) continue;
      connect_to(addr);
    }
    wake_connect_.expires_after(1s);
    co_await wake_connect_.async_wait(as_tuple(use_awaitable));
  }
}

void torrent_session::connect_to(const net::peer_address& addr) {
  auto& kp = known_[addr];
  kp.connected = true;
  auto p = std::make_shared<peer_connection>(*this, asio::ip::tcp::socket(ioc_), addr, next_key_++,
                                             true);
  peers_.emplace(p->key, p);
  asio::co_spawn(ioc_, peer_connection::connect_and_run(p, 10s), log_exception);
}

asio::awaitable<void> torrent_session::accept_loop() {
  while (!stopping_) {
    auto [ec, socket] = co_await acceptor_.async_accept(as_tuple(use_awaitable));
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) co_return;
      spdlog::warn("accept failed: {}", ec.message());
      continue;
    }
    boost::system::error_code rec;
    const auto remote = socket.remote_endpoint(rec);
    if (rec) continue;
    if (static_cast<int>(peers_.size()) >= opts_.max_peers) continue;  // socket closes
    net::peer_address addr;
    if (remote.address().is_v4()) {
      addr = net::peer_address::v4(remote.address().to_v4().to_uint(), remote.port());
    } else {
      const auto b = remote.address().to_v6().to_bytes();
      addr = net::peer_address::from_bytes(
          std::string_view(reinterpret_cast<const char*>(b.data()), 16), remote.port());
    }
    if (auto it = known_.find(addr); it != known_.end() && it->second.banned) continue;
    auto p = std::make_shared<peer_connection>(*this, std::move(socket), addr, next_key_++, false);
    peers_.emplace(p->key, p);
    asio::co_spawn(ioc_, peer_connection::run(p), log_exception);
  }
}

// ---------------------------------------------------------------- peers: protocol

void torrent_session::on_handshake(peer_connection& p) {
  spdlog::debug("peer {} ({}) connected", p.address.to_string(), client_name(p.remote_id));
  p.has = swarm::bitfield(static_cast<std::size_t>(torrent_.num_pieces()));
  if (const auto it = standing_.find(p.address); it != standing_.end())
    p.parole = it->second.parole;
  if (picker_.have_count() > 0) {
    wire::encode_bitfield(p.out(), picker_.have_bitfield().to_wire());
    p.flush();
  }
}

bool torrent_session::on_message(peer_connection& p, const wire::message& m) {
  using wire::message_type;
  const auto num_pieces = static_cast<std::uint32_t>(torrent_.num_pieces());
  switch (m.type) {
    case message_type::keep_alive:
    case message_type::unknown:
    case message_type::port:
    case message_type::suggest:
    case message_type::allowed_fast:
    case message_type::extended:
      return true;
    case message_type::choke:
      p.peer_choking = true;
      // BEP 3: a choke discards our pending requests.
      picker_.on_peer_gone(p.key);
      if (!p.requests.empty()) {
        p.requests.clear();
        fill_all_requests(&p);  // its download slot and blocks are free for others
      }
      return true;
    case message_type::unchoke:
      p.peer_choking = false;
      return true;
    case message_type::interested:
      if (!p.peer_interested) wake_choke_.cancel();  // a slot may be free: rechoke now
      p.peer_interested = true;
      return true;
    case message_type::not_interested:
      p.peer_interested = false;
      if (!p.am_choking) wake_choke_.cancel();
      return true;
    case message_type::have:
      if (m.piece >= num_pieces) {
        p.close_reason = "have for piece out of range";
        return false;
      }
      if (!p.has.test(m.piece)) {
        p.has.set(m.piece);
        picker_.add_have(m.piece);
      }
      p.has_bitfield = true;
      return true;
    case message_type::bitfield:
    case message_type::have_all:
    case message_type::have_none: {
      // BEP 3 wants the bitfield first and once, but aria2 sends `have`s before it and
      // a bitfield more than once: a later one is merged with what we know (pieces are
      // never un-had), as libtorrent does.
      swarm::bitfield bf;
      if (m.type == message_type::bitfield) {
        auto parsed = swarm::bitfield::from_wire(m.payload, num_pieces);
        if (!parsed) {
          p.close_reason = "bad bitfield: " + parsed.error().message();
          return false;
        }
        bf = std::move(*parsed);
      } else {
        bf = swarm::bitfield(num_pieces, m.type == message_type::have_all);
      }
      if (p.has_bitfield) {  // haves came first: replace their availability
        picker_.remove_peer(p.has);
        for (std::size_t i = 0; i < p.has.size(); ++i) {
          if (p.has.test(i)) bf.set(i);
        }
      }
      p.has = std::move(bf);
      p.has_bitfield = true;
      picker_.add_peer(p.has);
      return true;
    }
    case message_type::request:
      return on_request(p, m);
    case message_type::cancel: {
      const swarm::block_ref b{m.piece, m.begin, m.length};
      for (auto it = p.incoming.begin(); it != p.incoming.end(); ++it) {
        if (*it == b) {
          p.incoming.erase(it);
          break;
        }
      }
      return true;
    }
    case message_type::reject: {
      swarm::block_ref b{m.piece, m.begin, m.length};
      for (auto it = p.requests.begin(); it != p.requests.end(); ++it) {
        if (*it == b) {
          p.requests.erase(it);
          picker_.on_request_dropped(p.key, b);
          break;
        }
      }
      return true;
    }
    case message_type::piece:
      return on_block(p, m);
  }
  return true;
}

void torrent_session::on_snubbed(peer_connection& p) {
  spdlog::debug("peer {} snubbed us", p.address.to_string());
}

void torrent_session::on_closed(peer_connection& p) {
  auto it = peers_.find(p.key);
  if (it == peers_.end()) return;
  auto self = it->second;  // keep alive until the end of this function
  peers_.erase(it);
  if (p.has_bitfield) picker_.remove_peer(p.has);
  picker_.on_peer_gone(p.key);
  choker_.remove(p.key);
  if (!p.am_choking) wake_choke_.cancel();  // its slot is free
  p.requests.clear();
  const bool banned = known_.count(p.address) && known_[p.address].banned;
  if (p.handshake_done) {
    spdlog::debug("peer {} closed: {}", p.address.to_string(), p.close_reason);
    finished_peers_.push_back({p.address.to_string(), client_name(p.remote_id), p.downloaded.total,
                               p.uploaded.total, p.hash_failures, banned});
  }
  if (p.outgoing) {  // incoming peers' ports are not listening ports: never dial them
    auto& kp = known_[p.address];
    kp.connected = false;
    if (p.handshake_done) {
      kp.failures = 0;
      kp.next_attempt = std::chrono::steady_clock::now() + 5s;
    } else if (p.close_reason == "connected to ourselves") {
      kp.banned = true;  // our own address, as the tracker reported it back
    } else {
      ++kp.failures;
      kp.next_attempt =
          std::chrono::steady_clock::now() + std::chrono::seconds(5 << std::min(kp.failures, 6));
    }
  }
  // Other peers may now be able to take over its blocks.
  fill_all_requests();
}

void torrent_session::ban(const net::peer_address& addr, const std::string& why) {
  auto& kp = known_[addr];
  if (kp.banned) return;
  spdlog::warn("banning peer {}: {}", addr.to_string(), why);
  kp.banned = true;
  for (auto& [key, p] : peers_) {
    if (p->address != addr) continue;
    banned_keys_.insert(key);
    p->close("banned: " + why);
  }
}

}  // namespace corrent::io
