// io::transmission_rpc — Transmission's RPC, as transmission-daemon 3.00 speaks it (the
// legacy format, rpc-version 16; ../shared/docs/RPC.md §1), over the daemon's operations:
// POST /transmission/rpc (with or without the trailing slash). It does the
// X-Transmission-Session-Id handshake (409), echoes `tag`, takes every `ids` form, and
// answers errors in a 200 body as `result`. The JSON-RPC 2.0 envelope of Transmission 4.1
// (snake_case names) is taken too, as a renaming of the same calls; the header that would
// switch a client to it is never sent. Passwords are the daemon's (api_auth, before this).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/fwd.hpp>
#include <map>
#include <memory>
#include <string>

#include "core/daemon/transmission_rules.hpp"
#include "io/rpc/http_server.hpp"

namespace corrent::io {

class daemon_api;

class transmission_rpc {
 public:
  explicit transmission_rpc(daemon_api& api);
  ~transmission_rpc();
  transmission_rpc(const transmission_rpc&) = delete;
  transmission_rpc& operator=(const transmission_rpc&) = delete;

  boost::asio::awaitable<http_response> handle(const http_request& req);
  // A torrent left the daemon (for recently-active's `removed`).
  void on_removed(const std::string& info_hash);

  static bool is_rpc_path(const std::string& path) {
    return path == "/transmission/rpc" || path == "/transmission/rpc/";
  }

  struct outcome;  // a call's `result` and `arguments`

 private:
  struct extras;
  boost::asio::awaitable<outcome> call(const std::string& method, const boost::json::object& args);
  outcome session_get(const boost::json::object& args);
  outcome session_set(const boost::json::object& args);
  outcome session_stats();
  boost::asio::awaitable<outcome> torrent_add(boost::json::object args);
  outcome torrent_get(const boost::json::object& args);
  outcome torrent_set(const boost::json::object& args);
  outcome free_space(const boost::json::object& args);
  boost::asio::awaitable<outcome> torrent_action(const std::string& method,
                                                 const boost::json::object& args);
  // The ids an `ids` argument selects, among the torrents now in the daemon; nullopt (and
  // `why`) when the argument is malformed.
  std::optional<std::vector<std::string>> select(const boost::json::object& args, std::string& why,
                                                 bool& recently_active);
  // The outer metainfo fields of a torrent (comment, creator, date), read once.
  const extras& extras_of(const std::string& info_hash);

  daemon_api& api_;
  std::string session_id_;
  daemon::transmission::id_map ids_;
  std::map<std::string, std::shared_ptr<extras>> extras_;
  std::map<std::string, std::int64_t> active_at_;  // when each was last seen moving data
};

}  // namespace corrent::io
