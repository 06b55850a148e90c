#include "io/dht/dht_service.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <system_error>

#include "io/net/resolve.hpp"
#include "io/storage/whole_file.hpp"

namespace corrent::io {
namespace asio = boost::asio;
using udp = asio::ip::udp;
using namespace std::chrono_literals;

const std::vector<std::string> default_dht_routers = {
    "router.bittorrent.com:6881",
    "router.utorrent.com:6881",
    "dht.transmissionbt.com:6881",
    "dht.libtorrent.org:25401",
};

namespace {

constexpr auto tick_interval = 500ms;
constexpr std::size_t max_state_size = 256 << 10;

net::peer_address to_peer_address(const udp::endpoint& ep) {
  if (ep.address().is_v4()) return net::peer_address::v4(ep.address().to_v4().to_uint(), ep.port());
  const auto v6 = ep.address().to_v6();
  if (v6.is_v4_mapped())
    return net::peer_address::v4(asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint(),
                                 ep.port());
  const auto b = v6.to_bytes();
  return net::peer_address::from_bytes(
      std::string_view(reinterpret_cast<const char*>(b.data()), 16), ep.port());
}

udp::endpoint to_endpoint(const net::peer_address& a) {
  if (!a.is_v6) {
    const std::uint32_t ip = static_cast<std::uint32_t>(a.ip[0]) << 24 |
                             static_cast<std::uint32_t>(a.ip[1]) << 16 |
                             static_cast<std::uint32_t>(a.ip[2]) << 8 | a.ip[3];
    return {asio::ip::address_v4(ip), a.port};
  }
  asio::ip::address_v6::bytes_type b{};
  std::copy(a.ip.begin(), a.ip.end(), b.begin());
  return {asio::ip::address_v6(b), a.port};
}

dht::node_id to_node_id(const crypto::sha1_digest& h) {
  dht::node_id id;
  std::copy(h.begin(), h.end(), id.bytes.begin());
  return id;
}

// "host:port" or "[v6]:port" split in two; nullopt when malformed.
std::optional<std::pair<std::string, std::string>> split_host_port(const std::string& s) {
  std::string host;
  std::string port;
  if (!s.empty() && s.front() == '[') {
    const auto close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':')
      return std::nullopt;
    host = s.substr(1, close - 1);
    port = s.substr(close + 2);
  } else {
    const auto colon = s.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  if (host.empty() || port.empty()) return std::nullopt;
  return std::make_pair(host, port);
}

}  // namespace

dht_service::dht_service(asio::any_io_executor ex, udp_socket* v4, udp_socket* v6,
                         dht_settings settings, std::function<double()> clock, std::uint64_t seed)
    : ex_(ex),
      v4_(v4),
      v6_(v6),
      settings_(std::move(settings)),
      clock_(std::move(clock)),
      seed_(seed),
      timer_(ex) {
  std::string saved;
  if (!settings_.state_file.empty()) {
    std::error_code ec;
    if (std::filesystem::exists(settings_.state_file, ec)) {
      if (auto r = read_whole_file(settings_.state_file, max_state_size)) {
        saved = std::move(*r);
      } else {
        spdlog::warn("dht: cannot read {}: {}", settings_.state_file.string(), r.error().message());
      }
    }
  }
  // Numeric routers now; names (the public routers) once resolved, in run().
  std::vector<net::peer_address> routers;
  for (const auto& b : settings_.bootstrap) {
    if (auto a = net::peer_address::parse(b)) routers.push_back(*a);
  }
  dht::node_config cfg;
  cfg.read_only = settings_.read_only;
  node_ = std::make_unique<dht::node>(cfg, saved, routers, clock_(), seed_);
  if (!saved.empty() && node_->table().size() == 0 &&
      dht::routing_table::load(saved) == std::nullopt)
    spdlog::warn("dht: {} is not a saved DHT table; starting afresh",
                 settings_.state_file.string());
  for (auto* s : {v4_, v6_}) {
    if (s)
      s->add_handler(
          [this](const udp::endpoint& from, std::string_view d) { return on_datagram(from, d); });
  }
  spdlog::debug("dht: node id {}, {} nodes from {}", node_->id().hex(), node_->table().size(),
                saved.empty() ? "nowhere (fresh)" : settings_.state_file.string());
}

dht_service::~dht_service() = default;

std::uint16_t dht_service::port() const {
  if (v4_) return v4_->local_port();
  return v6_ ? v6_->local_port() : 0;
}

asio::awaitable<void> dht_service::run() {
  std::vector<std::string> names;
  for (const auto& b : settings_.bootstrap) {
    if (!net::peer_address::parse(b)) names.push_back(b);
  }
  // No router given and nothing saved: the public routers (for real use; tests always
  // pass loopback nodes, and then this never runs).
  const bool defaults_allowed = settings_.bootstrap.empty();
  bool defaults_asked = defaults_allowed && node_->table().size() == 0;
  if (defaults_asked) names = default_dht_routers;
  if (!names.empty()) co_await resolve_routers(std::move(names));
  const double started = clock_();
  while (!stopped_) {
    node_->tick(clock_());
    flush();
    // A saved table whose nodes have all gone (an old one): the public routers after all.
    if (defaults_allowed && !defaults_asked && clock_() - started > 60 &&
        node_->table().size() < 8) {
      defaults_asked = true;
      spdlog::debug("dht: the saved nodes do not answer: asking the public routers");
      co_await resolve_routers(default_dht_routers);
    }
    if (node_->save_due(clock_())) save();
    timer_.expires_after(tick_interval);
    auto [ec] = co_await timer_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) break;
  }
}

