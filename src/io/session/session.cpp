#include "io/session/session.hpp"

#include "core/mse/keys.hpp"
#include "io/net/mse_stream.hpp"
#include "io/peer/mse_handshake.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>
#include <set>

#include "io/net/peer_stream.hpp"
#include "io/peer/handshaker.hpp"
#include "io/storage/safe_path.hpp"

namespace corrent::io {
namespace asio = boost::asio;
namespace fs = std::filesystem;
using asio::as_tuple;
using asio::use_awaitable;
using asio::ip::tcp;
using asio::ip::udp;
using namespace std::chrono_literals;

namespace {

// Incoming connections still in their handshake; more are refused at once (a flood of
// silent connections must not hold every socket), and from one address a few only.
constexpr std::size_t max_pending_handshakes = 200;
constexpr int max_pending_handshakes_per_ip = 8;
constexpr auto tick_interval = 1s;
constexpr auto bandwidth_interval = 20ms;

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

net::peer_address to_peer_address(const tcp::endpoint& ep) {
  if (ep.address().is_v4()) return net::peer_address::v4(ep.address().to_v4().to_uint(), ep.port());
  auto v6 = ep.address().to_v6();
  if (v6.is_v4_mapped()) {
    return net::peer_address::v4(asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint(),
                                 ep.port());
  }
  const auto b = v6.to_bytes();
  return net::peer_address::from_bytes(
      std::string_view(reinterpret_cast<const char*>(b.data()), 16), ep.port());
}

// The session's operations on one torrent; each holds it alive meanwhile (it may be
// removed from the registry).
asio::awaitable<void> start_torrent(std::shared_ptr<torrent> t) {
  co_await t->start();
}

asio::awaitable<void> check_paused_torrent(std::shared_ptr<torrent> t) {
  co_await t->check_paused();
}

asio::awaitable<void> stop_torrent(std::shared_ptr<torrent> t, torrent_state end,
                                   bool interrupted) {
  co_await t->stop(end, interrupted);
}

}  // namespace

const char* to_string(torrent_state s) {
  switch (s) {
    case torrent_state::fetching_metadata:
      return "fetching metadata";
    case torrent_state::checking:
      return "checking";
    case torrent_state::downloading:
      return "downloading";
    case torrent_state::seeding:
      return "seeding";
    case torrent_state::paused:
      return "paused";
    case torrent_state::finished:
      return "finished";
    case torrent_state::error:
      return "error";
  }
  return "?";
}

session::session(asio::any_io_executor ex, session_options options)
    : ex_(ex),
      options_(std::move(options)),
      rng_(std::random_device{}()),
      started_(std::chrono::steady_clock::now()),
      service_(ex, "session"),
      ops_(ex, "session operations"),
      done_signal_(ex) {
  peer_id_ = make_peer_id(rng_);
  tracker_key_ = static_cast<std::uint32_t>(rng_());
  down_root_.set_rate(options_.max_download_rate);
  up_root_.set_rate(options_.max_upload_rate);
  done_signal_.expires_at(asio::steady_timer::time_point::max());
}

session::~session() {
  if (!service_.empty() || !ops_.empty())
    spdlog::error("internal error: session destroyed before shutdown()");
}

double session::now() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

// ---------------------------------------------------------------- sockets

result<void> session::listen_on(const std::string& host, std::uint16_t port) {
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(host, ec);
  if (ec) return error{ec, "--listen address " + host};
  std::vector<asio::ip::address> ips{ip};
  // The unspecified IPv4 address means "everywhere": IPv6 too, on the same port.
  if (ip.is_v4() && ip.to_v4().is_unspecified()) ips.push_back(asio::ip::address_v6::any());
  for (const auto& a : ips) {
    auto acc = std::make_unique<tcp::acceptor>(ex_);
    const tcp::endpoint ep(a, port);
    acc->open(ep.protocol(), ec);
    if (!ec && a.is_v6()) acc->set_option(asio::ip::v6_only(true), ec);
    if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acc->bind(ep, ec);
    if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      if (a == ip) return error{ec, "TCP " + host + ":" + std::to_string(port)};
      spdlog::debug("not listening on [::]:{}: {}", port, ec.message());  // no IPv6 here
      continue;
    }
    if (port == 0) port = acc->local_endpoint().port();
    auto sock = std::make_unique<udp_socket>(ex_);
    if (auto r = sock->open(udp::endpoint(a, port)); !r) {
      if (a == ip) return r.error();
      spdlog::debug("no UDP on [::]:{}: {}", port, r.error().message());
      acceptors_.push_back(std::move(acc));
      continue;
    }
    acceptors_.push_back(std::move(acc));
    (a.is_v6() ? udp6_ : udp4_) = std::move(sock);
  }
  listen_port_ = port;
  return {};
}

