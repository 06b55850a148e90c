// io::torrent — one torrent of a session: executes what core's torrent_logic decides.
// It owns the connections to its peers, its storage (once `info` is known), the piece
// buffers and the hash pipeline on the session's disk pool, its announces, and a task
// group holding every coroutine it runs (dials, connections, announces), cancelled and
// joined when it stops. Disk work keeps the torrent alive (shared_from_this) until its
// result is back on the network thread; stop() waits for all of it.
//
// States: fetching metadata (no `info` yet), checking, downloading, seeding, paused,
// finished, error. start() checks the files (resume file, or existing data) and then
// downloads or seeds; stop() is graceful (pending pieces verified and written, resume
// data saved, or the files moved into place when complete; trackers told) and may be
// called again to resume with start().
//
// Files: torrent.cpp (life cycle, peers, actions), metadata.cpp (a magnet's `info`), disk_side.cpp
// (piece buffers, hashing, checkpoints, moving files), upload.cpp (serving requests), announcer.cpp
// (trackers), checking.cpp (what is on disk at start).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/metainfo/add_params.hpp"
#include "core/metainfo/info.hpp"
#include "core/resume/flush_ledger.hpp"
#include "core/torrent/torrent_logic.hpp"
#include "io/peer/peer_connection.hpp"
#include "io/peer/peer_events.hpp"
#include "io/session/options.hpp"
#include "io/storage/buffer_pool.hpp"
#include "io/storage/torrent_storage.hpp"
#include "io/task_group.hpp"
#include "io/torrent/torrent_host.hpp"

namespace corrent::io {

// The printable prefix of a peer id (e.g. "-LT2080-"), for logs and summaries.
std::string client_name(const wire::peer_id& id);
// What we say we are in the extended handshake (BEP 10 `v`).
inline constexpr const char* client_version = "corrent 0.2";

class torrent final : public peer_events, public std::enable_shared_from_this<torrent> {
 public:
  // `info` may be null (a magnet link: it comes later).
  torrent(torrent_host& host, metainfo::add_params params,
          std::shared_ptr<const metainfo::info> info, torrent_options options);
  ~torrent() override;

  const crypto::sha1_digest& info_hash() const { return params_.info_hash; }
  const std::string& name() const;
  torrent_state state() const { return state_; }
  bool running() const { return running_; }
  // Done for good: finished or failed (the session's run may end when all are).
  bool done() const { return state_ == torrent_state::finished || state_ == torrent_state::error; }
  const torrent_options& options() const { return options_; }

  // Checks what is on disk (the first time), then downloads or seeds. Returns once it runs.
  boost::asio::awaitable<void> start();
  // Graceful stop into `end` (paused, finished, error): no new peers or requests, pending
  // pieces verified and written, connections closed, resume data saved (or, complete, the
  // files moved into place), trackers told `stopped`. `interrupted` (Ctrl-C) does not wait
  // for uploads in flight. A second call waits for the first.
  boost::asio::awaitable<void> stop(torrent_state end, bool interrupted = false);
  // Added paused: checks what is on disk (resume data, or the files already in place) so
  // that its progress is known, then stays paused, unless resume_after_check() was called
  // meanwhile.
  boost::asio::awaitable<void> check_paused();
  void resume_after_check() { start_after_check_ = true; }
  // The next start (or check_paused) checks the data again, hashing every piece (the resume
  // data is not trusted). The torrent must be stopped.
  void forget_check() {
    checked_ = false;
    distrust_resume_ = true;
    complete_ = false;
    moved_ = false;  // the check finds out where the files are
  }
  bool checking_paused() const { return in_paused_check_; }
  // Its files are at their final paths in the output directory (complete, moved in place).
  bool files_in_place() const { return moved_; }

  // --- peers, from the session ---
  // Not banned, room for it (a useless peer may be closed to make room).
  std::optional<peer::close_reason> may_attach(const net::peer_address& address, bool outgoing);
  // An incoming connection whose handshake named this torrent, answered already.
  void attach(std::unique_ptr<peer_stream> stream, const wire::handshake& theirs,
              net::peer_address address);