asio::awaitable<void> dht_service::resolve_routers(std::vector<std::string> hosts) {
  udp::resolver resolver(ex_);
  for (const auto& h : hosts) {
    if (stopped_) co_return;
    const auto hp = split_host_port(h);
    if (!hp) {
      spdlog::warn("dht: bootstrap node {}: not HOST:PORT", h);
      continue;
    }
    auto [ec, results] = co_await resolve_within(resolver, hp->first, hp->second,
                                                 std::chrono::steady_clock::now() + 10s);
    if (ec) {
      spdlog::debug("dht: bootstrap node {}: {}", h, ec.message());
      continue;
    }
    for (const auto& r : results) {
      const auto a = to_peer_address(r.endpoint());
      if ((a.is_v6 ? v6_ : v4_) != nullptr) node_->add_router(a);
    }
  }
}

void dht_service::stop() {
  if (stopped_) return;
  stopped_ = true;
  timer_.cancel();
  save();
  listeners_.clear();
}

void dht_service::save() {
  node_->mark_saved(clock_());
  if (settings_.state_file.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(settings_.state_file.parent_path(), ec);
  if (auto r = replace_file_atomically(settings_.state_file, node_->save()); !r)
    spdlog::warn("dht: cannot save {}: {}", settings_.state_file.string(), r.error().message());
}

bool dht_service::on_datagram(const udp::endpoint& from, std::string_view data) {
  if (stopped_) return false;
  if (!node_->on_datagram(to_peer_address(from), data, clock_())) return false;
  flush();
  return true;
}

void dht_service::flush() {
  for (const auto& o : node_->take_outgoing()) {
    udp_socket* s = o.to.is_v6 ? v6_ : v4_;
    if (s && s->is_open()) s->send_now(to_endpoint(o.to), o.data);
  }
  for (auto& e : node_->take_events()) {
    switch (e.k) {
      case dht::node::event::kind::log:
        spdlog::debug("dht: {}", e.text);
        break;
      case dht::node::event::kind::peers: {
        const auto it = listeners_.find(e.info_hash);
        if (it != listeners_.end() && it->second.on_peers) it->second.on_peers(e.peers);
        break;
      }
      case dht::node::event::kind::lookup_done: {
        const auto it = listeners_.find(e.info_hash);
        if (it == listeners_.end()) break;
        auto done = std::move(it->second.on_done);
        listeners_.erase(it);
        if (done) done(e.peers_total);
        break;
      }
    }
  }
}

bool dht_service::get_peers(const crypto::sha1_digest& info_hash, std::uint16_t announce_port,
                            peers_handler on_peers, done_handler on_done) {
  if (stopped_) return false;
  const auto id = to_node_id(info_hash);
  if (listeners_.contains(id)) return false;
  if (!node_->get_peers(id, settings_.read_only ? 0 : announce_port, clock_())) return false;
  listeners_[id] = {std::move(on_peers), std::move(on_done)};
  flush();
  return true;
}

void dht_service::forget(const crypto::sha1_digest& info_hash) {
  listeners_.erase(to_node_id(info_hash));
}

void dht_service::add_node(const net::peer_address& address) {
  if (stopped_) return;
  node_->add_node(address, clock_());
  flush();
}

void dht_service::add_router(const net::peer_address& address) {
  if (stopped_) return;
  node_->add_router(address);
  node_->add_node(address, clock_());
  flush();
}

void dht_service::vote_external_ip(const net::peer_address& ip, const net::peer_address& voter) {
  if (stopped_) return;
  node_->vote_external_ip(ip, voter, clock_());
  flush();
}

dht::node_stats dht_service::stats() const {
  return node_->stats();
}

}  // namespace corrent::io
