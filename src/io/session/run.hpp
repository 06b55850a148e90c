// io::run_session — the Asio-free entry point of a session for the CLI: builds the event
// loop and a session, adds the torrents, runs until every one is done (downloaded, or
// seeded to its limit, or failed) or SIGINT/SIGTERM arrives, stops them gracefully and
// reports what happened to each.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/metainfo/add_params.hpp"
#include "core/metainfo/torrent.hpp"
#include "io/session/options.hpp"

namespace corrent::io {

struct session_job {
  std::shared_ptr<const metainfo::torrent> torrent;  // null: a magnet (params only)
  metainfo::add_params params;                       // used when torrent is null
  torrent_options options;
};

struct session_report {
  bool interrupted = false;               // stopped by a signal
  std::string error;                      // the session could not run at all (listen failed)
  std::vector<torrent_summary> torrents;  // in the order of the jobs
  dht_summary dht;                        // the session's DHT node at the end
};

// Raises the soft limit of open descriptors to the hard one (peers, trackers and the
// files of many torrents need more than Debian's 1,024).
void raise_descriptor_limit();

// Log lines go through spdlog; `on_status` is called about once a second.
// `time_limit_s` > 0: stopped (as by a signal, but not reported interrupted) after that long.
session_report run_session(const std::vector<session_job>& jobs, const session_options& options,
                           const std::function<void(const std::vector<torrent_status>&)>& on_status,
                           double time_limit_s = 0);

}  // namespace corrent::io
