// io::torrent_session — one torrent being downloaded: the piece picker (core), the peer
// connections, the announce loop, the disk side (hash + write on a thread pool) and the
// statistics. Everything here runs on the one io_context thread, so nothing is locked;
// disk jobs run on the pool and post their results back.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <unordered_map>
#include <vector>

#include "core/metainfo/torrent.hpp"
#include "core/swarm/choker.hpp"
#include "core/swarm/download_slots.hpp"
#include "core/swarm/piece_picker.hpp"
#include "core/swarm/smart_ban.hpp"
#include "core/swarm/token_bucket.hpp"
#include "core/tracker/announce.hpp"
#include "core/tracker/tier.hpp"
#include "core/wire/message.hpp"
#include "io/peer/peer_connection.hpp"
#include "io/session/download.hpp"
#include "io/storage/buffer_pool.hpp"
#include "io/storage/torrent_storage.hpp"
#include "io/tracker/udp_client.hpp"

namespace corrent::io {

// The printable prefix of a peer id (e.g. "-LT2080-"), for logs and summaries.
std::string client_name(const wire::peer_id& id);
// Completion handler for spawned session coroutines: logs an escaped exception.
void log_exception(std::exception_ptr e);

class torrent_session {
 public:
  torrent_session(boost::asio::io_context& ioc, const metainfo::torrent& t,
                  const download_options& opts,
                  std::function<void(const download_status&)> on_status);
  ~torrent_session();

  // Runs until complete, failed or stop(); fills the summary.
  boost::asio::awaitable<void> run();
  void stop(bool interrupted);
  download_summary summary() const;

  // --- called by peer_connection (same thread) ---
  const crypto::sha1_digest& info_hash() const { return torrent_.info_hash; }
  const wire::peer_id& our_id() const { return peer_id_; }
  void on_handshake(peer_connection& p);
  // false: protocol violation, disconnect.
  bool on_message(peer_connection& p, const wire::message& m);
  void after_messages(peer_connection& p);
  void on_closed(peer_connection& p);
  void on_write_done(peer_connection& p) { serve_requests(p); }
  void on_snubbed(peer_connection& p);

 private:
  struct known_peer {
    std::chrono::steady_clock::time_point next_attempt{};
    int failures = 0;
    bool connected = false;
    bool banned = false;
  };
  // How a peer's data has checked out, by address (incoming peers too, whom known_ must
  // not hold: its entries are dialled).
  struct standing {
    bool parole = false;  // in a failed piece with others: gets whole pieces alone
    int trust = 0;        // -trust_per_failure per failed piece, +1 per good one
  };
  static constexpr int trust_per_failure = 2;
  static constexpr int trust_ban = -7;  // libtorrent's figures
  static constexpr int trust_max = 8;

  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> connect_loop();
  boost::asio::awaitable<void> announce_loop();
  boost::asio::awaitable<void> status_loop();
  boost::asio::awaitable<void> choke_loop();
  boost::asio::awaitable<void> finish_and_seed();
  // `completed` / `stopped` to the tracker that last answered in each tier.
  boost::asio::awaitable<bool> announce_once(tracker::event ev, std::chrono::milliseconds timeout);
  boost::asio::awaitable<void> tier_loop(std::size_t tier);
  boost::asio::awaitable<bool> announce_tier(std::size_t tier, tracker::event ev,
                                             std::chrono::milliseconds timeout);
  boost::asio::awaitable<result<tracker::announce_response>> announce_to(
      const std::string& url, tracker::announce_request req, std::chrono::milliseconds timeout);
  tracker::announce_request make_request(tracker::event ev) const;
  result<void> open_listener();
  bool restore_progress();  // false: finished already (existing complete data)
  boost::asio::awaitable<void> checkpoint_loop();
  result<void> checkpoint_now();

  void add_peers(const std::vector<net::peer_address>& peers);
  void connect_to(const net::peer_address& addr);
  void update_interest(peer_connection& p);
  // Tops up the peer's requests, taking a free download slot first if it holds none, and
  // giving its slot up if it may not request. `busy` (optional): busy_peers(), kept up to date, so
  // that topping up every peer costs one pass over them, not one per idle peer.
  void fill_requests(peer_connection& p, std::size_t* busy = nullptr);
  void fill_all_requests(const peer_connection* except = nullptr);
  bool on_block(peer_connection& p, const wire::message& m);
  void size_disk_side();  // hash batch, piece-buffer budget, spare buffers
  // A complete piece joins the hash batch; flush_hashes() hands the batch to the pool.
  void submit_piece(std::uint32_t piece);
  void maybe_flush_hashes();
  void flush_hashes();
  bool on_request(peer_connection& p, const wire::message& m);
  void serve_requests(peer_connection& p);
  void on_block_read(swarm::peer_key key, const std::vector<swarm::block_ref>& batch,
                     std::shared_ptr<pooled_buffer> buf, result<void> r);
  void rechoke();
  bool seed_ratio_reached();
  void on_piece_done(std::uint32_t piece, bool hash_ok, result<void> written,
                     const std::vector<crypto::sha1_digest>& blocks);
  void on_piece_failed(std::uint32_t piece, const std::vector<crypto::sha1_digest>& blocks);
  // Never dialled again, incoming connections refused, any connection closed.
  void ban(const net::peer_address& addr, const std::string& why);
  void check_finished();
  void fail(std::string why);
  download_status status() const;
  std::size_t request_depth(const peer_connection& p) const;
  // We may send the peer requests: it unchoked us, has pieces we want, is open.
  bool may_request(const peer_connection& p) const;
  // Peers holding a download slot; whether one could take requests but has no slot;
  // whether any request is outstanding.
  std::size_t busy_peers() const;
  bool peer_waiting() const;
  bool requests_outstanding() const;