  // --- the session's clocks ---
  void on_tick(double now);  // once a second (every few seconds while quiet())
  // Seeding with no connection open or being opened: nothing in it changes from second to
  // second, so the session ticks it less often.
  bool quiet() const;
  void on_bandwidth_tick(double now);  // ~every 20 ms while a rate limit is set
  void on_budget_freed(double now);

  torrent_status status() const;
  torrent_figures figures() const;
  // The bytes of the pieces in have_ (while no logic runs).
  std::int64_t have_bytes() const;
  torrent_summary summary() const;
  std::vector<live_peer> live_peers() const;
  // This torrent's own rate limits (bytes/s, 0: none) and seeding limits (0: none), while
  // it runs or not.
  void set_limits(double max_download_rate, double max_upload_rate, double seed_ratio,
                  double seed_time_s);
  // The pieces verified (empty until the `info` is known).
  swarm::bitfield have() const;
  // Its tracker tiers (none before it first ran); times on the session's clock (now()).
  std::vector<corrent::torrent::tier_report> trackers() const;
  // Null until known (a magnet's metadata).
  const metainfo::info* info() const { return info_.get(); }

  // --- peer_events ---
  bool on_message(peer_connection& c, const wire::message& m) override;
  void after_messages(peer_connection& c) override;
  void on_write_done(peer_connection& c) override;
  void on_closed(peer_connection& c) override;

 private:
  struct restore_result;
  // start() or check_paused() under way, until it goes out of scope (then every stop()
  // waiting for it wakes up).
  struct starting_guard {
    torrent& t;
    starting_guard(torrent& owner, bool paused_check) : t(owner) {
      t.starting_ = true;
      t.in_paused_check_ = paused_check;
    }
    ~starting_guard() {
      t.starting_ = false;
      t.in_paused_check_ = false;
      t.stopped_signal_->cancel();
    }
    starting_guard(const starting_guard&) = delete;
    starting_guard& operator=(const starting_guard&) = delete;
  };
  // --- life cycle ---
  boost::asio::awaitable<void> check_files();
  // Checks the files unless that was done: false when it failed (the torrent is in error).
  boost::asio::awaitable<bool> check_once();
  void start_logic();
  void fail(std::string why);
  void set_state(torrent_state s);
  // --- metadata (a magnet) ---
  std::filesystem::path metadata_path() const;  // the saved .torrent, beside the resume file
  void load_saved_metadata();
  void adopt_info(std::shared_ptr<const metainfo::info> info);
  void on_metadata(std::string_view bytes);
  boost::asio::awaitable<void> after_metadata(std::string file);
  // --- peers ---
  // `plaintext`: skip the encrypted attempt under `prefer` (the peer refused it before).
  boost::asio::awaitable<void> dial(net::peer_address address, bool plaintext);
  boost::asio::awaitable<void> run_connection(std::shared_ptr<peer_connection> conn,
                                              wire::handshake theirs);
  // Carries out the logic's actions and flushes its dirty peers.
  void process();
  void dht_lookup();  // action_kind::dht_lookup
  static std::vector<std::pair<std::string, std::uint64_t>> peers_by_source(
      const swarm::peer_book& book);
  // --- disk side (disk_side.cpp) ---
  void size_disk_side();
  void store_block(const corrent::torrent::action& a);
  void submit_piece(std::uint32_t piece);
  void maybe_flush_hashes();
  void flush_hashes();
  void on_piece_done(std::uint32_t piece, bool hash_ok, result<void> written,
                     std::vector<crypto::sha1_digest> blocks);
  void maybe_checkpoint();
  boost::asio::awaitable<result<void>> checkpoint();
  boost::asio::awaitable<void> finish_download();
  boost::asio::awaitable<result<void>> move_into_place();
  // Writes options_.resume_file (if set) for the files at their final paths.
  boost::asio::awaitable<void> save_seed_record();
  boost::asio::awaitable<void> wait_for_disk(bool uploads_too, std::chrono::milliseconds limit);
  // --- upload (upload.cpp) ---
  void serve(peer_connection& c);
  void serve_all();
  void on_block_read(swarm::peer_key key, std::vector<swarm::block_ref> batch,
                     std::shared_ptr<pooled_buffer> buf, result<void> r);
  // --- trackers (announcer.cpp) ---
  tracker::announce_request make_request(tracker::event ev) const;
  boost::asio::awaitable<result<tracker::announce_response>> announce_to(
      std::string url, tracker::announce_request req, std::chrono::milliseconds timeout);
  boost::asio::awaitable<void> announce_tier(std::size_t tier, tracker::event ev);
  // `completed` / `stopped` to the tracker that last answered in each tier, all at once:
  // done within `timeout` however many tiers there are.
  boost::asio::awaitable<void> announce_once(tracker::event ev, std::chrono::milliseconds timeout);
  boost::asio::awaitable<void> announce_and_forget(std::string url, tracker::announce_request req,
                                                   std::chrono::milliseconds timeout);

