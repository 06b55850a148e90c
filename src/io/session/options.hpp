// The session's and its torrents' settings and reports, free of Asio so that the CLI (and
// later the daemon's API) can include them without the coroutine machinery.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/net/peer_address.hpp"
#include "core/swarm/peer_book.hpp"

namespace corrent::io {

// Protocol encryption (MSE/PE): `prefer` accepts both kinds of incoming connection and
// dials with the encrypted handshake (offering plaintext and RC4 after it; once more in
// plaintext if that fails); `require` only encrypted connections with an RC4 payload;
// `disable` only plaintext.
enum class encryption_policy : std::uint8_t { prefer, require, disable };

struct session_options {
  std::string listen_host = "0.0.0.0";  // 0.0.0.0 also listens on [::]
  std::uint16_t listen_port = 6881;     // tried up to +8 when busy (unless listen_port_fixed)
  bool listen_port_fixed = false;
  double max_download_rate = 0;  // payload bytes/s for the whole session (0: unlimited)
  double max_upload_rate = 0;
  int max_peers = 50;  // per torrent
  int numwant = 80;
  double min_announce_interval_s = 300;  // when a tracker gives no `min interval`
  // The DHT (BEP 5), on the UDP socket of the listen port.
  bool dht = true;
  std::vector<std::string> dht_bootstrap;  // HOST:PORT; none: the saved table's nodes, and
                                           // with no saved table the public routers
  bool dht_read_only = false;              // BEP 43
  std::filesystem::path dht_state_file;    // the routing table kept across runs (empty: not)
  encryption_policy encryption = encryption_policy::prefer;
};

// Pieces are assembled in memory until their hash is checked: a torrent with larger ones
// is not downloaded (seeding complete data does not need piece buffers).
inline constexpr std::int64_t max_download_piece_length = 32 << 20;

struct torrent_options {
  std::filesystem::path output_dir;
  bool seed = false;             // keep seeding after the download completes
  bool seed_only = false;        // `corrent seed`: the data must already be complete
  double seed_ratio = 0;         // stop seeding at uploaded/size >= ratio (0: no limit)
  double seed_time_s = 0;        // stop seeding after this long (0: no limit)
  double max_download_rate = 0;  // this torrent's own limits, under the session's
  double max_upload_rate = 0;
  std::vector<net::peer_address> peers;  // dialled at start (--peer)
  bool start_paused = false;
  bool metadata_only = false;  // a magnet: done once its `info` is fetched and saved
  // The daemon's resume file for this torrent (STATE/resume/<info-hash>.resume): while it
  // downloads, its verified pieces and its part files' sizes and mtimes; once complete, its
  // files at their final paths (the seed record: a restart trusts unchanged files without
  // hashing them); and its payload totals, carried across restarts. Empty: the resume file
  // beside the parts directory (the CLI), and complete data is hashed at each start.
  std::filesystem::path resume_file;
};

enum class torrent_state {
  fetching_metadata,  // known by info-hash only (a magnet): waiting for `info`
  checking,           // verifying what is on disk
  downloading,
  seeding,
  paused,
  finished,  // complete and stopped (not seeding), or a seeding limit reached
  error,
};
const char* to_string(torrent_state s);

struct torrent_status {
  std::string name;
  std::string info_hash;  // hex
  torrent_state state = torrent_state::checking;
  std::int64_t pieces_done = 0;
  std::int64_t pieces_total = 0;
  std::int64_t bytes_done = 0;  // verified bytes
  std::int64_t bytes_total = 0;
  double down_rate = 0;  // payload bytes/s
  double up_rate = 0;
  int peers_connected = 0;
  std::array<int, swarm::peer_source_count> peers_connected_by_source{};  // by peer_source
  int peers_known = 0;
  double elapsed_s = 0;
  std::int64_t hash_failures = 0;
  std::int64_t downloaded_total = 0;  // payload, including what earlier daemon runs carried
  std::int64_t uploaded_total = 0;
  std::int64_t downloaded_carried = 0;  // of which from earlier runs (torrent_options::resume_file
  std::int64_t uploaded_carried = 0;    // or the resume file, in the daemon)
  double seeding_s = 0;
  std::string tracker_state;  // last announce outcome, for --verbose
  std::string error;
  std::int64_t metadata_pieces_done = 0;  // fetching metadata: 16 KiB pieces in, of
  std::int64_t metadata_pieces_total = 0;
  int dht_nodes = -1;  // the session's DHT routing table (-1: no DHT)
  // Announces to its trackers, by outcome: answered, refused (a failure reason), failed
  // (no answer: connection, timeout, malformed).
  std::int64_t announces_ok = 0;
  std::int64_t announces_refused = 0;
  std::int64_t announces_failed = 0;
};

// The few figures that change while a torrent runs (cheap: no strings), for the daemon's
// once-a-second stats delta.
struct torrent_figures {
  std::int64_t bytes_done = 0;
  std::int64_t bytes_total = 0;
  double down_rate = 0;
  double up_rate = 0;
  int peers = 0;
};

struct peer_summary {
  std::string address;
  std::string client;     // the peer id's printable prefix, e.g. "-lt20800-"
  std::string transport;  // "tcp", "tcp+mse(plain)" (encrypted header), "tcp+mse(rc4)"
  std::int64_t downloaded = 0;
  std::int64_t uploaded = 0;
  int hash_failures = 0;
  bool banned = false;
};

// A peer connected now, for the compatibility APIs' peer lists.
struct live_peer {
  std::string address;  // the IP, without the port
  std::uint16_t port = 0;
  std::string client;
  bool incoming = false, encrypted = false;
  bool am_interested = false, peer_choking = true, peer_interested = false, am_choking = true;
  swarm::peer_source source = swarm::peer_source::tracker;
  double progress = 0;                // of the pieces it has (0 while unknown)
  double down_rate = 0, up_rate = 0;  // payload from it / to it, bytes/s
};

struct torrent_summary {
  std::string name;
  std::string info_hash;
  std::int64_t bytes_total = 0;  // 0 while the `info` is unknown
  bool complete = false;
  std::string error;                  // why it failed, when it did
  std::int64_t downloaded_bytes = 0;  // payload received (including discarded/failed)
  std::int64_t uploaded_bytes = 0;
  std::int64_t hash_failures = 0;
  double elapsed_s = 0;
  double first_byte_s = -1;
  std::vector<peer_summary> peers;  // every peer that was connected, by address
  std::vector<std::pair<std::string, std::uint64_t>> closes;  // connections ended, by reason
  std::vector<std::pair<std::string, std::uint64_t>> peers_by_source;  // known peers
};

// The session's DHT node, for --stats and the status line.
struct dht_summary {
  bool enabled = false;
  std::uint64_t nodes = 0;  // in the routing table
  std::uint64_t queries_in = 0;
  std::uint64_t queries_out = 0;
  std::uint64_t replies_in = 0;
  std::uint64_t rate_limited = 0;
  std::uint64_t malformed_in = 0;
  std::uint64_t unexpected_in = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t lookups = 0;  // torrents' lookups finished
  std::uint64_t stored_peers = 0;
};

}  // namespace corrent::io
