// io::torrent_host — what a torrent needs from the session that holds it: the executor,
// the shared disk service, UDP trackers, the roots of the bandwidth tree, our identity
// and port, peer keys, the session clock, and where to report that it has finished.
// An interface, so that a torrent never names the session class (dependencies run
// session -> torrent).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <cstdint>

#include "core/swarm/bandwidth.hpp"
#include "core/swarm/piece_picker.hpp"
#include "core/wire/message.hpp"
#include "io/session/options.hpp"

namespace corrent::io {

class disk_io;
class dht_service;
class torrent;
class udp_tracker_client;

class torrent_host {
 public:
  virtual ~torrent_host() = default;
  virtual boost::asio::any_io_executor executor() = 0;
  virtual disk_io& disk() = 0;
  virtual udp_tracker_client& udp_trackers() = 0;
  // The session's DHT node; null when the DHT is off.
  virtual dht_service* dht() { return nullptr; }
  virtual swarm::bandwidth_channel& download_root() = 0;
  virtual swarm::bandwidth_channel& upload_root() = 0;
  virtual const wire::peer_id& peer_id() const = 0;
  virtual std::uint16_t listen_port() const = 0;
  virtual std::uint32_t tracker_key() const = 0;
  virtual const session_options& options() const = 0;
  // A key no other connection of the session has.
  virtual swarm::peer_key next_peer_key() = 0;
  // Seconds on the session's monotonic clock.
  virtual double now() const = 0;
  // The torrent is done (complete and not seeding, a seeding limit reached, or an error):
  // the session stops it.
  virtual void on_torrent_done(torrent& t) = 0;
  // Its state changed (checking -> downloading, ... -> paused): for the daemon's events.
  virtual void on_torrent_state(torrent& /*t*/, torrent_state /*from*/, torrent_state /*to*/) {}
  // Piece buffers were released: torrents that paused for the shared budget may go on.
  virtual void on_budget_freed() = 0;
};

}  // namespace corrent::io
