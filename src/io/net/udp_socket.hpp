// io::udp_socket — the session's one UDP socket per listen port, shared by everything that
// speaks UDP: UDP trackers now, the DHT and uTP later. One receive loop reads datagrams
// and offers each to the handlers in turn until one takes it (trackers by transaction id,
// DHT by its bencoded form, uTP by its header); what nobody takes is dropped. The socket is
// not connected, so ICMP errors are read from its error queue (IP_RECVERR) and reported
// with the destination they concern: a tracker that is not there fails at once, not after
// a timeout.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/udp.hpp>
#include <functional>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace corrent::io {

class udp_socket {
 public:
  // True: the datagram was for this handler.
  using handler =
      std::function<bool(const boost::asio::ip::udp::endpoint& from, std::string_view datagram)>;
  // A datagram we sent to `to` was refused (ICMP port or host unreachable).
  using unreachable_handler =
      std::function<void(const boost::asio::ip::udp::endpoint& to, boost::system::error_code ec)>;

  explicit udp_socket(boost::asio::any_io_executor ex);

  result<void> open(const boost::asio::ip::udp::endpoint& local);
  bool is_open() const { return socket_.is_open(); }
  std::uint16_t local_port() const;
  bool is_v6() const { return v6_; }
  void close();

  void add_handler(handler h) { handlers_.push_back(std::move(h)); }
  void add_unreachable_handler(unreachable_handler h) { unreachable_.push_back(std::move(h)); }
  // Until close() (or cancellation).
  boost::asio::awaitable<void> receive_loop();
  boost::asio::awaitable<boost::system::error_code> send_to(
      const boost::asio::ip::udp::endpoint& to, std::string_view datagram);
  // Sends at once without waiting: a datagram the socket has no room for is dropped (false),
  // as a router would drop it. For the DHT, which sends many small datagrams and retries
  // on its own.
  bool send_now(const boost::asio::ip::udp::endpoint& to, std::string_view datagram);

 private:
  boost::asio::ip::udp::socket socket_;
  // Reads the socket's error queue (IP_RECVERR): which destination refused what.
  void drain_errors();

  std::vector<handler> handlers_;
  std::vector<unreachable_handler> unreachable_;
  bool v6_ = false;
};

}  // namespace corrent::io