void session::close_sockets() {
  boost::system::error_code ignored;
  for (auto& a : acceptors_) a->close(ignored);
  if (udp4_) udp4_->close();
  if (udp6_) udp6_->close();
}

result<void> session::open() {
  const bool ephemeral = options_.listen_port == 0;
  const int attempts = options_.listen_port_fixed && !ephemeral ? 1 : 9;
  result<void> r;
  for (int i = 0; i < attempts; ++i) {
    acceptors_.clear();
    udp4_.reset();
    udp6_.reset();
    const auto port = ephemeral ? 0 : static_cast<std::uint16_t>(options_.listen_port + i);
    r = listen_on(options_.listen_host, port);
    if (r) break;
  }
  if (!r) {
    acceptors_.clear();
    return error{r.error().code, "cannot listen on " + options_.listen_host + ":" +
                                     std::to_string(options_.listen_port) + " (" +
                                     r.error().message() + ")"};
  }
  udp_trackers_ = std::make_unique<udp_tracker_client>(ex_, udp4_.get(), udp6_.get());
  spdlog::info("listening on {}:{}", options_.listen_host, listen_port_);
  if (options_.dht && (udp4_ || udp6_)) {
    dht_settings ds;
    ds.bootstrap = options_.dht_bootstrap;
    ds.read_only = options_.dht_read_only;
    ds.state_file = options_.dht_state_file;
    dht_ = std::make_unique<dht_service>(
        ex_, udp4_.get(), udp6_.get(), std::move(ds), [this] { return now(); }, rng_());
    service_.spawn(dht_->run());
  }
  for (auto& a : acceptors_) service_.spawn(accept_loop(*a));
  for (auto* u : {udp4_.get(), udp6_.get()}) {
    if (u) service_.spawn(u->receive_loop());
  }
  service_.spawn(tick_loop());
  service_.spawn(bandwidth_loop());
  opened_ = true;
  return {};
}

// ---------------------------------------------------------------- incoming peers

