// io::run_download — the public, Asio-free entry point of a download session, for the
// CLI: builds the event loop, runs one torrent_session until it completes, fails or is
// interrupted (SIGINT/SIGTERM), and returns what happened.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/metainfo/torrent.hpp"
#include "core/net/peer_address.hpp"

namespace corrent::io {

struct download_options {
  std::filesystem::path output_dir;
  std::string listen_host = "0.0.0.0";
  std::uint16_t listen_port = 6881;  // tried up to +8 when busy (unless listen_port_fixed)
  bool listen_port_fixed = false;
  std::vector<net::peer_address> manual_peers;
  int max_peers = 50;
  int numwant = 80;
  bool seed = false;             // keep seeding after the download completes
  bool seed_only = false;        // `corrent seed`: the data must already be complete
  double seed_ratio = 0;         // stop seeding at uploaded/size >= ratio (0: no limit)
  double seed_time_s = 0;        // stop seeding after this long (0: no limit)
  double max_download_rate = 0;  // payload bytes/s (0: unlimited)
  double max_upload_rate = 0;
};

struct peer_summary {
  std::string address;
  std::string client;  // the peer id's printable prefix, e.g. "-lt20800-"
  std::int64_t downloaded = 0;
  std::int64_t uploaded = 0;
  int hash_failures = 0;
  bool banned = false;
};

struct download_status {
  std::int64_t pieces_done = 0;
  std::int64_t pieces_total = 0;
  std::int64_t bytes_done = 0;  // verified bytes
  std::int64_t bytes_total = 0;
  double down_rate = 0;  // payload bytes/s
  double up_rate = 0;
  int peers_connected = 0;
  int peers_known = 0;
  double elapsed_s = 0;
  std::int64_t hash_failures = 0;
  std::int64_t uploaded_total = 0;
  bool seeding = false;
  double seeding_s = 0;
  std::string tracker_state;  // last announce outcome, for --verbose
};

struct download_summary {
  bool complete = false;
  bool interrupted = false;           // stopped by a signal
  std::string error;                  // why it failed, when it did
  std::int64_t downloaded_bytes = 0;  // payload received (including discarded/failed)
  std::int64_t uploaded_bytes = 0;
  std::int64_t hash_failures = 0;
  double elapsed_s = 0;
  double first_byte_s = -1;
  std::vector<peer_summary> peers;  // every peer that was connected
};

// Log lines go through spdlog; `on_status` is called about once a second.
download_summary run_download(const metainfo::torrent& t, const download_options& opts,
                              const std::function<void(const download_status&)>& on_status);

}  // namespace corrent::io
