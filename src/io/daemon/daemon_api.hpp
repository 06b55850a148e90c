// io::daemon_api — the daemon's native HTTP API (docs/DAEMON.md) over one session: the
// torrent list kept in the state directory, add / pause / resume / remove, details, session
// stats, the event stream (Server-Sent Events from a bounded, numbered log) and /metrics.
// Everything runs on the session's thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "core/daemon/event_log.hpp"
#include "core/daemon/torrent_list.hpp"
#include "core/metainfo/torrent.hpp"
#include "io/daemon/api_auth.hpp"
#include "io/daemon/state_store.hpp"
#include "io/rpc/http_server.hpp"
#include "io/session/session.hpp"

namespace corrent::io {

class transmission_rpc;
class qbittorrent_api;

class daemon_api {
 public:
  daemon_api(session& s, state_store& store, std::filesystem::path download_dir,
             torrent_options defaults);
  ~daemon_api();
  daemon_api(const daemon_api&) = delete;
  daemon_api& operator=(const daemon_api&) = delete;

  // Adds the torrents of the saved list again; an entry that cannot be (its metainfo is
  // gone or unreadable) is logged and kept in the list.
  void restore(daemon::saved_state saved);

  boost::asio::awaitable<http_response> handle(http_request req);

  // From the session: once a second, and on every torrent's state change.
  void on_tick();
  // Every 2 s, .torrent files in `dir` are added (then renamed NAME.torrent.added) once
  // they stopped changing; one that is not valid is renamed NAME.torrent.invalid.
  void set_watch_dir(std::filesystem::path dir);
  // From now on every request needs a login session or HTTP Basic credentials, and the
  // Host header may name any address (see api_auth).
  void set_password(const std::string& user, const std::string& password) {
    auth_ = api_auth(user, password);
  }
  // Serve the web UI's files from `dir` instead of the binary (for working on them).
  void set_web_root(std::filesystem::path dir) { web_root_ = std::move(dir); }
  void on_state(torrent& t, torrent_state from, torrent_state to);
  // Ends every event stream (shutdown).
  void close_streams();

  // --- operations, for the native API and the compatibility layers ---------------------
  struct add_outcome {
    unsigned status = 0;  // 201 added, 409 already there, 4xx/5xx refused (see error)
    std::string error;
    std::string id;  // info-hash, hex (201, 409)
    std::string name;
  };
  // `kind`: "torrent" (payload: the .torrent's bytes) or "magnet" (payload: the URI).
  // `save`: inside the download directory (empty: the download directory itself).
  add_outcome add_torrent(const std::string& kind, const std::string& payload,
                          const std::string& save, bool paused);
  // The bytes of a .torrent file inside the download directory (not through a symlink), or
  // why not (status 400/404 and the error).
  add_outcome read_path(const std::string& asked, std::string& bytes) const;
  // Add by URL: a .torrent fetched from an http:// or https:// address (or the magnet link
  // it redirects to), within 30 s and no bigger than max_torrent_bytes, at most
  // max_fetches at once. Status 0 with kind ("torrent" or "magnet") and payload, or 400
  // (a bad URL, an error or an HTTP error status) / 503 (too many at once) and the error.
  struct fetch_outcome {
    unsigned status = 0;
    std::string error;
    std::string kind;
    std::string payload;
  };
  boost::asio::awaitable<fetch_outcome> fetch_url(std::string url);
  static bool is_web_url(std::string_view s);
  static constexpr int max_fetches = 4;
  boost::asio::awaitable<void> remove_torrent(std::string id, bool delete_data);
  // Pauses or resumes it, and keeps that in the state.
  boost::asio::awaitable<void> set_paused(std::string id, bool paused);
  const state_store& store() const { return store_; }
  // Sets a torrent's limits (in its entry, kept in the state, and on the running torrent).
  void apply_limits(daemon::torrent_entry& e, torrent* t);
  void apply_session_limits(std::int64_t max_download_rate, std::int64_t max_upload_rate);
  daemon::torrent_entry* entry_of(const std::string& id);
  // The running torrent of `id` (null when it is not running) and its status (for one that
  // is not running: its id as the name, state error, and why).
  std::pair<std::shared_ptr<torrent>, torrent_status> find_with_status(const std::string& id);
  const daemon::saved_state& saved() const { return state_; }
  // For changes to the categories and tags (then save_list()).
  daemon::saved_state& saved_for_update() { return state_; }
  // Writes the torrent list to the state directory (crash-consistently).
  void save_list();
  api_auth& auth() { return auth_; }
  session& sess() { return session_; }
  const std::filesystem::path& download_dir() const { return download_dir_; }

 private:
  struct added {
    std::shared_ptr<const metainfo::torrent> metainfo;  // null for a magnet
    metainfo::add_params params;
  };
  // What the body of an add names, parsed; an HTTP error when it is not usable.
  result<added> parse_add(const std::string& kind, const std::string& payload);
  boost::asio::awaitable<http_response> add(http_request req);
  http_response add_payload(const std::string& kind, const std::string& payload,
                            const std::string& save, bool paused);
  void scan_watch_dir();
  // Starts the torrent of `entry` in the session (with its save path, paused flag, limits).
  result<std::shared_ptr<torrent>> start(const daemon::torrent_entry& entry, const added& a);
  boost::asio::awaitable<http_response> on_torrent(const http_request& req, std::string id,
                                                   std::string action);
  http_response list(const http_request& req) const;
  // POST /api/v1/torrents/{id}/limits and GET/POST /api/v1/session/limits.
  http_response set_torrent_limits(const http_request& req, daemon::torrent_entry& e, torrent* t);
  http_response session_limits(const http_request& req);
  http_response stats() const;
  http_response metrics() const;
  http_response events(const http_request& req);

  void push_event(std::string type, std::string data);

  session& session_;
  state_store& store_;
  api_auth auth_;
  std::filesystem::path download_dir_;
  torrent_options defaults_;
  daemon::saved_state state_;  // the torrent list and the session's limits, as saved
  daemon::event_log events_;
  boost::asio::any_io_executor ex_;
  std::set<boost::asio::steady_timer*> waiting_;  // event streams waiting for news
  bool closing_ = false;
  // The figures each torrent had in the last `stats` event.
  std::unordered_map<crypto::sha1_digest, std::tuple<std::int64_t, std::int64_t, std::int64_t, int>,
                     crypto::sha1_digest_hash>
      last_stats_;
  int streams_ = 0;  // event streams open (stats deltas are made only while there is one)
  std::unique_ptr<transmission_rpc> trpc_;  // /transmission/rpc
  std::unique_ptr<qbittorrent_api> qbt_;    // /api/v2/
  std::int64_t http_requests_ = 0;
  mutable std::int64_t protocol_in_ = 0, protocol_out_ = 0;  // reported in /metrics
  std::filesystem::path watch_dir_;
  std::filesystem::path web_root_;
  std::unordered_map<std::string, std::size_t> entry_index_;  // entry_of()
  bool watch_failed_ = false;
  struct watched_file {
    std::uintmax_t size = 0;
    std::filesystem::file_time_type mtime;
    int stable_scans = 0;  // unchanged since, and not a valid torrent yet
  };
  std::map<std::string, watched_file> watch_seen_;
  std::uint64_t ticks_ = 0;
  int fetches_ = 0;  // URLs being fetched (fetch_url)
};

}  // namespace corrent::io