asio::awaitable<void> session::accept_loop(tcp::acceptor& acceptor) {
  asio::steady_timer pause(ex_);
  // Out of descriptors (EMFILE), say: the pending connection stays queued and every accept
  // fails at once. Back off (0.1 s doubling to 2 s) and log the first failure, then one
  // line a minute with how many there were.
  auto backoff = 100ms;
  int failures = 0;
  auto logged_at = std::chrono::steady_clock::time_point{};
  while (acceptor.is_open()) {
    auto [ec, socket] = co_await acceptor.async_accept(as_tuple(use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      ++failures;
      const auto now = std::chrono::steady_clock::now();
      if (now - logged_at >= 60s) {
        spdlog::warn("accept failed: {} ({} time{} since the last report); backing off",
                     ec.message(), failures, failures == 1 ? "" : "s");
        logged_at = now;
        failures = 0;
      }
      pause.expires_after(backoff);
      backoff = std::min<std::chrono::milliseconds>(backoff * 2, 2s);
      co_await pause.async_wait(as_tuple(use_awaitable));
      continue;
    }
    backoff = 100ms;
    if (shutting_down_ || handshakes_ >= max_pending_handshakes) continue;  // socket closes
    boost::system::error_code rec;
    const auto remote = socket.remote_endpoint(rec);
    if (rec) continue;
    const auto ip = swarm::ip_key::of(to_peer_address(remote));
    if (pending_by_ip_[ip] >= max_pending_handshakes_per_ip) continue;
    ++pending_by_ip_[ip];
    ++handshakes_;
    service_.spawn(handshake_incoming(std::move(socket), remote));
  }
}

asio::awaitable<void> session::handshake_incoming(tcp::socket socket, tcp::endpoint remote) {
  const auto addr = to_peer_address(remote);
  struct counted {
    session& s;
    swarm::ip_key ip;
    ~counted() {
      --s.handshakes_;
      if (--s.pending_by_ip_[ip] <= 0) s.pending_by_ip_.erase(ip);
    }
  } guard{*this, swarm::ip_key::of(addr)};
  std::unique_ptr<peer_stream> stream = std::make_unique<tcp_stream>(std::move(socket));
  const auto deadline = std::chrono::steady_clock::now() + handshake_timeout;
  auto hangup = [&](peer::close_reason why, const std::string& detail) {
    spdlog::debug("incoming {} closed: {}{}{}", addr.to_string(), peer::to_string(why),
                  detail.empty() ? "" : ": ", detail);
    if (stream) stream->close();
  };
  // The first 20 bytes tell a plain handshake ("\x13BitTorrent protocol") from an
  // encrypted one (MSE: a Diffie-Hellman key of 96 bytes).
  std::string first(mse::plain_header.size(), '\0');
  if (auto r = co_await read_exactly(*stream, first, deadline); r.why != peer::close_reason::none) {
    hangup(r.why, r.detail);
    co_return;
  }
  const auto policy = options_.encryption;
  std::optional<crypto::sha1_digest> encrypted_for;
  if (mse::looks_like_plain_bittorrent(first)) {
    if (policy == encryption_policy::require) {
      hangup(peer::close_reason::bad_encryption, "a plaintext handshake (--encryption require)");
      co_return;
    }
    stream = std::make_unique<mse_stream>(std::move(stream), mse::stream_cipher{}, std::move(first),
                                          "tcp");
  } else if (policy == encryption_policy::disable) {
    hangup(peer::close_reason::bad_handshake, "not a BitTorrent handshake (--encryption disable)");
    co_return;
  } else {
    auto finder = [this](const crypto::sha1_digest& req2) -> std::optional<crypto::sha1_digest> {
      const auto it = by_req2_.find(req2);
      if (it == by_req2_.end()) return std::nullopt;
      return it->second;
    };
    const bool require = policy == encryption_policy::require;
    auto m = co_await mse_accept(std::move(stream), std::move(first),
                                 require ? mse::bit(mse::method::rc4) : mse::all_methods, require,
                                 finder, deadline);
    if (!m.stream) {
      hangup(m.why, m.detail);
      co_return;
    }
    stream = std::move(m.stream);
    encrypted_for = m.info_hash;
  }
  auto in = co_await read_handshake(*stream, deadline);
  if (!in.theirs) {
    hangup(in.why, in.detail);
    co_return;
  }
  if (encrypted_for && in.theirs->info_hash != *encrypted_for) {
    hangup(peer::close_reason::bad_encryption, "its handshake names another torrent than its key");
    co_return;
  }
  auto t = find(in.theirs->info_hash);
  if (!t) {
    hangup(peer::close_reason::unknown_info_hash, crypto::to_hex(in.theirs->info_hash));
    co_return;
  }
  wire::handshake ours;
  ours.info_hash = in.theirs->info_hash;
  ours.id = peer_id_;
  ours.reserved = wire::our_reserved(dht_ != nullptr);
  if (in.theirs->id == peer_id_) {
    // Our own dial: answer, so that the dialling side sees its own id and never tries
    // this address again.
    co_await write_handshake(*stream, ours, deadline);
    hangup(peer::close_reason::self_connection, {});
    co_return;
  }
  if (auto why = t->may_attach(addr, false)) {
    hangup(*why, {});
    co_return;
  }
  if (auto w = co_await write_handshake(*stream, ours, deadline);
      w.why != peer::close_reason::none) {
    hangup(w.why, w.detail);
    co_return;
  }
  if (auto why = t->may_attach(addr, false)) {  // it may have stopped meanwhile
    hangup(*why, {});
    co_return;
  }
  t->attach(std::move(stream), *in.theirs, addr);
}

// ---------------------------------------------------------------- clocks

asio::awaitable<void> session::tick_loop() {
  asio::steady_timer t(ex_);
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    next += tick_interval;
    t.expires_at(next);
    co_await t.async_wait(use_awaitable);
    const double n = now();
    // A quiet torrent (seeding, no connection) every quiet_tick_every-th tick, staggered: a
    // thousand idle seeds then cost a fifth of the CPU, and their announces and lookups are
    // late by at most a few seconds. A peer that connects makes it busy again at once.
    ++ticks_;
    std::size_t i = 0;
    for (const auto& tor : order_) {
      if ((ticks_ + i) % quiet_tick_every == 0 || !tor->quiet()) tor->on_tick(n);
      ++i;
    }
    if (on_tick_) on_tick_();
  }
}

