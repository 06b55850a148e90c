// io::udp_socket — the session's one UDP socket per listen port, shared by everything that
// speaks UDP: UDP trackers now, the DHT and uTP later. One receive loop reads datagrams
// and offers each to the handlers in turn until one takes it (trackers by transaction id,
// DHT by its bencoded form, uTP by its header); what nobody takes is dropped.
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
  using handler = std::function<bool(const boost::asio::ip::udp::endpoint& from,
                                     std::string_view datagram)>;

  explicit udp_socket(boost::asio::any_io_executor ex);

  result<void> open(const boost::asio::ip::udp::endpoint& local);
  bool is_open() const { return socket_.is_open(); }
  std::uint16_t local_port() const;
  bool is_v6() const { return v6_; }
  void close();

  void add_handler(handler h) { handlers_.push_back(std::move(h)); }
  // Until close() (or cancellation).
  boost::asio::awaitable<void> receive_loop();
  boost::asio::awaitable<boost::system::error_code> send_to(
      const boost::asio::ip::udp::endpoint& to, std::string_view datagram);

 private:
  boost::asio::ip::udp::socket socket_;
  std::vector<handler> handlers_;
  bool v6_ = false;
};

}  // namespace corrent::io
