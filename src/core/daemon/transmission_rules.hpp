// The Transmission RPC's rules (rpc-spec 3.00, rpc-version 16; ../shared/docs/RPC.md §1),
// pure so they are unit-tested without sockets: status codes, the eta and ratio sentinels,
// a peer's flag string, the small per-run torrent ids and which torrents an `ids` argument
// selects. The JSON itself is io::transmission_rpc's.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corrent::daemon::transmission {

// tr_torrent_activity.
enum class status : int {
  stopped = 0,
  check_wait = 1,
  checking = 2,
  download_wait = 3,
  downloading = 4,
  seed_wait = 5,
  seeding = 6,
};

// From the native API's state names ("checking", "downloading", ...): paused, finished and
// error are stopped; fetching_metadata downloads.
status status_of(std::string_view state);

// Seconds until done at `down_rate`; -1 (TR_ETA_NOT_AVAIL) when nothing is left or the
// torrent is not downloading, -2 (TR_ETA_UNKNOWN) while nothing comes in.
std::int64_t eta(std::int64_t left, double down_rate, bool downloading);

// uploaded / downloaded (or / have_valid when nothing was downloaded: data that was there
// already), -1 (TR_RATIO_NA) when neither, -2 (TR_RATIO_INF) when only uploads.
double ratio(std::int64_t uploaded, std::int64_t downloaded, std::int64_t have_valid);

// A connected peer's state as Transmission's flagStr letters (peer-mgr.c): O optimistic,
// D/d downloading from it (or interested but choked), U/u uploading to it (or it is
// interested but choked), K it unchoked us but we are not interested, ? we unchoked it but
// it is not interested, E encrypted, X from PEX, H from the DHT, I incoming.
struct peer_flags {
  bool am_interested = false, peer_choking = true, peer_interested = false, am_choking = true;
  bool encrypted = false, from_pex = false, from_dht = false, incoming = false;
};
std::string flag_str(const peer_flags& f);

// Small torrent ids, 1, 2, ... in the order torrents are first seen, stable for a run
// (Transmission's are per run too); info-hashes (hex) are the stable names.
class id_map {
 public:
  std::int64_t id_of(const std::string& info_hash);  // assigns the next one when new
  std::optional<std::string> hash_of(std::int64_t id) const;
  std::optional<std::int64_t> find(const std::string& info_hash) const;
  // A torrent left: its id is reported in `removed` by recently-active for 60 s.
  void on_removed(const std::string& info_hash, double now);
  std::vector<std::int64_t> removed_since(double since) const;

 private:
  std::int64_t next_ = 1;
  std::map<std::string, std::int64_t> ids_;
  std::map<std::int64_t, std::string> hashes_;
  std::vector<std::pair<double, std::int64_t>> removed_;  // bounded: the last 1,024
};

// What an `ids` argument names (rpc-spec §3.1): absent = all; a number; a hash string;
// "recently-active"; an array of numbers and hash strings. Unknown ids select nothing.
struct id_selection {
  bool all = false;
  bool recently_active = false;
  std::vector<std::int64_t> ids;
  std::vector<std::string> hashes;  // lowercase hex
  bool selects(std::int64_t id, const std::string& info_hash) const;
};

// "recently-active": anything happened within the last 60 s.
inline constexpr double recently_active_s = 60;

}  // namespace corrent::daemon::transmission
