// io::dht_service — the session's DHT node (core's dht::node) on the session's UDP
// socket(s): it hands the node every datagram that looks like KRPC (after the UDP
// trackers had their pick), sends what the node wants sent, ticks it twice a second, and
// passes lookup results to the torrent that asked. Bootstrap routers given by name are
// resolved here; the routing table is read at start and written (crash-safely) every few
// minutes and at stop, when a state file is set.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/crypto/sha1.hpp"
#include "core/dht/node.hpp"
#include "core/net/peer_address.hpp"
#include "io/net/udp_socket.hpp"

namespace corrent::io {

// The well-known public routers, used when no --dht-bootstrap is given and there is no
// saved table, or its nodes stopped answering (real use only: every test passes loopback
// nodes, and then these are never resolved).
extern const std::vector<std::string> default_dht_routers;

struct dht_settings {
  std::vector<std::string> bootstrap;  // HOST:PORT; empty: saved table, else default routers
  bool read_only = false;
  std::filesystem::path state_file;  // the saved table (empty: none)
};

class dht_service {
 public:
  using peers_handler = std::function<void(const std::vector<net::peer_address>&)>;
  using done_handler = std::function<void(std::size_t peers_found)>;

  // Either socket may be null; both must outlive the service's tasks. `clock`: seconds.
  dht_service(boost::asio::any_io_executor ex, udp_socket* v4, udp_socket* v6,
              dht_settings settings, std::function<double()> clock, std::uint64_t seed);
  ~dht_service();

  // Loads the saved table, resolves the routers, then ticks until stop(). Run it in the
  // session's task group.
  boost::asio::awaitable<void> run();
  // Saves the table; no more ticks.
  void stop();

  // Looks `info_hash` up and announces `announce_port` there (0: no announce): `on_peers`
  // with each batch found, then `on_done` once. False (and no calls) when a lookup for it
  // is running already.
  bool get_peers(const crypto::sha1_digest& info_hash, std::uint16_t announce_port,
                 peers_handler on_peers, done_handler on_done);
  // The torrent is gone: its handlers are dropped (its lookup runs out on its own).
  void forget(const crypto::sha1_digest& info_hash);
  void add_node(const net::peer_address& address);
  // A node to start lookups from while the table is small (and pinged): a .torrent's.
  void add_router(const net::peer_address& address);
  void vote_external_ip(const net::peer_address& ip, const net::peer_address& voter);

  dht::node_stats stats() const;
  std::uint16_t port() const;

 private:
  bool on_datagram(const boost::asio::ip::udp::endpoint& from, std::string_view data);
  void flush();
  void save();
  boost::asio::awaitable<void> resolve_routers(std::vector<std::string> hosts);

  boost::asio::any_io_executor ex_;
  udp_socket* v4_;
  udp_socket* v6_;
  dht_settings settings_;
  std::function<double()> clock_;
  std::uint64_t seed_;
  std::unique_ptr<dht::node> node_;
  struct listener {
    peers_handler on_peers;
    done_handler on_done;
  };
  std::map<dht::node_id, listener> listeners_;
  boost::asio::steady_timer timer_;
  bool stopped_ = false;
};

}  // namespace corrent::io
