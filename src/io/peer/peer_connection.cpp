#include "io/peer/peer_connection.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace corrent::io {
namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;
using namespace std::chrono_literals;

namespace {
constexpr auto idle_timeout = 150s;
// Bytes waiting to go out that have not moved for this long: the peer does not read
// (a zero window, with keep-alives to look alive), and what we queue for it pins memory.
constexpr auto send_stall_timeout = 60s;
// Writes go out in parts of at most this much, so a slow reader still shows progress.
constexpr std::size_t write_part = 256 * 1024;
constexpr auto keep_alive_interval = 90s;
// Reads start at 16 KiB (read_chunk_) and double, to this, each time one fills all the
// space offered: a fast peer gets big reads after a few, while an idle one (a crowd of a
// thousand) keeps a small buffer. 256 KiB for every connection was 280 MiB for 1,000.
constexpr std::size_t max_read_chunk = 256 * 1024;
}  // namespace

peer_connection::peer_connection(asio::any_io_executor ex, std::unique_ptr<peer_stream> stream,
                                 peer_events& events, swarm::peer_key key_,
                                 net::peer_address address_, bool outgoing_)
    : key(key_),
      address(address_),
      outgoing(outgoing_),
      stream_(std::move(stream)),
      events_(events),
      wake_(ex) {}

void peer_connection::close(peer::close_reason why, std::string detail) {
  if (closed_) return;
  closed_ = true;
  if (reason_ == peer::close_reason::none) {
    reason_ = why;
    detail_ = std::move(detail);
  }
  stream_->close();
  wake_.cancel();
}

void peer_connection::finish_sending() {
  if (closed_ || finishing_) return;
  finishing_ = true;
  if (reason_ == peer::close_reason::none) reason_ = peer::close_reason::torrent_stopping;
  wake_.cancel();
}

std::string peer_connection::close_text() const {
  std::string s(peer::to_string(reason_));
  if (!detail_.empty()) s += ": " + detail_;
  return s;
}

asio::awaitable<void> peer_connection::run(std::shared_ptr<peer_connection> self) {
  using namespace asio::experimental::awaitable_operators;
  self->last_receive_ = clock::now();
  try {
    if (!self->closed_) co_await (self->read_loop() || self->write_loop() || self->watchdog());
  } catch (const std::exception& e) {
    // Cancelled (the owner is stopping), or a bug: either way the connection ends here.
    if (self->reason_ == peer::close_reason::none) {
      self->reason_ = peer::close_reason::torrent_stopping;
      self->detail_ = e.what();
    }
  }
  self->close(self->reason_ == peer::close_reason::none ? peer::close_reason::peer_closed
                                                        : self->reason_);
  self->events_.on_closed(*self);
}

asio::awaitable<void> peer_connection::read_loop() {
  while (!closed_) {
    auto buf = decoder_.prepare(read_chunk_);
    auto [ec, n] = co_await stream_->read_some(asio::buffer(buf.data(), buf.size()));
    if (!ec && n == buf.size() && read_chunk_ < max_read_chunk) read_chunk_ *= 2;
    if (ec) {
      if (reason_ == peer::close_reason::none) {
        if (ec == asio::error::eof) {
          reason_ = peer::close_reason::peer_closed;
        } else {
          reason_ = peer::close_reason::io_error;
          detail_ = ec.message();
        }
      }
      co_return;
    }
    decoder_.commit(n);
    last_receive_ = clock::now();
    while (!closed_) {
      auto m = decoder_.next();
      if (!m) {
        if (reason_ == peer::close_reason::none) {
          reason_ = peer::close_reason::protocol_violation;
          detail_ = m.error().message();
        }
        co_return;
      }
      if (!*m) break;
      if (!events_.on_message(*this, **m)) {
        if (reason_ == peer::close_reason::none) reason_ = peer::close_reason::protocol_violation;
        co_return;
      }
    }
    if (!closed_) events_.after_messages(*this);
  }
}

void peer_connection::queue(std::string& bytes) {
  if (bytes.empty() || closed_ || finishing_) return;
  if (!queue_.empty() && !queue_.back().owner && queue_.back().small.size() < 64 * 1024) {
    queue_.back().small.append(bytes);
    bytes.clear();
    return;
  }
  queue_.emplace_back();
  std::swap(queue_.back().small, bytes);
  if (!spare_.empty()) {  // the caller gets capacity back for its next messages
    std::swap(bytes, spare_.back());
    spare_.pop_back();
  }
}

void peer_connection::send(std::shared_ptr<const void> owner, std::string_view bytes) {
  if (!owner || bytes.empty() || closed_ || finishing_) return;
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
  std::vector<asio::const_buffer> buffers, part;
  while (!closed_) {
    if (queue_.empty() && finishing_) {
      stream_->shutdown_send();
      // Reading goes on until the peer hangs up (or the owner closes the connection).
      while (!closed_) {
        wake_.expires_at(asio::steady_timer::time_point::max());
        co_await wake_.async_wait(as_tuple(use_awaitable));
        auto cs = co_await asio::this_coro::cancellation_state;
        if (cs.cancelled() != asio::cancellation_type::none) co_return;
      }
      co_return;
    }
    if (queue_.empty()) {
      wake_.expires_at(last_write + keep_alive_interval);
      auto [ec] = co_await wake_.async_wait(as_tuple(use_awaitable));
      auto cs = co_await asio::this_coro::cancellation_state;
      if (cs.cancelled() != asio::cancellation_type::none || closed_) co_return;
      if (!ec && queue_.empty()) {  // timer expired: keep-alive
        std::string ka;
        wire::encode_keep_alive(ka);
        queue(ka);
      }
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
    send_progress_at_ = clock::now();
    std::size_t first = 0, skip = 0;  // the next byte to send: buffers[first] + skip
    while (first < buffers.size()) {
      part.clear();
      std::size_t room = write_part;
      for (std::size_t i = first; i < buffers.size() && room > 0; ++i) {
        auto b = buffers[i] + (i == first ? skip : 0);
        const std::size_t take = std::min(room, b.size());
        part.emplace_back(b.data(), take);
        room -= take;
      }
      auto [ec, n] = co_await stream_->write(part);
      if (ec) {
        if (reason_ == peer::close_reason::none) {
          reason_ = peer::close_reason::io_error;
          detail_ = "write failed: " + ec.message();
        }
        co_return;
      }
      send_progress_at_ = clock::now();
      for (skip += n; first < buffers.size() && skip >= buffers[first].size();) {
        skip -= buffers[first].size();
        ++first;
      }
    }
    for (auto& c : writing_) {
      if (c.owner || spare_.size() >= 4) continue;
      c.small.clear();
      spare_.push_back(std::move(c.small));
    }
    writing_.clear();
    last_write = clock::now();
    events_.on_write_done(*this);
  }
}

asio::awaitable<void> peer_connection::watchdog() {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!closed_) {
    timer.expires_after(2s);
    auto [ec] = co_await timer.async_wait(as_tuple(use_awaitable));
    if (ec || closed_) co_return;
    if (clock::now() - last_receive_ > idle_timeout) {
      if (reason_ == peer::close_reason::none) reason_ = peer::close_reason::idle_timeout;
      co_return;
    }
    if (!writing_.empty() && clock::now() - send_progress_at_ > send_stall_timeout) {
      if (reason_ == peer::close_reason::none) reason_ = peer::close_reason::send_stalled;
      co_return;
    }
  }
}

}  // namespace corrent::io
