#include "io/net/udp_socket.hpp"

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstring>
#include <tuple>

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
  if (!ec) {
    const int on = 1;
    if (local.address().is_v6()) {
      ::setsockopt(socket_.native_handle(), IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof on);
    } else {
      ::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_RECVERR, &on, sizeof on);
    }
  }
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
    auto [ec, n] =
        co_await socket_.async_receive_from(asio::buffer(buf), from, as_tuple(use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted || !socket_.is_open()) co_return;
      // ICMP port unreachable and the like surface here (IP_RECVERR): not fatal.
      drain_errors();
      continue;
    }
    const std::string_view datagram(buf.data(), n);
    for (const auto& h : handlers_) {
      if (h(from, datagram)) break;
    }
  }
}

void udp_socket::drain_errors() {
  for (int i = 0; i < 64; ++i) {
    sockaddr_storage to{};
    char control[512];
    char data[1];
    iovec iov{data, sizeof data};
    msghdr msg{};
    msg.msg_name = &to;
    msg.msg_namelen = sizeof to;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    if (::recvmsg(socket_.native_handle(), &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return;
    int err = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      const bool v4 = c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR;
      const bool v6 = c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR;
      if (!v4 && !v6) continue;
      sock_extended_err ee{};
      std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
      if (ee.ee_origin == SO_EE_ORIGIN_ICMP || ee.ee_origin == SO_EE_ORIGIN_ICMP6 ||
          ee.ee_origin == SO_EE_ORIGIN_LOCAL)
        err = static_cast<int>(ee.ee_errno);
    }
    if (err == 0) continue;
    udp::endpoint ep;
    if (to.ss_family == AF_INET) {
      const auto* a = reinterpret_cast<const sockaddr_in*>(&to);
      ep = udp::endpoint(asio::ip::address_v4(ntohl(a->sin_addr.s_addr)), ntohs(a->sin_port));
    } else if (to.ss_family == AF_INET6) {
      const auto* a = reinterpret_cast<const sockaddr_in6*>(&to);
      asio::ip::address_v6::bytes_type b;
      std::memcpy(b.data(), &a->sin6_addr, 16);
      ep = udp::endpoint(asio::ip::address_v6(b), ntohs(a->sin6_port));
    } else {
      continue;
    }
    const boost::system::error_code ec(err, boost::system::system_category());
    for (const auto& h : unreachable_) h(ep, ec);
  }
}

asio::awaitable<boost::system::error_code> udp_socket::send_to(const udp::endpoint& to,
                                                               std::string_view datagram) {
  boost::system::error_code ec;
  for (int attempt = 0; attempt < 4; ++attempt) {
    std::size_t n = 0;
    std::tie(ec, n) = co_await socket_.async_send_to(asio::buffer(datagram.data(), datagram.size()),
                                                     to, as_tuple(use_awaitable));
    // An ICMP error about an earlier datagram (to anyone) is reported by the next call on
    // the socket, this send: it is not this datagram's. Hand it to whom it concerns and
    // send again.
    if (ec != asio::error::connection_refused && ec != asio::error::host_unreachable &&
        ec != asio::error::network_unreachable)
      break;
    drain_errors();
  }
  co_return ec;
}

bool udp_socket::send_now(const udp::endpoint& to, std::string_view datagram) {
  boost::system::error_code ec;
  if (!socket_.non_blocking()) socket_.non_blocking(true, ec);
  for (int attempt = 0; attempt < 4; ++attempt) {
    socket_.send_to(asio::buffer(datagram.data(), datagram.size()), to, 0, ec);
    if (ec != asio::error::connection_refused && ec != asio::error::host_unreachable &&
        ec != asio::error::network_unreachable)
      break;
    drain_errors();  // as in send_to: an earlier datagram's error
  }
  return !ec;
}

}  // namespace corrent::io
