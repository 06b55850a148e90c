#include "io/tracker/udp_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include "core/tracker/errc.hpp"
#include "core/tracker/udp.hpp"
#include "io/net/resolve.hpp"

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

std::uint32_t txid_of(std::string_view datagram) {
  const auto* b = reinterpret_cast<const unsigned char*>(datagram.data());
  return (std::uint32_t{b[4]} << 24) | (std::uint32_t{b[5]} << 16) | (std::uint32_t{b[6]} << 8) |
         std::uint32_t{b[7]};
}

}  // namespace

udp_tracker_client::udp_tracker_client(asio::any_io_executor ex, udp_socket* v4, udp_socket* v6)
    : ex_(ex), v4_(v4), v6_(v6), rng_(std::random_device{}()) {
  for (auto* s : {v4_, v6_}) {
    if (!s) continue;
    s->add_handler(
        [this](const udp::endpoint& from, std::string_view d) { return on_datagram(from, d); });
    s->add_unreachable_handler([this](const udp::endpoint& to, boost::system::error_code ec) {
      for (auto& [id, w] : pending_) {
        if (w->from != to || w->refused) continue;
        w->refused = ec;
        w->wake->cancel();
      }
    });
  }
}

bool udp_tracker_client::on_datagram(const udp::endpoint& from, std::string_view datagram) {
  if (datagram.size() < 8) return false;  // BEP 15: action + transaction id at least
  const auto it = pending_.find(txid_of(datagram));
  if (it == pending_.end() || it->second->from != from || it->second->got) return false;
  it->second->reply.assign(datagram);
  it->second->got = true;
  it->second->wake->cancel();
  return true;
}

std::uint32_t udp_tracker_client::new_txid() {
  for (;;) {
    const std::uint32_t id = rng_();
    if (!pending_.count(id)) return id;
  }
}

asio::awaitable<result<udp_tracker_client::target>> udp_tracker_client::resolve(
    const std::string& url, std::chrono::steady_clock::time_point deadline) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || parsed->scheme() != "udp" || !parsed->has_port()) {
    co_return udp_error("bad UDP tracker URL " + url);
  }
  const std::string host = parsed->encoded_host_address().decode();
  const std::string port(parsed->port());
  udp::resolver resolver(co_await asio::this_coro::executor);
  auto [ec, results] = co_await resolve_within(resolver, host, port, deadline);
  if (ec) co_return error{ec, "resolving " + host};
  for (const auto& r : results) {
    const auto ep = r.endpoint();
    udp_socket* s = ep.address().is_v6() ? v6_ : v4_;
    if (s && s->is_open()) co_return target{host + ":" + port, ep, s};
  }
  co_return udp_error("no address of " + host + " that our UDP socket can reach");
}

template <class Accept>
asio::awaitable<result<void>> udp_tracker_client::transact(
    const target& t, std::string_view packet, std::uint32_t txid,
    std::chrono::steady_clock::time_point deadline, Accept accept) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  waiter w;
  w.from = t.endpoint;
  w.wake = &timer;
  pending_[txid] = &w;
  struct unregister {
    std::map<std::uint32_t, waiter*>& m;
    std::uint32_t id;
    ~unregister() { m.erase(id); }
  } guard{pending_, txid};
  for (int n = 0; n <= 8; ++n) {
    if (auto ec = co_await t.socket->send_to(t.endpoint, packet); ec)
      co_return error{ec, "sending to UDP tracker " + t.key};
    const auto resend_at = std::min(deadline, std::chrono::steady_clock::now() + 15s * (1 << n));
    while (std::chrono::steady_clock::now() < resend_at) {
      timer.expires_at(resend_at);
      co_await timer.async_wait(as_tuple(use_awaitable));
      if (w.refused) co_return error{w.refused, "UDP tracker " + t.key};
      if (!w.got) continue;  // timer expired: the loop condition decides
      w.got = false;
      if (accept(std::string_view(w.reply))) co_return result<void>{};
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
  }
  co_return error{make_error_code(boost::system::errc::timed_out), "UDP tracker did not answer"};
}

asio::awaitable<result<std::uint64_t>> udp_tracker_client::connection_id(
    const target& t, std::chrono::steady_clock::time_point deadline) {
  auto& conn = connections_[t.key];
  if (conn.expires > std::chrono::steady_clock::now()) co_return conn.id;  // BEP 15: 60 s
  const std::uint32_t txid = new_txid();
  std::optional<error> refused;
  std::uint64_t id = 0;
  auto r = co_await transact(t, std::string_view(tracker::udp::encode_connect(txid).data(), 16),
                             txid, deadline, [&](std::string_view reply) {
                               auto got = tracker::udp::parse_connect(reply, txid);
                               if (got) {
                                 id = *got;
                                 return true;
                               }
                               if (got.error().code != tracker::errc::tracker_error) return false;
                               refused = got.error();
                               return true;
                             });
  if (!r) co_return r.error();
  if (refused) co_return *refused;
  auto& c = connections_[t.key];
  c.id = id;
  c.expires = std::chrono::steady_clock::now() + 60s;
  co_return id;
}

asio::awaitable<result<tracker::announce_response>> udp_tracker_client::announce(
    std::string url, tracker::announce_request req, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto t = co_await resolve(url, deadline);
  if (!t) co_return t.error();
  auto id = co_await connection_id(*t, deadline);
  if (!id) co_return id.error();
  const std::uint32_t txid = new_txid();
  const auto packet = tracker::udp::encode_announce(*id, txid, req);
  const bool v6 = t->endpoint.address().is_v6();
  std::optional<result<tracker::announce_response>> answer;
  auto r = co_await transact(*t, std::string_view(packet.data(), packet.size()), txid, deadline,
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
  auto t = co_await resolve(url, deadline);
  if (!t) co_return t.error();
  auto id = co_await connection_id(*t, deadline);
  if (!id) co_return id.error();
  const std::uint32_t txid = new_txid();
  const std::string packet = tracker::udp::encode_scrape(*id, txid, {info_hash});
  std::optional<result<std::vector<tracker::scrape_entry>>> answer;
  auto r = co_await transact(*t, packet, txid, deadline, [&](std::string_view reply) {
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
