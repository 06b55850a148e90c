// io::qbittorrent_api — qBittorrent's Web API v2 (as qBittorrent 4.6 speaks it, Web API
// 2.9.3; ../shared/docs/RPC.md §2 and §4) over the daemon's operations, under /api/v2/: the
// calls Sonarr, Radarr, Prowlarr, autobrr and cross-seed make. Login gives a SID cookie
// (the daemon's own sessions); without one every call is 403, as in qBittorrent; without a
// password every call passes. A request whose Origin or Referer names another host is 401.
// Categories and tags are kept in the daemon's state.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/json/fwd.hpp>
#include <boost/json/storage_ptr.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "io/rpc/http_server.hpp"

namespace corrent::io {

class daemon_api;
class torrent;

class qbittorrent_api {
 public:
  explicit qbittorrent_api(daemon_api& api);
  ~qbittorrent_api();
  qbittorrent_api(const qbittorrent_api&) = delete;
  qbittorrent_api& operator=(const qbittorrent_api&) = delete;

  boost::asio::awaitable<http_response> handle(const http_request& req);

 private:
  using params = std::map<std::string, std::string>;
  struct snapshot;
  boost::asio::awaitable<http_response> call(const std::string& name, const http_request& req,
                                             params& p);
  http_response login(const http_request& req, const params& p);
  http_response preferences();
  http_response set_preferences(const params& p);
  http_response transfer_info();
  http_response info(const params& p);
  // The calls on one torrent (`hash`): call() answers 400 without it, 404 for an unknown one.
  http_response properties(const torrent& t);
  http_response files(const torrent& t);
  http_response trackers(const torrent& t);
  http_response piece_states(const torrent& t);
  boost::asio::awaitable<http_response> add(const http_request& req, const params& p);
  http_response share_limits(const params& p);
  http_response categories(const std::string& name, const params& p);
  http_response tags(const std::string& name, const params& p);
  http_response maindata(const params& p);
  // One torrent as torrents/info lists it: each field given to `put(key, value)`; returns
  // what the filters look at.
  struct brief {
    std::string state;
    double down_rate = 0, up_rate = 0;
  };
  template <class Put>
  brief emit_torrent(const std::string& hash, Put&& put);
  boost::json::object torrent_object(const std::string& hash, boost::json::storage_ptr sp = {});
  boost::json::object server_state();

  daemon_api& api_;
  // sync/maindata: what the last few replies held, by their rid.
  std::int64_t rid_ = 0;
  std::map<std::int64_t, std::shared_ptr<const snapshot>> snapshots_;
  std::set<std::string> forced_;  // setForceStart: shown as forcedUP/forcedDL (this run)
};

}  // namespace corrent::io
