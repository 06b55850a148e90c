// The JSON shapes the daemon's API shares between its endpoints and its events.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <string>

#include "core/daemon/torrent_list.hpp"
#include "core/torrent/torrent_logic.hpp"
#include "io/rpc/http_server.hpp"
#include "io/session/options.hpp"

namespace corrent::io {

// The largest .torrent the API takes (a body, a file named by path, a watched file).
inline constexpr std::size_t max_torrent_bytes = 16 << 20;

http_response json_reply(unsigned status, const boost::json::value& v);
// The API's name of a state: one word ("fetching_metadata").
std::string state_name(torrent_state s);
// done / total, 0 while the total is unknown.
double progress(std::int64_t done, std::int64_t total);
// "1", "true", "yes".
bool is_true(const std::string& v);
std::int64_t unix_now();
// A torrent's magnet link (metainfo::make_magnet) with its trackers as its tiers list them.
std::string magnet_of(const std::string& info_hash_hex, const std::string& name,
                      const std::vector<corrent::torrent::tier_report>& tiers);
// One peer as `--stats` and the API's torrent details show it.
boost::json::object peer_json(const peer_summary& p);
// The torrent object of docs/DAEMON.md (`e`: its list entry, when it has one).
// `sp`: where its memory comes from (a list of thousands uses one arena).
boost::json::object torrent_json(const torrent_status& s, const daemon::torrent_entry* e,
                                 boost::json::storage_ptr sp = {});

}  // namespace corrent::io
