#include "io/peer/peer_connection.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "io/session/torrent_session.hpp"

namespace corrent::io {
namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;
using namespace std::chrono_literals;

namespace {
constexpr auto handshake_timeout = 20s;
constexpr auto idle_timeout = 150s;
constexpr auto keep_alive_interval = 90s;
constexpr auto snub_timeout = 30s;
constexpr std::size_t read_chunk = 256 * 1024;
}  // namespace

peer_connection::peer_connection(torrent_session& session, asio::ip::tcp::socket socket,
                                 net::peer_address address_, swarm::peer_key key_, bool outgoing_)
    : address(address_),
      key(key_),
      outgoing(outgoing_),
      session_(session),
      socket_(std::move(socket)),
      wake_(socket_.get_executor()) {}

void peer_connection::close(std::string reason) {
  if (closed_) return;
  closed_ = true;
  close_reason = std::move(reason);
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  wake_.cancel();
}

asio::awaitable<void> peer_connection::connect_and_run(std::shared_ptr<peer_connection> self,
                                                       std::chrono::seconds timeout) {
  using namespace asio::experimental::awaitable_operators;
  asio::ip::address ip;
  if (self->address.is_v6) {
    asio::ip::address_v6::bytes_type b;
    std::copy(self->address.ip.begin(), self->address.ip.end(), b.begin());
    ip = asio::ip::address_v6(b);
  } else {
    asio::ip::address_v4::bytes_type b;
    std::copy(self->address.ip.begin(), self->address.ip.begin() + 4, b.begin());
    ip = asio::ip::address_v4(b);
  }
  asio::steady_timer timer(self->socket_.get_executor());
  timer.expires_after(timeout);
  auto r =
      co_await (self->socket_.async_connect({ip, self->address.port}, as_tuple(use_awaitable)) ||
                timer.async_wait(as_tuple(use_awaitable)));
  if (r.index() == 1) {
    self->close("connect timed out");
  } else if (auto [ec] = std::get<0>(r); ec) {
    self->close("connect failed: " + ec.message());
  }
  if (self->closed_) {
    self->session_.on_closed(*self);
    co_return;
  }
  co_await run(self);
}

asio::awaitable<void> peer_connection::run(std::shared_ptr<peer_connection> self) {
  using namespace asio::experimental::awaitable_operators;
  self->connected_at = clock::now();
  self->last_receive_ = clock::now();
  self->last_block_at = clock::now();
  boost::system::error_code ignored;
  self->socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  self->socket_.set_option(asio::socket_base::receive_buffer_size(4 << 20), ignored);
  // 512 KiB (the kernel doubles it): enough for ~10 MB/s per peer at 100 ms RTT, and
  // small enough that served blocks are still in cache when the peer reads them. Seeding
  // w1 to a libtorrent leecher on loopback: 1 MiB 3.05 s, 4 MiB 3.3 s, 512 KiB 2.0-2.15 s.
  self->socket_.set_option(asio::socket_base::send_buffer_size(512 << 10), ignored);
  try {
    if (co_await self->handshake()) {
      self->handshake_done = true;
      self->session_.on_handshake(*self);
      if (!self->closed_) {
        co_await (self->read_loop() || self->write_loop() || self->watchdog());
      }
    }
  } catch (const std::exception& e) {
    spdlog::debug("peer {}: {}", self->address.to_string(), e.what());
  }
  self->close(self->close_reason.empty() ? "connection closed" : self->close_reason);
  self->session_.on_closed(*self);
}

asio::awaitable<bool> peer_connection::handshake() {
  using namespace asio::experimental::awaitable_operators;
  wire::handshake ours;
  ours.info_hash = session_.info_hash();
  ours.id = session_.our_id();
  const auto out = wire::encode_handshake(ours);
  std::array<char, wire::handshake_size> in{};
  asio::steady_timer timer(socket_.get_executor());
  timer.expires_after(handshake_timeout);

  auto exchange = [&]() -> asio::awaitable<boost::system::error_code> {
    if (outgoing) {
      auto [ec, n] =
          co_await asio::async_write(socket_, asio::buffer(out), as_tuple(use_awaitable));
      if (ec) co_return ec;
    }
    auto [ec, n] = co_await asio::async_read(socket_, asio::buffer(in), as_tuple(use_awaitable));
    if (ec) co_return ec;
    auto h = wire::decode_handshake(std::string_view(in.data(), in.size()));
    if (!h) {
      close_reason = "bad handshake: " + h.error().message();
      co_return make_error_code(boost::system::errc::protocol_error);
    }
    if (h->info_hash != session_.info_hash()) {
      close_reason = "handshake for another torrent";
      co_return make_error_code(boost::system::errc::protocol_error);
    }
    if (h->id == session_.our_id()) {
      close_reason = "connected to ourselves";
      co_return make_error_code(boost::system::errc::protocol_error);
    }
    remote_id = h->id;
    if (!outgoing) {
      auto [wec, wn] =
          co_await asio::async_write(socket_, asio::buffer(out), as_tuple(use_awaitable));
      if (wec) co_return wec;
    }
    co_return boost::system::error_code{};
  };
  auto r = co_await (exchange() || timer.async_wait(as_tuple(use_awaitable)));
  if (r.index() == 1) {
    close_reason = "handshake timed out";
    co_return false;
  }
  if (auto ec = std::get<0>(r); ec) {
    if (close_reason.empty()) close_reason = "handshake failed: " + ec.message();
    co_return false;
  }
  co_return true;
}

asio::awaitable<void> peer_connection::read_loop() {
  while (!closed_) {
    auto buf = decoder_.prepare(read_chunk);
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buf.data(), buf.size()),
                                                    as_tuple(use_awaitable));
    if (ec) {
      if (close_reason.empty()) {
        close_reason = ec == asio::error::eof ? "peer closed the connection" : ec.message();
      }
      co_return;
    }
    decoder_.commit(n);
    last_receive_ = clock::now();
    while (!closed_) {
      auto m = decoder_.next();
      if (!m) {
        close_reason = "protocol violation: " + m.error().message();
        co_return;
      }
      if (!*m) break;
      if (!session_.on_message(*this, **m)) {
        if (close_reason.empty()) close_reason = "protocol violation";
        co_return;
      }
    }
    if (!closed_) session_.after_messages(*this);
  }
}

