// io::http_get — a small HTTP/1.1 GET client for trackers and .torrent URLs (Beast): http and https
// (TLS with certificate and host name verification against the system trust store), bounded body,
// bounded redirects (http/https only, at most 5), one overall timeout.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>

#include "core/error.hpp"

namespace corrent::io {

struct http_limits {
  std::chrono::milliseconds timeout{15000};
  std::size_t max_body = 1 << 20;
  int max_redirects = 5;
  // A redirect to a magnet: link ends the fetch with the link as the body (an indexer's
  // download link for a .torrent may lead to a magnet instead).
  bool magnet_redirect = false;
};

boost::asio::awaitable<result<std::string>> http_get(std::string url, http_limits limits = {});

}  // namespace corrent::io
