#include "io/tracker/udp_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "core/tracker/errc.hpp"
#include "core/tracker/udp.hpp"

namespace corrent::io {
namespace asio = boost::asio;
using asio::as_tuple;
using asio::use_awaitable;
using udp = asio::ip::udp;
using namespace std::chrono_literals;

namespace {

error udp_error(std::string detail) {
  return error{make_error_code(boost::system::errc::protocol_error), std::move(detail)};
}

struct target {
  std::string key;  // host:port
  udp::endpoint endpoint;
};

asio::awaitable<result<target>> resolve(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "udp" || !parsed->has_port()) {
    co_return udp_error("bad UDP tracker URL " + url);
  }
  const std::string host = parsed->encoded_host_address().decode();
  const std::string port(parsed->port());
  udp::resolver resolver(co_await asio::this_coro::executor);
  auto [ec, results] = co_await resolver.async_resolve(host, port, as_tuple(use_awaitable));
  if (ec) co_return error{ec, "resolving " + host};
  if (results.empty()) co_return udp_error("no address for " + host);
  co_return target{host + ":" + port, results.begin()->endpoint()};
}

// Sends `packet` and waits for a reply that `accept` takes (returns true), resending on
// BEP 15's schedule (15 s, 30 s, ...) until `deadline`. Replies `accept` rejects (other
// transactions, junk) are ignored.
template <class Accept>
asio::awaitable<result<void>> transact(udp::socket& sock, std::string_view packet,
                                       std::chrono::steady_clock::time_point deadline,
                                       Accept accept) {
  using namespace asio::experimental::awaitable_operators;
  std::array<char, 65536> buf;
  asio::steady_timer timer(sock.get_executor());
  for (int n = 0; n <= 8; ++n) {
    auto [sec, sent] = co_await sock.async_send(asio::buffer(packet.data(), packet.size()),
                                                as_tuple(use_awaitable));
    if (sec) co_return error{sec, "sending to UDP tracker"};
    const auto resend_at = std::min(deadline, std::chrono::steady_clock::now() + 15s * (1 << n));
    while (std::chrono::steady_clock::now() < resend_at) {
      timer.expires_at(resend_at);
      auto r = co_await (sock.async_receive(asio::buffer(buf), as_tuple(use_awaitable)) ||
                         timer.async_wait(as_tuple(use_awaitable)));
      if (r.index() == 1) break;  // resend (or give up at the deadline)
      auto [rec, got] = std::get<0>(r);
      if (rec) co_return error{rec, "receiving from UDP tracker"};
      if (accept(std::string_view(buf.data(), got))) co_return result<void>{};
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
  }
  co_return error{make_error_code(boost::system::errc::timed_out), "UDP tracker did not answer"};
}

// A socket connected to the tracker (so only its datagrams arrive).
result<udp::socket> open_socket(const asio::any_io_executor& ex, const target& t) {
  udp::socket sock(ex);
  boost::system::error_code ec;
  sock.open(t.endpoint.protocol(), ec);
  if (!ec) sock.connect(t.endpoint, ec);
  if (ec) return error{ec, "UDP socket to " + t.key};
  return sock;
}

}  // namespace

udp_tracker_client::udp_tracker_client() : rng_(std::random_device{}()) {}

asio::awaitable<result<std::uint64_t>> udp_tracker_client::connection_id(
    udp::socket& sock, const std::string& key, std::chrono::steady_clock::time_point deadline) {
  auto& conn = connections_[key];
  if (conn.expires > std::chrono::steady_clock::now()) co_return conn.id;  // BEP 15: 60 s
  const std::uint32_t txid = rng_();
  std::optional<error> refused;
  auto r = co_await transact(sock, std::string_view(tracker::udp::encode_connect(txid).data(), 16),
                             deadline, [&](std::string_view reply) {
                               auto id = tracker::udp::parse_connect(reply, txid);
                               if (id) {
                                 conn.id = *id;
                                 conn.expires = std::chrono::steady_clock::now() + 60s;
                                 return true;
                               }
                               if (id.error().code != tracker::errc::tracker_error) return false;
                               refused = id.error();
                               return true;
                             });
  if (!r) co_return r.error();
  if (refused) co_return *refused;
  co_return conn.id;
}

asio::awaitable<result<tracker::announce_response>> udp_tracker_client::announce(
    std::string url, tracker::announce_request req, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto t = co_await resolve(url);
  if (!t) co_return t.error();
  auto sock = open_socket(co_await asio::this_coro::executor, *t);
  if (!sock) co_return sock.error();
  auto id = co_await connection_id(*sock, t->key, deadline);
  if (!id) co_return id.error();
  const std::uint32_t txid = rng_();
  const auto packet = tracker::udp::encode_announce(*id, txid, req);
  const bool v6 = t->endpoint.address().is_v6();
  std::optional<result<tracker::announce_response>> answer;
  auto r = co_await transact(*sock, std::string_view(packet.data(), packet.size()), deadline,
                             [&](std::string_view reply) {
                               auto a = tracker::udp::parse_announce(reply, txid, v6);
                               if (!a && a.error().code == tracker::errc::bad_packet) return false;
                               answer = std::move(a);
                               return true;
                             });
  if (!r) {
    connections_[t->key].expires = {};  // maybe the tracker forgot us: reconnect next time
    co_return r.error();
  }
  co_return std::move(*answer);
}

asio::awaitable<result<tracker::scrape_entry>> udp_tracker_client::scrape(
    std::string url, crypto::sha1_digest info_hash, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto t = co_await resolve(url);
  if (!t) co_return t.error();
  auto sock = open_socket(co_await asio::this_coro::executor, *t);
  if (!sock) co_return sock.error();
  auto id = co_await connection_id(*sock, t->key, deadline);
  if (!id) co_return id.error();
  const std::uint32_t txid = rng_();
  const std::string packet = tracker::udp::encode_scrape(*id, txid, {info_hash});
  std::optional<result<std::vector<tracker::scrape_entry>>> answer;
  auto r = co_await transact(*sock, packet, deadline, [&](std::string_view reply) {
    auto a = tracker::udp::parse_scrape(reply, txid, 1);
    if (!a && a.error().code == tracker::errc::bad_packet) return false;
    answer = std::move(a);
    return true;
  });
  if (!r) co_return r.error();
  if (!*answer) co_return answer->error();
  co_return (**answer).front();
}

}  // namespace corrent::io