  torrent_host& host_;
  metainfo::add_params params_;
  std::shared_ptr<const metainfo::info> info_;
  torrent_options options_;
  std::unique_ptr<torrent_storage> storage_;
  std::unique_ptr<corrent::torrent::torrent_logic> logic_;
  swarm::bandwidth_channel down_channel_;
  swarm::bandwidth_channel up_channel_;
  task_group tasks_;
  torrent_state state_;
  bool running_ = false;
  bool checked_ = false;                        // the files were checked (once per torrent object)
  bool stopping_ = false;                       // stop() started and not finished
  bool starting_ = false;                       // start() under way (checking files)
  std::optional<swarm::peer_book> saved_book_;  // bans and standing across a pause
  std::unique_ptr<boost::asio::steady_timer> stopped_signal_;  // waited on by later stop()s
  std::string error_;
  double started_at_ = 0;
  double logic_started_at_ = 0;    // the last start_logic()
  std::int64_t announces_ok_ = 0;  // by outcome, for the daemon's metrics
  std::int64_t announces_refused_ = 0;
  std::int64_t announces_failed_ = 0;
  double ended_at_ = 0;  // finished or failed

  // What survives a pause: the pieces verified, payload totals, where the files are.
  swarm::bitfield have_;
  bool start_after_check_ = false;
  bool distrust_resume_ = false;  // forget_check(): hash everything
  bool in_paused_check_ = false;  // check_paused() under way
  std::int64_t prior_downloaded_ = 0;
  std::int64_t prior_uploaded_ = 0;
  std::int64_t carried_downloaded_ = 0;  // of the prior totals, from a saved record
  std::int64_t carried_uploaded_ = 0;
  std::int64_t prior_hash_failures_ = 0;
  bool complete_ = false;
  bool moved_ = false;  // files are at their final paths
  double first_byte_s_ = -1;
  std::map<net::peer_address, peer_summary> past_peers_;
  std::vector<std::pair<std::string, std::uint64_t>> past_closes_;
  std::vector<std::pair<std::string, std::uint64_t>> past_sources_;
  std::map<std::string, std::string>
      transports_;  // address -> "tcp", "tcp+mse(rc4)"...  // peers_by_source at stop

  std::unordered_map<swarm::peer_key, std::shared_ptr<peer_connection>> conns_;
  std::string tracker_state_;
  std::set<std::string> warned_urls_;  // trackers whose problem was logged as a warning
  bool tracker_warnings_capped_ = false;
  void tracker_problem(const std::string& url, const std::string& line);
  std::string tracker_id_;

  // Piece data being assembled; handed to the disk pool when complete.
  std::unordered_map<std::uint32_t, std::unique_ptr<char[]>> piece_buffers_;
  std::size_t pending_disk_ = 0;  // pieces batched or on the pool
  struct hash_job {
    std::uint32_t piece = 0;
    std::unique_ptr<char[]> data;
    bool watched = false;  // smart ban wants its block digests
  };
  std::vector<hash_job> hash_batch_queue_;
  std::size_t hash_batch_ = 1;
  std::unique_ptr<boost::asio::steady_timer> hash_flush_timer_;
  bool hash_timer_armed_ = false;
  std::size_t reads_in_flight_ = 0;
  bool serving_paused_ = false;
  std::uint32_t checkpointed_count_ = 0;
  bool checkpoint_running_ = false;
  double last_checkpoint_ = 0;
  // Which written pieces a resume file may vouch for (a failed flush makes some unsafe).
  resume::flush_ledger flush_ledger_;
  void on_sync_failed();
  std::vector<swarm::block_ref> batch_scratch_;
};

}  // namespace corrent::io
