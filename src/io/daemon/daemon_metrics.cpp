// The daemon's session stats (GET /api/v1/stats) and Prometheus metrics (GET /metrics).
#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <map>

#include "core/daemon/prometheus.hpp"
#include "io/daemon/api_json.hpp"
#include "io/daemon/daemon_api.hpp"
#include "io/net/peer_stream.hpp"

namespace corrent::io {
namespace json = boost::json;

namespace {

// The session's figures summed over its torrents; the counters are this run's (what
// earlier runs carried is left out) and include torrents removed since, so they never go
// down while the daemon runs.
struct totals {
  std::int64_t downloaded = 0, uploaded = 0, failures = 0, peers = 0;
  std::int64_t ann_ok = 0, ann_refused = 0, ann_failed = 0;
  double down = 0, up = 0;
  std::map<std::string, std::int64_t> by_state;
  std::array<std::int64_t, swarm::peer_source_count> peers_by_source{};

  totals(const std::vector<torrent_status>& all, const session::removed_totals& removed)
      : downloaded(removed.downloaded),
        uploaded(removed.uploaded),
        failures(removed.hash_failures) {
    for (const char* s : {"fetching_metadata", "checking", "downloading", "seeding", "paused",
                          "finished", "error"}) {
      by_state[s] = 0;
    }
    for (const auto& s : all) {
      ++by_state[state_name(s.state)];
      downloaded += s.downloaded_total - s.downloaded_carried;
      uploaded += s.uploaded_total - s.uploaded_carried;
      failures += s.hash_failures;
      down += s.down_rate;
      up += s.up_rate;
      peers += s.peers_connected;
      for (std::size_t i = 0; i < peers_by_source.size(); ++i)
        peers_by_source[i] += s.peers_connected_by_source[i];
      ann_ok += s.announces_ok;
      ann_refused += s.announces_refused;
      ann_failed += s.announces_failed;
    }
  }
};

}  // namespace

http_response daemon_api::stats() const {
  const totals t(session_.status(), session_.removed());
  json::object o;
  o["torrents"] = session_.torrents().size();
  o["down_rate"] = t.down;
  o["up_rate"] = t.up;
  o["downloaded"] = t.downloaded;
  o["uploaded"] = t.uploaded;
  o["peers"] = t.peers;
  const auto d = session_.dht_status();
  o["dht_nodes"] = d.enabled ? static_cast<std::int64_t>(d.nodes) : -1;
  return json_reply(200, o);
}

http_response daemon_api::metrics() const {
  const auto all = session_.status();
  const totals t(all, session_.removed());
  const auto& [downloaded, uploaded, failures, peers, ann_ok, ann_refused, ann_failed, down, up,
               by_state, peers_by_source] = t;
  // On the wire, less payload: handshakes, messages, encryption. Reported as a counter,
  // so never below what it was (the wire counts a block before the payload does).
  const auto& wire = process_wire_totals();
  protocol_in_ = std::max(protocol_in_, wire.in.load() - downloaded);
  protocol_out_ = std::max(protocol_out_, wire.out.load() - uploaded);
  daemon::prometheus_text m;
  m.family("corrent_build_info", "gauge", "Build information.");
  m.sample("corrent_build_info", {{"version", client_version}}, std::int64_t{1});
  m.family("corrent_torrents", "gauge", "Torrents in the session, by state.");
  for (const auto& [s, n] : by_state) m.sample("corrent_torrents", {{"state", s}}, n);
  m.family("corrent_downloaded_bytes_total", "counter",
           "Bytes received from peers: payload (piece data) and protocol (the rest).");
  m.sample("corrent_downloaded_bytes_total", {{"kind", "payload"}}, downloaded);
  m.sample("corrent_downloaded_bytes_total", {{"kind", "protocol"}}, protocol_in_);
  m.family("corrent_uploaded_bytes_total", "counter",
           "Bytes sent to peers: payload (piece data) and protocol (the rest).");
  m.sample("corrent_uploaded_bytes_total", {{"kind", "payload"}}, uploaded);
  m.sample("corrent_uploaded_bytes_total", {{"kind", "protocol"}}, protocol_out_);
  m.family("corrent_hash_failures_total", "counter", "Pieces that failed their hash check.");
  m.sample("corrent_hash_failures_total", {}, failures);
  m.family("corrent_download_rate_bytes", "gauge", "Payload download rate, bytes per second.");
  m.sample("corrent_download_rate_bytes", {}, down);
  m.family("corrent_upload_rate_bytes", "gauge", "Payload upload rate, bytes per second.");
  m.sample("corrent_upload_rate_bytes", {}, up);
  m.family("corrent_peers_connected", "gauge",
           "Peer connections, by where the peer was learned of (incoming: it dialled us).");
  for (std::size_t i = 0; i < peers_by_source.size(); ++i) {
    const auto src = swarm::to_string(static_cast<swarm::peer_source>(i));
    m.sample("corrent_peers_connected", {{"source", std::string(src)}}, peers_by_source[i]);
  }
  m.family("corrent_tracker_announces_total", "counter",
           "Announces to trackers, by outcome (ok, refused: a failure reason, error: no answer).");
  m.sample("corrent_tracker_announces_total", {{"result", "ok"}}, ann_ok);
  m.sample("corrent_tracker_announces_total", {{"result", "refused"}}, ann_refused);
  m.sample("corrent_tracker_announces_total", {{"result", "error"}}, ann_failed);
  const auto& budget = session_.disk().budget();
  m.family("corrent_piece_buffer_bytes", "gauge",
           "Piece buffers in use: pieces being downloaded (open) and waiting for the disk.");
  m.sample("corrent_piece_buffer_bytes", {{"kind", "open"}}, budget.open_bytes());
  m.sample("corrent_piece_buffer_bytes", {{"kind", "waiting_for_disk"}}, budget.pending_bytes());
  m.family("corrent_piece_buffer_limit_bytes", "gauge", "The piece-buffer budget.");
  m.sample("corrent_piece_buffer_limit_bytes", {}, budget.capacity());
  m.family("corrent_disk_queue_jobs", "gauge",
           "Disk jobs (writes, reads for upload, checks, checkpoints) queued or running.");
  m.sample("corrent_disk_queue_jobs", {}, session_.disk().queued());
  const auto d = session_.dht_status();
  m.family("corrent_dht_nodes", "gauge", "Nodes in the DHT routing table.");
  m.sample("corrent_dht_nodes", {}, static_cast<std::int64_t>(d.enabled ? d.nodes : 0));
  m.family("corrent_http_requests_total", "counter", "API requests served.");
  m.sample("corrent_http_requests_total", {}, http_requests_);
  m.family("corrent_torrent_info", "gauge", "A torrent's name, by info-hash.");
  for (const auto& s : all) {
    m.sample("corrent_torrent_info", {{"info_hash", s.info_hash}, {"name", s.name}},
             std::int64_t{1});
  }
  auto per_torrent = [&](const char* name, const char* type, const char* help, auto value) {
    m.family(name, type, help);
    for (const auto& s : all) {
      m.sample(name, {{"info_hash", s.info_hash}}, static_cast<std::int64_t>(value(s)));
    }
  };
  per_torrent("corrent_torrent_size_bytes", "gauge", "Total size.",
              [](const torrent_status& s) { return s.bytes_total; });
  per_torrent("corrent_torrent_left_bytes", "gauge", "Bytes not yet verified.",
              [](const torrent_status& s) { return s.bytes_total - s.bytes_done; });
  per_torrent("corrent_torrent_downloaded_bytes_total", "counter", "Payload bytes received.",
              [](const torrent_status& s) { return s.downloaded_total; });
  per_torrent("corrent_torrent_uploaded_bytes_total", "counter", "Payload bytes sent.",
              [](const torrent_status& s) { return s.uploaded_total; });
  per_torrent("corrent_torrent_peers", "gauge", "Peer connections.",
              [](const torrent_status& s) { return s.peers_connected; });
  http_response r;
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.body = m.take();
  return r;
}

}  // namespace corrent::io
