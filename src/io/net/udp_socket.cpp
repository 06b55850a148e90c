#include "io/net/udp_socket.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace corrent::io {
namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;
using udp = asio::ip::udp;

udp_socket::udp_socket(asio::any_io_executor ex) : socket_(ex) {}

result<void> udp_socket::open(const udp::endpoint& local) {
  boost::system::error_code ec;
  socket_.open(local.protocol(), ec);
  if (!ec && local.address().is_v6()) socket_.set_option(asio::ip::v6_only(true), ec);
  if (!ec) socket_.bind(local, ec);
  if (ec) {
    boost::system::error_code ignored;
    socket_.close(ignored);
    return error{ec, "UDP " + local.address().to_string() + ":" + std::to_string(local.port())};
  }
  v6_ = local.address().is_v6();
  return {};
}

std::uint16_t udp_socket::local_port() const {
  boost::system::error_code ec;
  const auto ep = socket_.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void udp_socket::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
}

asio::awaitable<void> udp_socket::receive_loop() {
  std::array<char, 65536> buf;
  udp::endpoint from;
  while (socket_.is_open()) {
    auto [ec, n] = co_await socket_.async_receive_from(asio::buffer(buf), from, as_tuple(use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted || !socket_.is_open()) co_return;
      // ICMP port unreachable and the like surface here on Linux: not fatal.
      continue;
    }
    const std::string_view datagram(buf.data(), n);
    for (const auto& h : handlers_) {
      if (h(from, datagram)) break;
    }
  }
}

asio::awaitable<boost::system::error_code> udp_socket::send_to(const udp::endpoint& to,
                                                               std::string_view datagram) {
  auto [ec, n] = co_await socket_.async_send_to(asio::buffer(datagram.data(), datagram.size()), to,
                                                 as_tuple(use_awaitable));
  co_return ec;
}

}  // namespace corrent::io