void session::set_rate_limits(double max_download_rate, double max_upload_rate) {
  options_.max_download_rate = max_download_rate;
  options_.max_upload_rate = max_upload_rate;
  down_root_.set_rate(max_download_rate);
  up_root_.set_rate(max_upload_rate);
}

bool session::any_rate_limit() const {
  if (down_root_.limited() || up_root_.limited()) return true;
  return std::any_of(order_.begin(), order_.end(), [](const auto& t) {
    return t->options().max_download_rate > 0 || t->options().max_upload_rate > 0;
  });
}

asio::awaitable<void> session::bandwidth_loop() {
  asio::steady_timer t(ex_);
  for (;;) {
    // Tokens accrue: top up requests and uploads that waited for them. Idle otherwise.
    t.expires_after(any_rate_limit() ? std::chrono::milliseconds(bandwidth_interval)
                                     : std::chrono::milliseconds(1000));
    co_await t.async_wait(use_awaitable);
    if (!any_rate_limit()) continue;
    const double n = now();
    for (const auto& tor : order_) tor->on_bandwidth_tick(n);
  }
}

void session::on_budget_freed() {
  const double n = now();
  for (const auto& t : order_) t->on_budget_freed(n);
}

// ---------------------------------------------------------------- torrents

result<std::shared_ptr<torrent>> session::add(metainfo::add_params params,
                                              std::shared_ptr<const metainfo::info> info,
                                              torrent_options options) {
  if (shutting_down_) {
    return error{make_error_code(boost::system::errc::operation_canceled), "shutting down"};
  }
  if (registry_.count(params.info_hash)) {
    return error{make_error_code(boost::system::errc::file_exists),
                 "torrent " + crypto::to_hex(params.info_hash) + " is already in the session"};
  }
  const bool paused = options.start_paused;
  auto t = std::make_shared<torrent>(*this, std::move(params), std::move(info), std::move(options));
  registry_[t->info_hash()] = t;
  by_req2_[mse::req2_hash(t->info_hash())] = t->info_hash();
  order_.push_back(t);
  if (paused) {
    ops_.spawn(check_paused_torrent(t));
  } else {
    ops_.spawn(start_torrent(t));
  }
  return t;
}

std::shared_ptr<torrent> session::find(const crypto::sha1_digest& info_hash) const {
  const auto it = registry_.find(info_hash);
  return it == registry_.end() ? nullptr : it->second;
}

asio::awaitable<void> session::pause(crypto::sha1_digest info_hash) {
  auto t = find(info_hash);
  if (!t || t->done()) co_return;
  co_await t->stop(torrent_state::paused);
}

asio::awaitable<void> session::resume(crypto::sha1_digest info_hash) {
  auto t = find(info_hash);
  if (!t || shutting_down_) co_return;
  if (t->state() == torrent_state::checking && t->checking_paused()) {
    t->resume_after_check();  // added paused and still checking its data
    co_return;
  }
  if (t->state() != torrent_state::paused) co_return;
  co_await t->start();
}

asio::awaitable<void> session::recheck(crypto::sha1_digest info_hash) {
  auto t = find(info_hash);
  if (!t || shutting_down_ || !t->info()) co_return;
  const bool paused = t->state() == torrent_state::paused;
  co_await t->stop(torrent_state::paused);
  if (!find(info_hash)) co_return;  // removed meanwhile
  t->forget_check();
  if (paused) {
    co_await t->check_paused();
  } else {
    co_await t->start();
  }
}

