// io::http_server — a small HTTP/1.1 server (Boost.Beast) for the daemon's API: one
// coroutine per connection, keep-alive, and hard bounds so that no client can hold the
// daemon: a request header of at most 16 KiB, a body of at most `max_body` (413), a whole
// request within 30 s (from the end of the last one, or the connection's start), at most
// `max_connections` open: a new connection past that closes the one that has waited longest
// for a request (idle or trickling its header), or, when every one is busy (answering, or
// streaming events), gets a 503 and is closed. So a crowd of idle connections cannot lock
// out a client that sends its request.
// A handler may answer with an endless stream (Server-Sent Events): the server writes the
// headers and then each chunk the response's `next_chunk` produces, until it says stop or
// the client goes away.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "io/task_group.hpp"

namespace corrent::io {

struct http_request {
  std::string method;                          // "GET", "POST", ...
  std::string target;                          // as sent: "/api/v1/torrents?state=seeding"
  std::string path;                            // percent-decoded path: "/api/v1/torrents"
  std::map<std::string, std::string> query;    // decoded query parameters (last one wins)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string peer;  // the client's address
  std::string header(const std::string& lower_name) const {
    const auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct http_response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;  // extra headers
  // Set: a stream. The headers go out (no Content-Length; the connection closes at its
  // end), then every chunk next_chunk() writes into its argument while it returns true.
  std::function<boost::asio::awaitable<bool>(std::string&)> next_chunk;
};

class http_server {
 public:
  using handler = std::function<boost::asio::awaitable<http_response>(http_request)>;

  struct limits {
    std::size_t max_body = 16 << 20;
    std::size_t max_connections = 512;
  };

  http_server(boost::asio::any_io_executor ex, handler h, limits l);
  ~http_server();
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  // Binds HOST:PORT (port 0: any free one) and starts accepting.
  result<void> listen(const std::string& host, std::uint16_t port);
  std::uint16_t port() const { return port_; }
  std::size_t connections() const { return connections_; }
  // Stops accepting and ends every connection; returns once all are gone.
  boost::asio::awaitable<void> stop();

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(boost::asio::ip::tcp::socket socket);

  boost::asio::any_io_executor ex_;
  handler handler_;
  limits limits_;
  // Evicts the connection that has waited longest for a request; false if none waits.
  bool evict_idle();
  struct connection {
    boost::asio::ip::tcp::socket* socket = nullptr;  // while serve() runs
    bool waiting = true;                             // for a request (not answering one)
    std::uint64_t since = 0;                         // order of the wait's start
  };
  std::list<connection> open_;
  std::uint64_t wait_counter_ = 0;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  bool stopping_ = false;
  std::uint16_t port_ = 0;
  std::size_t connections_ = 0;
  task_group tasks_;
};

// An application/x-www-form-urlencoded body ('+' is a space), decoded; nullopt when it is
// malformed (a bad %-escape). A repeated key: the last one wins.
std::optional<std::map<std::string, std::string>> parse_form(std::string_view body);

// A JSON error body: {"error": "..."}.
http_response json_error(unsigned status, const std::string& message);

}  // namespace corrent::io