std::string& peer_connection::out() {
  if (queue_.empty() || queue_.back().owner) {
    queue_.emplace_back();
    if (!spare_.empty()) {
      queue_.back().small = std::move(spare_.back());
      spare_.pop_back();
    }
  }
  return queue_.back().small;
}

void peer_connection::send(std::shared_ptr<const void> owner, std::string_view bytes) {
  if (!owner || bytes.empty()) return;
  queue_.push_back(chunk{{}, std::move(owner), bytes});
}

std::size_t peer_connection::unsent_bytes() const {
  std::size_t n = 0;
  for (const auto& c : queue_) n += c.size();
  for (const auto& c : writing_) n += c.size();
  return n;
}

asio::awaitable<void> peer_connection::write_loop() {
  auto last_write = clock::now();
  std::vector<asio::const_buffer> buffers;
  while (!closed_) {
    if (queue_.empty()) {
      wake_.expires_at(last_write + keep_alive_interval);
      auto [ec] = co_await wake_.async_wait(as_tuple(use_awaitable));
      auto cs = co_await asio::this_coro::cancellation_state;
      if (cs.cancelled() != asio::cancellation_type::none || closed_) co_return;
      if (!ec && queue_.empty()) wire::encode_keep_alive(out());  // timer expired: keep-alive
      continue;
    }
    writing_.swap(queue_);
    buffers.clear();
    for (const auto& c : writing_) {
      if (c.owner) {
        buffers.push_back(asio::buffer(c.big.data(), c.big.size()));
      } else if (!c.small.empty()) {
        buffers.push_back(asio::buffer(c.small));
      }
    }
    auto [ec, n] = co_await asio::async_write(socket_, buffers, as_tuple(use_awaitable));
    if (ec) {
      if (close_reason.empty()) close_reason = "write failed: " + ec.message();
      co_return;
    }
    for (auto& c : writing_) {
      if (c.owner || spare_.size() >= 4) continue;
      c.small.clear();
      spare_.push_back(std::move(c.small));
    }
    writing_.clear();
    last_write = clock::now();
    session_.on_write_done(*this);
  }
}

asio::awaitable<void> peer_connection::watchdog() {
  asio::steady_timer timer(socket_.get_executor());
  while (!closed_) {
    timer.expires_after(2s);
    auto [ec] = co_await timer.async_wait(as_tuple(use_awaitable));
    if (ec || closed_) co_return;
    const auto now = clock::now();
    if (now - last_receive_ > idle_timeout) {
      close_reason = "idle for too long";
      co_return;
    }
    if (!requests.empty() && now - last_block_at > snub_timeout) {
      close_reason = "no data for 30 s with requests pending (snubbed)";
      session_.on_snubbed(*this);
      co_return;
    }
  }
}

}  // namespace corrent::io
