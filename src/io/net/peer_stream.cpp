#include "io/net/peer_stream.hpp"

#include <linux/sockios.h>
#include <sys/ioctl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace corrent::io {
namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;

wire_totals& process_wire_totals() {
  static wire_totals totals;
  return totals;
}

namespace {
void count(std::atomic<std::int64_t>& c, std::size_t n) {
  c.fetch_add(static_cast<std::int64_t>(n), std::memory_order_relaxed);
}
}  // namespace

tcp_stream::tcp_stream(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {
  boost::system::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  socket_.set_option(asio::socket_base::receive_buffer_size(4 << 20), ignored);
  // 512 KiB (the kernel doubles it): enough for ~10 MB/s per peer at 100 ms RTT, and
  // small enough that served blocks are still in cache when the peer reads them. Seeding
  // w1 to a libtorrent leecher on loopback: 1 MiB 3.05 s, 4 MiB 3.3 s, 512 KiB 2.0-2.15 s.
  socket_.set_option(asio::socket_base::send_buffer_size(512 << 10), ignored);
}

asio::awaitable<peer_stream::io_result> tcp_stream::read_some(asio::mutable_buffer buf) {
  auto [ec, n] = co_await socket_.async_read_some(buf, as_tuple(use_awaitable));
  count(process_wire_totals().in, n);
  co_return io_result{ec, n};
}

asio::awaitable<peer_stream::io_result> tcp_stream::read(asio::mutable_buffer buf) {
  auto [ec, n] = co_await asio::async_read(socket_, buf, as_tuple(use_awaitable));
  count(process_wire_totals().in, n);
  co_return io_result{ec, n};
}

asio::awaitable<peer_stream::io_result> tcp_stream::write(
    std::span<const asio::const_buffer> bufs) {
  auto [ec, n] = co_await asio::async_write(socket_, bufs, as_tuple(use_awaitable));
  count(process_wire_totals().out, n);
  co_return io_result{ec, n};
}

std::size_t tcp_stream::unsent_in_transport() const {
  if (!socket_.is_open()) return 0;
  int n = 0;
  auto& s = const_cast<asio::ip::tcp::socket&>(socket_);
  if (::ioctl(s.native_handle(), SIOCOUTQ, &n) != 0 || n < 0) return 0;
  return static_cast<std::size_t>(n);
}

void tcp_stream::shutdown_send() {
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
}

void tcp_stream::close() {
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace corrent::io
