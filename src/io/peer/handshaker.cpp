#include "io/peer/handshaker.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/wire/codec.hpp"

namespace corrent::io {
namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;

namespace {

asio::ip::address to_asio(const net::peer_address& a) {
  if (a.is_v6) {
    asio::ip::address_v6::bytes_type b;
    std::copy(a.ip.begin(), a.ip.end(), b.begin());
    return asio::ip::address_v6(b);
  }
  asio::ip::address_v4::bytes_type b;
  std::copy(a.ip.begin(), a.ip.begin() + 4, b.begin());
  return asio::ip::address_v4(b);
}

}  // namespace

asio::awaitable<handshake_outcome> read_handshake(peer_stream& s,
                                                  std::chrono::steady_clock::time_point deadline) {
  std::string in(wire::handshake_size, '\0');
  auto out = co_await read_exactly(s, in, deadline);
  if (out.why != peer::close_reason::none) co_return out;
  auto h = wire::decode_handshake(in);
  if (!h) {
    out.why = peer::close_reason::bad_handshake;
    out.detail = h.error().message();
    co_return out;
  }
  out.theirs = *h;
  co_return out;
}

asio::awaitable<handshake_outcome> read_exactly(peer_stream& s, std::string& buf,
                                                std::chrono::steady_clock::time_point deadline) {
  using namespace asio::experimental::awaitable_operators;
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_at(deadline);
  auto r = co_await (s.read(asio::buffer(buf)) || timer.async_wait(as_tuple(use_awaitable)));
  handshake_outcome out;
  if (r.index() == 1) {
    out.why = peer::close_reason::handshake_timeout;
  } else if (auto [ec, n] = std::get<0>(r); ec) {
    out.why =
        ec == asio::error::eof ? peer::close_reason::peer_closed : peer::close_reason::io_error;
    out.detail = ec.message();
  }
  co_return out;
}

asio::awaitable<handshake_outcome> write_handshake(peer_stream& s, const wire::handshake& ours,
                                                   std::chrono::steady_clock::time_point deadline) {
  using namespace asio::experimental::awaitable_operators;
  const auto bytes = wire::encode_handshake(ours);
  const asio::const_buffer buf = asio::buffer(bytes);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_at(deadline);
  auto r = co_await (s.write(std::span(&buf, 1)) || timer.async_wait(as_tuple(use_awaitable)));
  handshake_outcome out;
  if (r.index() == 1) {
    out.why = peer::close_reason::handshake_timeout;
  } else if (auto [ec, n] = std::get<0>(r); ec) {
    out.why = peer::close_reason::io_error;
    out.detail = ec.message();
  }
  co_return out;
}

asio::awaitable<dial_outcome> dial_tcp(asio::any_io_executor ex, net::peer_address address) {
  using namespace asio::experimental::awaitable_operators;
  asio::ip::tcp::socket socket(ex);
  asio::steady_timer timer(ex);
  timer.expires_after(connect_timeout);
  auto r =
      co_await (socket.async_connect({to_asio(address), address.port}, as_tuple(use_awaitable)) ||
                timer.async_wait(as_tuple(use_awaitable)));
  dial_outcome out;
  if (r.index() == 1) {
    out.why = peer::close_reason::connect_timeout;
  } else if (auto [ec] = std::get<0>(r); ec) {
    out.why = peer::close_reason::connect_failed;
    out.detail = ec.message();
  } else {
    out.stream = std::make_unique<tcp_stream>(std::move(socket));
  }
  co_return out;
}

}  // namespace corrent::io
