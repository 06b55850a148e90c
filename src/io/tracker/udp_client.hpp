// io::udp_tracker_client — UDP tracker announces and scrapes (BEP 15) over Asio. The
// packets are core's (tracker/udp.hpp); this class owns sockets, the retransmission
// schedule (15 * 2^n seconds, cut short by the caller's timeout) and the connection ids,
// reused for their 60-second lifetime.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <map>
#include <random>
#include <string>

#include "core/error.hpp"
#include "core/tracker/announce.hpp"

namespace corrent::io {

class udp_tracker_client {
 public:
  udp_tracker_client();

  boost::asio::awaitable<result<tracker::announce_response>> announce(
      std::string url, tracker::announce_request req, std::chrono::milliseconds timeout);
  boost::asio::awaitable<result<tracker::scrape_entry>> scrape(std::string url,
                                                               crypto::sha1_digest info_hash,
                                                               std::chrono::milliseconds timeout);

 private:
  // The connection id for `key` (host:port): cached for its 60 s, else a connect round
  // trip over `socket` (connected to the tracker).
  boost::asio::awaitable<result<std::uint64_t>> connection_id(
      boost::asio::ip::udp::socket& socket, const std::string& key,
      std::chrono::steady_clock::time_point deadline);

  struct connection {
    std::uint64_t id = 0;
    std::chrono::steady_clock::time_point expires;
  };
  std::map<std::string, connection> connections_;  // by "host:port"
  std::mt19937 rng_;
};

}  // namespace corrent::io
