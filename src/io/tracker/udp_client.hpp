// io::udp_tracker_client — UDP tracker announces and scrapes (BEP 15) over the session's
// shared UDP socket(s): every request has a fresh transaction id, and the socket's receive
// loop hands each reply to the request waiting for that id (from the tracker's address).
// The packets are core's (tracker/udp.hpp); this class owns the retransmission schedule
// (15 * 2^n seconds, cut short by the caller's timeout) and the connection ids, reused
// for their 60-second lifetime.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <random>
#include <string>

#include "core/error.hpp"
#include "core/tracker/announce.hpp"
#include "io/net/udp_socket.hpp"

namespace corrent::io {

class udp_tracker_client {
 public:
  // Either socket may be null (no socket of that address family). Registers itself as a
  // handler of both; it must outlive their receive loops.
  udp_tracker_client(boost::asio::any_io_executor ex, udp_socket* v4, udp_socket* v6);

  boost::asio::awaitable<result<tracker::announce_response>> announce(
      std::string url, tracker::announce_request req, std::chrono::milliseconds timeout);
  boost::asio::awaitable<result<tracker::scrape_entry>> scrape(std::string url,
                                                               crypto::sha1_digest info_hash,
                                                               std::chrono::milliseconds timeout);

  std::size_t pending() const { return pending_.size(); }

 private:
  struct target {
    std::string key;  // host:port
    boost::asio::ip::udp::endpoint endpoint;
    udp_socket* socket = nullptr;
  };
  struct waiter {
    boost::asio::ip::udp::endpoint from;
    std::string reply;
    bool got = false;
    boost::system::error_code refused;  // the tracker's address refused our datagram
    boost::asio::steady_timer* wake = nullptr;
  };
  // Resolution is part of the exchange: it ends at `deadline` too.
  boost::asio::awaitable<result<target>> resolve(const std::string& url,
                                                 std::chrono::steady_clock::time_point deadline);
  bool on_datagram(const boost::asio::ip::udp::endpoint& from, std::string_view datagram);
  std::uint32_t new_txid();
  // Sends `packet` (its transaction id is `txid`) and waits for a reply that `accept`
  // takes, resending on BEP 15's schedule until `deadline`.
  template <class Accept>
  boost::asio::awaitable<result<void>> transact(const target& t, std::string_view packet,
                                                std::uint32_t txid,
                                                std::chrono::steady_clock::time_point deadline,
                                                Accept accept);
  boost::asio::awaitable<result<std::uint64_t>> connection_id(
      const target& t, std::chrono::steady_clock::time_point deadline);

  struct connection {
    std::uint64_t id = 0;
    std::chrono::steady_clock::time_point expires;
  };
  boost::asio::any_io_executor ex_;
  udp_socket* v4_;
  udp_socket* v6_;
  std::map<std::string, connection> connections_;  // by "host:port"
  std::map<std::uint32_t, waiter*> pending_;       // by transaction id
  std::mt19937 rng_;
};

}  // namespace corrent::io