asio::awaitable<void> session::remove(crypto::sha1_digest info_hash, bool delete_files) {
  auto t = find(info_hash);
  if (!t) co_return;
  registry_.erase(info_hash);  // no new peers from now on
  by_req2_.erase(mse::req2_hash(info_hash));
  std::erase(order_, t);
  co_await t->stop(torrent_state::paused);
  {
    const auto st = t->status();
    removed_.downloaded += st.downloaded_total - st.downloaded_carried;
    removed_.uploaded += st.uploaded_total - st.uploaded_carried;
    removed_.hash_failures += st.hash_failures;
  }
  if (!t->options().resume_file.empty()) {
    std::error_code ec;
    fs::remove(t->options().resume_file, ec);
  }
  if (delete_files && t->options().output_dir != fs::path()) {
    const auto out = t->options().output_dir;
    const auto parts = out / ".corrent-parts" / crypto::to_hex(info_hash);
    auto resume = parts;
    resume += ".resume";
    auto saved_metadata = parts;
    saved_metadata += ".torrent";
    // Its files at their final paths too, when it had put them there (never a file of the
    // same name that was someone else's), and then its directories that are left empty.
    std::vector<fs::path> files;
    if (t->files_in_place() && t->info()) {
      for (const auto& f : t->info()->files) {
        if (!f.pad) files.emplace_back(f.path);
      }
    }
    std::function<bool()> work = [parts, resume, saved_metadata, out, files] {
      std::error_code ec;
      fs::remove_all(parts, ec);
      fs::remove(resume, ec);
      fs::remove(saved_metadata, ec);
      std::set<fs::path> dirs;
      for (const auto& rel : files) {
        // Not through a symlinked directory planted on the way (it could lead outside).
        if (!exists_without_links(out, rel)) continue;
        fs::remove(out / rel, ec);
        for (auto d = rel.parent_path(); !d.empty(); d = d.parent_path()) dirs.insert(d);
      }
      // Deepest first; fs::remove leaves a directory that is not empty.
      for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
        if (exists_without_links(out, *it)) fs::remove(out / *it, ec);
      }
      return true;
    };  // named: see torrent::check_files()
    co_await disk_.run(std::move(work));
  }
  wake_waiters();
}

void session::on_torrent_done(torrent& t) {
  auto self = find(t.info_hash());
  if (!self) return;
  ops_.spawn(finish_torrent(self));
}

asio::awaitable<void> session::finish_torrent(std::shared_ptr<torrent> t) {
  co_await t->stop(t->state() == torrent_state::error ? torrent_state::error
                                                      : torrent_state::finished);
  wake_waiters();
}

asio::awaitable<void> session::wait_until_done() {
  for (;;) {
    const bool all_done =
        std::all_of(order_.begin(), order_.end(), [](const auto& t) { return t->done(); });
    if (all_done || shutting_down_ || stop_requested_) co_return;
    co_await done_signal_.async_wait(as_tuple(use_awaitable));
  }
}

asio::awaitable<void> session::shutdown(bool interrupted) {
  if (shutting_down_) co_return;
  shutting_down_ = true;
  wake_waiters();
  boost::system::error_code ignored;
  for (auto& a : acceptors_) a->close(ignored);  // no new peers
  for (const auto& t : order_)
    ops_.spawn(stop_torrent(t, t->done() ? t->state() : torrent_state::paused, interrupted));
  co_await ops_.join();
  if (dht_) dht_->stop();  // saves the table
  close_sockets();
  service_.cancel();
  co_await service_.join();
}

std::vector<torrent_status> session::status() const {
  std::vector<torrent_status> out;
  out.reserve(order_.size());
  for (const auto& t : order_) out.push_back(t->status());
  if (dht_) {
    const auto nodes = static_cast<int>(dht_->stats().nodes);
    for (auto& s : out) s.dht_nodes = nodes;
  }
  return out;
}

dht_summary session::dht_status() const {
  dht_summary d;
  if (!dht_) return d;
  const auto s = dht_->stats();
  d.enabled = true;
  d.nodes = s.nodes;
  d.queries_in = s.queries_in;
  d.queries_out = s.queries_out;
  d.replies_in = s.replies_in;
  d.rate_limited = s.rate_limited;
  d.malformed_in = s.malformed_in;
  d.unexpected_in = s.unexpected_in;
  d.timeouts = s.timeouts;
  d.lookups = s.lookups_done;
  d.stored_peers = s.stored_peers;
  return d;
}

std::vector<torrent_summary> session::summaries() const {
  std::vector<torrent_summary> out;
  out.reserve(order_.size());
  for (const auto& t : order_) out.push_back(t->summary());
  return out;
}

}  // namespace corrent::io
