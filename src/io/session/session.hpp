// io::session — many torrents over one port. It owns what they share: the executor, one
// listen socket per address family (and the UDP socket on the same port, which UDP
// trackers use and the DHT and uTP will), a registry of torrents by info-hash, our peer
// id, the settings, the disk service (one pool, one open-file cache, one piece-buffer
// budget) and the root of the bandwidth tree (so --max-download-rate is a total).
//
// Incoming connections are read up to the info-hash here and attached to the torrent the
// registry names (unknown: hang up). One clock drives every torrent (a tick a second, and
// the bandwidth tick while a limit is set), so a thousand idle torrents cost one timer.
// Torrents are added, paused, resumed and removed while it runs; each operation runs in
// the session's task group, and shutdown() stops every torrent gracefully before it
// cancels and joins the session's own tasks.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "core/error.hpp"
#include "core/metainfo/add_params.hpp"
#include "core/metainfo/info.hpp"
#include "core/swarm/peer_book.hpp"
#include "io/dht/dht_service.hpp"
#include "io/net/udp_socket.hpp"
#include "io/session/options.hpp"
#include "io/storage/disk_io.hpp"
#include "io/task_group.hpp"
#include "io/torrent/torrent.hpp"
#include "io/torrent/torrent_host.hpp"
#include "io/tracker/udp_client.hpp"

namespace corrent::io {

class session final : public torrent_host {
 public:
  session(boost::asio::any_io_executor ex, session_options options);
  ~session() override;
  session(const session&) = delete;
  session& operator=(const session&) = delete;

  // Listens (TCP and UDP, on the same port) and starts the session's clocks.
  result<void> open();

  // Adds a torrent and starts it (unless options.start_paused). `info` may be null (a
  // magnet link). Refused when a torrent with that info-hash is already there.
  result<std::shared_ptr<torrent>> add(metainfo::add_params params,
                                       std::shared_ptr<const metainfo::info> info,
                                       torrent_options options);
  std::shared_ptr<torrent> find(const crypto::sha1_digest& info_hash) const;
  const std::vector<std::shared_ptr<torrent>>& torrents() const { return order_; }
  boost::asio::awaitable<void> pause(crypto::sha1_digest info_hash);
  boost::asio::awaitable<void> resume(crypto::sha1_digest info_hash);
  // Stops it, hashes all its data again (trusting no resume data), and starts it again (or
  // leaves it paused).
  boost::asio::awaitable<void> recheck(crypto::sha1_digest info_hash);
  void spawn_recheck(crypto::sha1_digest info_hash) { ops_.spawn(recheck(info_hash)); }
  // Stopped, then dropped from the registry; `delete_files`: its data and resume state too.
  boost::asio::awaitable<void> remove(crypto::sha1_digest info_hash, bool delete_files);

  // Until every torrent is done (finished or failed), request_stop(), or shutdown().
  boost::asio::awaitable<void> wait_until_done();
  void request_stop() {
    stop_requested_ = true;
    wake_waiters();
  }
  // Stops every torrent (gracefully; `interrupted`: without waiting for uploads in
  // flight), then the session's own tasks. The session may then be destroyed.
  boost::asio::awaitable<void> shutdown(bool interrupted);

  // The session's total rate limits (bytes/s, 0: none), while it runs.
  void set_rate_limits(double max_download_rate, double max_upload_rate);

  std::vector<torrent_status> status() const;
  // What torrents removed from this session had done in it (so that session-wide counters
  // summed over torrents never go down).
  struct removed_totals {
    std::int64_t downloaded = 0, uploaded = 0, hash_failures = 0;
  };
  const removed_totals& removed() const { return removed_; }
  std::vector<torrent_summary> summaries() const;
  dht_summary dht_status() const;
  // Called after every tick (once a second).
  void on_tick(std::function<void()> f) { on_tick_ = std::move(f); }
  std::size_t pending_handshakes() const { return handshakes_; }

  // --- torrent_host ---
  boost::asio::any_io_executor executor() override { return ex_; }
  disk_io& disk() override { return disk_; }
  udp_tracker_client& udp_trackers() override { return *udp_trackers_; }
  dht_service* dht() override { return dht_.get(); }
  swarm::bandwidth_channel& download_root() override { return down_root_; }
  swarm::bandwidth_channel& upload_root() override { return up_root_; }
  const wire::peer_id& peer_id() const override { return peer_id_; }
  std::uint16_t listen_port() const override { return listen_port_; }
  std::uint32_t tracker_key() const override { return tracker_key_; }
  const session_options& options() const override { return options_; }
  swarm::peer_key next_peer_key() override { return next_key_++; }
  double now() const override;
  void on_torrent_done(torrent& t) override;
  void on_torrent_state(torrent& t, torrent_state from, torrent_state to) override {
    if (on_state_) on_state_(t, from, to);
  }
  // Called on every torrent's state change.
  void on_state_change(std::function<void(torrent&, torrent_state, torrent_state)> f) {
    on_state_ = std::move(f);
  }
  void on_budget_freed() override;

 private:
  result<void> listen_on(const std::string& host, std::uint16_t port);
  void close_sockets();
  boost::asio::awaitable<void> accept_loop(boost::asio::ip::tcp::acceptor& acceptor);
  boost::asio::awaitable<void> handshake_incoming(boost::asio::ip::tcp::socket socket,
                                                  boost::asio::ip::tcp::endpoint remote);
  boost::asio::awaitable<void> finish_torrent(std::shared_ptr<torrent> t);
  boost::asio::awaitable<void> tick_loop();
  boost::asio::awaitable<void> bandwidth_loop();
  bool any_rate_limit() const;
  void wake_waiters() { done_signal_.cancel(); }

  boost::asio::any_io_executor ex_;
  session_options options_;
  std::mt19937_64 rng_;
  wire::peer_id peer_id_{};
  std::uint32_t tracker_key_ = 0;
  std::chrono::steady_clock::time_point started_;
  disk_io disk_;
  swarm::bandwidth_channel down_root_;
  swarm::bandwidth_channel up_root_;
  std::vector<std::unique_ptr<boost::asio::ip::tcp::acceptor>> acceptors_;
  std::unique_ptr<udp_socket> udp4_;
  std::unique_ptr<udp_socket> udp6_;
  std::unique_ptr<udp_tracker_client> udp_trackers_;
  std::unique_ptr<dht_service> dht_;
  std::uint16_t listen_port_ = 0;
  std::map<crypto::sha1_digest, std::shared_ptr<torrent>> registry_;
  // HASH('req2', info_hash) -> info_hash for every torrent in registry_: an incoming MSE
  // handshake names its torrent by that hash (one lookup, not a hash per torrent).
  std::map<crypto::sha1_digest, crypto::sha1_digest> by_req2_;
  std::vector<std::shared_ptr<torrent>> order_;  // in the order added
  removed_totals removed_;
  swarm::peer_key next_key_ = 1;
  std::size_t handshakes_ = 0;  // incoming connections not yet attached
  std::uint64_t ticks_ = 0;
  static constexpr std::uint64_t quiet_tick_every = 5;
  std::map<swarm::ip_key, int> pending_by_ip_;
  task_group service_;  // accept loops, UDP, clocks, incoming handshakes
  task_group ops_;      // start, stop, pause, resume, remove of torrents
  boost::asio::steady_timer done_signal_;
  std::function<void()> on_tick_;
  std::function<void(torrent&, torrent_state, torrent_state)> on_state_;
  bool opened_ = false;
  bool shutting_down_ = false;
  bool stop_requested_ = false;
};

}  // namespace corrent::io
