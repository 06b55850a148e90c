// Name resolution inside a deadline. Asio resolves on a background thread with
// getaddrinfo, which has its own timeouts (tens of seconds with a dead DNS server): a timer
// cancels the wait at the caller's deadline, so a tracker's whole exchange, resolution
// included, stays inside its time (and Ctrl-C is not held up by DNS).
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <chrono>
#include <memory>
#include <string>
#include <tuple>

namespace corrent::io {

template <class Resolver>
boost::asio::awaitable<std::tuple<boost::system::error_code, typename Resolver::results_type>>
resolve_within(Resolver& resolver, const std::string& host, const std::string& port,
               std::chrono::steady_clock::time_point deadline) {
  // An address needs no resolution (and no trip through the resolver's thread).
  boost::system::error_code parse_ec;
  const auto literal = boost::asio::ip::make_address(
      host.size() > 2 && host.front() == '[' && host.back() == ']' ? host.substr(1, host.size() - 2)
                                                                   : host,
      parse_ec);
  if (!parse_ec) {
    std::uint16_t p = 0;
    const auto [ptr, err] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (err == std::errc() && ptr == port.data() + port.size()) {
      co_return std::make_tuple(
          boost::system::error_code(),
          Resolver::results_type::create(typename Resolver::endpoint_type(literal, p), host, port));
    }
  }
  // The timer's handler may already be queued when the resolution completes: it checks
  // `done` (shared, so it outlives this frame) before it touches the resolver.
  struct state {
    bool done = false;
    bool expired = false;
  };
  auto st = std::make_shared<state>();
  boost::asio::steady_timer timer(resolver.get_executor(), deadline);
  timer.async_wait([&resolver, st](boost::system::error_code ec) {
    if (ec || st->done) return;
    st->expired = true;
    resolver.cancel();
  });
  auto [ec, results] = co_await resolver.async_resolve(
      host, port, boost::asio::as_tuple(boost::asio::use_awaitable));
  st->done = true;
  timer.cancel();
  if (st->expired) ec = boost::asio::error::timed_out;
  co_return std::make_tuple(ec, std::move(results));
}

}  // namespace corrent::io
