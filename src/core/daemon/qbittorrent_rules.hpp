// qBittorrent Web API v2's rules (as qBittorrent 4.6, Web API 2.9; ../shared/docs/RPC.md
// §2 and §4), pure so they are unit-tested without sockets: the state strings, the list
// filters, the eta and ratio sentinels, and the `hashes` argument.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corrent::daemon::qbittorrent {

// The Web API version advertised (app/webapiVersion) and the application version
// (app/version): paused torrents are `pausedUP`/`pausedDL` (before 2.11's `stopped*`), and
// both torrents/pause|resume and torrents/stop|start are taken.
inline constexpr const char* webapi_version = "2.9.3";
inline constexpr const char* app_version = "v4.6.7";

inline constexpr std::int64_t max_eta = 8640000;  // "infinity" (100 days)
inline constexpr double max_ratio = 9999;

// A torrent's qBittorrent state from the native API's state name ("downloading", ...),
// whether all its data is there, and its payload rates.
std::string state_of(std::string_view native_state, bool complete, double down_rate,
                     double up_rate);

// Whether a torrent in qBittorrent state `state` passes torrents/info's `filter` (all,
// downloading, seeding, completed, paused, stopped, resumed, running, active, inactive,
// stalled, stalled_uploading, stalled_downloading, checking, moving, errored). An unknown
// filter passes nothing (nullopt).
std::optional<bool> passes(std::string_view filter, std::string_view state, double down_rate,
                           double up_rate);

// Seconds until done, max_eta when unknown or done (qBittorrent shows ∞).
std::int64_t eta(std::int64_t left, double down_rate);

// uploaded / downloaded; 0 when nothing either way; max_ratio when only uploads.
double ratio(std::int64_t uploaded, std::int64_t downloaded);

// The `hashes` argument: "all", or info-hashes separated by '|' (lowercased; empty ones
// dropped). nullopt stands for "all".
std::optional<std::vector<std::string>> parse_hashes(std::string_view arg);

}  // namespace corrent::daemon::qbittorrent