  boost::asio::io_context& ioc_;
  const metainfo::torrent& torrent_;
  download_options opts_;
  std::function<void(const download_status&)> on_status_;
  swarm::piece_picker picker_;
  swarm::smart_ban smart_ban_;
  torrent_storage storage_;
  boost::asio::thread_pool disk_pool_{2};
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer wake_connect_;
  boost::asio::steady_timer wake_announce_;
  boost::asio::steady_timer done_;
  boost::asio::steady_timer wake_choke_;
  swarm::choker choker_;
  swarm::download_slots slots_;  // how many peers we download from at once
  swarm::token_bucket down_bucket_;
  swarm::token_bucket up_bucket_;
  double now_s() const;
  boost::asio::awaitable<void> rate_loop();
  std::mt19937_64 rng_;
  wire::peer_id peer_id_{};
  std::uint32_t tracker_key_ = 0;
  std::uint16_t listen_port_ = 0;
  std::string tracker_id_;
  // BEP 12 tiers: each has its own announce loop; URLs are shuffled once, and one that
  // answers moves to the front of its tier.
  struct tier_state {
    tracker::tier urls;  // order (core/tracker/tier.hpp)
    tracker::announce_schedule schedule;
    std::string last_good;
  };
  std::vector<tier_state> tiers_;
  udp_tracker_client udp_;
  std::set<std::string> warned_schemes_;

  std::map<net::peer_address, known_peer> known_;
  std::set<swarm::peer_key> banned_keys_;  // connections closed by ban()
  std::map<net::peer_address, standing> standing_;
  std::unordered_map<swarm::peer_key, std::shared_ptr<peer_connection>> peers_;
  swarm::peer_key next_key_ = 1;
  std::vector<peer_summary> finished_peers_;

  // Piece data being assembled; handed to the disk pool when complete. Pieces in progress
  // each hold a piece buffer: with many peers they share open pieces rather than each
  // opening its own (at least 4, whatever the piece size).
  static constexpr std::int64_t max_open_piece_bytes = 16 << 20;
  static constexpr std::size_t endgame_requests = 8;  // per peer, in the endgame
  std::unordered_map<std::uint32_t, std::unique_ptr<char[]>> piece_buffers_;
  std::vector<std::unique_ptr<char[]>> spare_buffers_;  // piece buffers kept for reuse
  std::size_t max_spare_buffers_ = 8;
  std::shared_ptr<buffer_pool> read_buffers_ = buffer_pool::create(32);  // served blocks
  std::size_t pending_disk_ = 0;            // pieces batched or on the pool
  std::uint32_t max_open_pieces_ = 4;       // from max_open_piece_bytes
  std::size_t max_piece_bytes_ = 24 << 20;  // open and pending pieces together
  void update_open_cap();                   // the picker's open cap from the two
  // Complete pieces waiting to be hashed together (crypto::sha1_many): flushed at
  // hash_batch_ pieces, when no request is outstanding, before the budget pauses requests, on stop,
  // at once while a peer is interested in us, or by the timer (20 ms after the first).
  struct hash_job {
    std::uint32_t piece = 0;
    std::unique_ptr<char[]> data;
    bool watched = false;  // smart_ban wants its block digests
  };
  std::vector<hash_job> hash_batch_queue_;
  std::size_t hash_batch_ = 1;
  boost::asio::steady_timer hash_flush_timer_;
  bool hash_timer_armed_ = false;
  std::vector<swarm::block_ref> pick_scratch_;

  std::chrono::steady_clock::time_point started_at_;
  double first_byte_s_ = -1;
  std::int64_t downloaded_bytes_ = 0;  // payload received
  std::int64_t uploaded_bytes_ = 0;
  std::int64_t verified_bytes_ = 0;
  std::int64_t hash_failures_ = 0;
  rate_meter down_meter_;
  rate_meter up_meter_;
  std::string tracker_state_;
  std::uint32_t checkpointed_count_ = 0;
  bool checkpoint_running_ = false;
  std::size_t reads_in_flight_ = 0;
  // Blocks uploaded at least once (for --seed-ratio: do not leave short of a full copy).
  std::vector<bool> sent_blocks_;
  std::size_t sent_block_count_ = 0;
  std::size_t total_blocks_ = 0;
  std::size_t blocks_per_piece_ = 1;
  bool serving_paused_ = false;
  bool seeding_ = false;
  bool moved_ = false;  // files are at their final paths
  std::chrono::steady_clock::time_point seeding_since_;
  bool stopping_ = false;
  bool interrupted_ = false;
  bool complete_ = false;
  std::string error_;
};

}  // namespace corrent::io
