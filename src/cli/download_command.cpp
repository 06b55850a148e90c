// `corrent download A.torrent [B.torrent ...] [-o DIR]` and `corrent seed ...`: one session
// over one port for every torrent given; each downloads from its trackers (and --peer
// addresses), verifies every piece, and moves its files into DIR. Exit 0 when every
// torrent completed.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <tuple>

#include "cli/commands.hpp"
#include "cli/net_flags.hpp"
#include "cli/torrent_file.hpp"
#include "cli/units.hpp"
#include "core/metainfo/magnet.hpp"
#include "core/text/printable.hpp"
#include "io/daemon/api_json.hpp"
#include "io/rpc/json_text.hpp"
#include "io/session/run.hpp"

namespace corrent::cli {
namespace {

struct download_cli_options {
  std::vector<std::string> torrents;
  std::string out = ".";
  std::string listen;
  std::vector<std::string> peers;
  int max_peers = 50;
  bool quiet = false;
  bool verbose = false;
  std::string stats_file;
  bool seed = false;
  bool seed_only = false;  // `corrent seed`
  double seed_ratio = 0;
  std::string seed_time;
  std::string max_down;
  std::string max_up;
  std::string min_announce = "5m";
  dht_flags dht;
};

// "90", "90s", "15m", "2h", "1d" -> seconds; false when malformed.
bool parse_duration(const std::string& text, double& seconds) {
  if (text.empty()) return false;
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    return false;
  }
  const std::string unit = text.substr(used);
  double mul = 0;
  if (unit.empty() || unit == "s")
    mul = 1;
  else if (unit == "m")
    mul = 60;
  else if (unit == "h")
    mul = 3600;
  else if (unit == "d")
    mul = 86400;
  if (mul == 0 || v < 0 || v != v) return false;
  seconds = v * mul;
  return true;
}

std::string dht_part(const io::torrent_status& s) {
  return s.dht_nodes >= 0 ? fmt::format("  dht {}", s.dht_nodes) : std::string();
}

std::string status_line(const io::torrent_status& s) {
  if (s.state == io::torrent_state::seeding) {
    const double ratio = s.bytes_total ? static_cast<double>(s.uploaded_total) / s.bytes_total : 0;
    return fmt::format("seeding {}  up {}  uploaded {}  ratio {:.2f}  peers {}/{}  for {}",
                       human_size(s.bytes_total), human_rate(s.up_rate),
                       human_size(s.uploaded_total), ratio, s.peers_connected, s.peers_known,
                       human_duration(s.seeding_s)) +
           dht_part(s);
  }
  if (s.state == io::torrent_state::fetching_metadata) {
    return fmt::format("fetching metadata  {}/{} pieces of it  peers {}/{}", s.metadata_pieces_done,
                       s.metadata_pieces_total, s.peers_connected, s.peers_known) +
           dht_part(s);
  }
  if (s.state != io::torrent_state::downloading) {
    return fmt::format("{}  {}/{} pieces", io::to_string(s.state), s.pieces_done, s.pieces_total);
  }
  const double pct = s.bytes_total ? 100.0 * s.bytes_done / s.bytes_total : 100.0;
  const double eta = s.down_rate > 0 ? (s.bytes_total - s.bytes_done) / s.down_rate : -1;
  return fmt::format("{:5.1f}%  {}/{} pieces  down {}  up {}  peers {}/{}  ETA {}", pct,
                     s.pieces_done, s.pieces_total, human_rate(s.down_rate), human_rate(s.up_rate),
                     s.peers_connected, s.peers_known, human_duration(eta)) +
         dht_part(s);
}

// One line per torrent (at most `max_lines`), and a total when there are several.
std::vector<std::string> status_lines(const std::vector<io::torrent_status>& all) {
  std::vector<std::string> lines;
  if (all.size() == 1) {
    lines.push_back(status_line(all[0]));
    return lines;
  }
  constexpr std::size_t max_lines = 8;
  std::int64_t done = 0, total = 0;
  double down = 0, up = 0;
  int peers = 0, finished = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& s = all[i];
    done += s.bytes_done;
    total += s.bytes_total;
    down += s.down_rate;
    up += s.up_rate;
    peers += s.peers_connected;
    finished += s.state == io::torrent_state::finished || s.state == io::torrent_state::seeding;
    if (i < max_lines) {
      std::string name = text::printable(s.name.size() > 24 ? s.name.substr(0, 23) + "~" : s.name);
      lines.push_back(fmt::format("{:<24} {}", name, status_line(s)));
    }
  }
  if (all.size() > max_lines)
    lines.push_back(fmt::format("... and {} more", all.size() - max_lines));
  const double pct = total ? 100.0 * done / total : 100.0;
  lines.push_back(fmt::format("{:<24} {:5.1f}%  {}/{} torrents done  down {}  up {}  peers {}",
                              fmt::format("total ({})", all.size()), pct, finished, all.size(),
                              human_rate(down), human_rate(up), peers));
  return lines;
}

boost::json::object summary_json(const io::torrent_summary& s) {
  boost::json::object o;
  o["name"] = s.name;
  o["info_hash"] = s.info_hash;
  o["complete"] = s.complete;
  o["error"] = s.error;
  o["downloaded_bytes"] = s.downloaded_bytes;
  o["uploaded_bytes"] = s.uploaded_bytes;
  o["hash_failures"] = s.hash_failures;
  o["elapsed_s"] = s.elapsed_s;
  o["first_byte_s"] = s.first_byte_s;
  boost::json::array peers;
  for (const auto& p : s.peers) peers.emplace_back(io::peer_json(p));
  o["peers"] = std::move(peers);
  boost::json::object closes;
  for (const auto& [reason, n] : s.closes) closes[reason] = n;
  o["closes"] = std::move(closes);
  boost::json::object sources;
  for (const auto& [source, n] : s.peers_by_source) sources[source] = n;
  o["peers_by_source"] = std::move(sources);
  return o;
}

// The top level sums the torrents (for one torrent: its own figures); `torrents` has each.
void write_stats(const std::string& path, const io::session_report& r) {
  boost::json::object o;
  bool complete = !r.torrents.empty() && r.error.empty();
  std::int64_t down = 0, up = 0, fails = 0;
  double elapsed = 0, first = -1;
  boost::json::array peers, torrents;
  boost::json::object closes;
  for (const auto& t : r.torrents) {
    complete = complete && t.complete;
    down += t.downloaded_bytes;
    up += t.uploaded_bytes;
    fails += t.hash_failures;
    elapsed = std::max(elapsed, t.elapsed_s);
    if (t.first_byte_s >= 0 && (first < 0 || t.first_byte_s < first)) first = t.first_byte_s;
    auto j = summary_json(t);
    for (const auto& p : j["peers"].as_array()) peers.push_back(p);
    for (const auto& [reason, n] : t.closes) {
      closes[reason] = (closes.contains(reason) ? closes[reason].as_uint64() : 0) + n;
    }
    torrents.emplace_back(std::move(j));
  }
  o["complete"] = complete;
  o["interrupted"] = r.interrupted;
  std::string error = r.error;
  for (const auto& t : r.torrents) {
    if (error.empty() && !t.error.empty()) error = t.error;
  }
  o["error"] = error;
  o["downloaded_bytes"] = down;
  o["uploaded_bytes"] = up;
  o["hash_failures"] = fails;
  o["elapsed_s"] = elapsed;
  o["first_byte_s"] = first;
  o["peers"] = std::move(peers);
  o["closes"] = std::move(closes);
  o["torrents"] = std::move(torrents);
  if (r.dht.enabled) {
    boost::json::object d;
    d["nodes"] = r.dht.nodes;
    d["queries_in"] = r.dht.queries_in;
    d["queries_out"] = r.dht.queries_out;
    d["replies_in"] = r.dht.replies_in;
    d["rate_limited"] = r.dht.rate_limited;
    d["malformed_in"] = r.dht.malformed_in;
    d["unexpected_in"] = r.dht.unexpected_in;
    d["timeouts"] = r.dht.timeouts;
    d["lookups"] = r.dht.lookups;
    d["stored_peers"] = r.dht.stored_peers;
    o["dht"] = std::move(d);
  } else {
    o["dht"] = nullptr;
  }
  std::ofstream f(path, std::ios::trunc);
  f << io::json_text(o) << "\n";
  if (!f) fmt::print(stderr, "corrent: cannot write --stats file {}\n", path);
}

int run(const download_cli_options& o) {
  std::vector<io::session_job> jobs;
  std::set<std::string> seen;
  for (const auto& path : o.torrents) {
    if (metainfo::is_magnet(path)) {
      auto m = metainfo::parse_magnet(path);
      if (!m) {
        fmt::print(stderr, "corrent: {}: {}\n", text::printable(path.substr(0, 200)),
                   text::printable(m.error().message()));
        return exit_bad_input;
      }
      const auto hex = crypto::to_hex(m->info_hash);
      if (!seen.insert(hex).second) {
        fmt::print(stderr, "corrent: the same torrent (info-hash {}) is given twice\n", hex);
        return exit_bad_input;
      }
      io::session_job job;
      job.params = std::move(*m);
      if (job.params.name.empty()) job.params.name = hex;
      jobs.push_back(std::move(job));
      continue;
    }
    auto t = load_torrent_file(path);
    if (!t) return exit_bad_input;
    if (!seen.insert(t->info_hash_hex()).second) {
      fmt::print(stderr, "corrent: {}: the same torrent (info-hash {}) is given twice\n", path,
                 t->info_hash_hex());
      return exit_bad_input;
    }
    if (!o.seed_only && t->piece_length > io::max_download_piece_length) {
      fmt::print(stderr,
                 "corrent: {}: piece length {} is above the {} corrent downloads (pieces are kept "
                 "in memory until checked); `corrent seed` serves complete data of any piece "
                 "length\n",
                 path, human_size(t->piece_length), human_size(io::max_download_piece_length));
      return exit_bad_input;
    }
    io::session_job job;
    job.torrent = std::make_shared<const metainfo::torrent>(std::move(*t));
    jobs.push_back(std::move(job));
  }
  io::session_options so;
  io::torrent_options to;
  to.output_dir = o.out;
  so.max_peers = o.max_peers;
  to.seed = o.seed || o.seed_only || o.seed_ratio > 0 || !o.seed_time.empty();
  to.seed_only = o.seed_only;
  to.seed_ratio = o.seed_ratio;
  for (auto [text, out, flag] :
       {std::tuple{&o.max_down, &so.max_download_rate, "--max-download-rate"},
        std::tuple{&o.max_up, &so.max_upload_rate, "--max-upload-rate"}}) {
    if (text->empty()) continue;
    std::int64_t rate = 0;
    if (!parse_size(*text, rate) || rate <= 0) {
      fmt::print(stderr, "corrent: {} {}: expected bytes per second, e.g. 500K or 2M\n", flag,
                 *text);
      return exit_bad_input;
    }
    *out = static_cast<double>(rate);
  }
  if (!o.seed_time.empty() && !parse_duration(o.seed_time, to.seed_time_s)) {
    fmt::print(stderr, "corrent: --seed-time {}: expected a duration like 90s, 15m or 2h\n",
               o.seed_time);
    return exit_bad_input;
  }
  if (!parse_duration(o.min_announce, so.min_announce_interval_s) ||
      so.min_announce_interval_s < 1) {
    fmt::print(stderr, "corrent: --min-announce-interval {}: expected a duration like 30s or 5m\n",
               o.min_announce);
    return exit_bad_input;
  }
  if (!o.listen.empty() && !parse_listen_flag(o.listen, so)) return exit_bad_input;
  if (!parse_peer_flags(o.peers, to.peers)) return exit_bad_input;
  // The DHT's routing table is kept beside the parts directory, for the next run.
  if (!apply_dht_flags(o.dht, std::filesystem::path(o.out) / ".corrent-parts" / "dht.dat", so))
    return exit_bad_input;
  std::vector<std::string> trackerless;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    jobs[i].options = to;
    const bool no_trackers =
        jobs[i].torrent ? jobs[i].torrent->trackers.empty() : jobs[i].params.trackers.empty();
    const bool no_peers = jobs[i].torrent ? true : jobs[i].params.peers.empty();
    if (no_trackers && no_peers && to.peers.empty() && !so.dht)
      trackerless.push_back(jobs[i].torrent ? o.torrents[i] : "the magnet link");
  }
  if (trackerless.size() == 1) {
    spdlog::warn("{} lists no trackers and no --peer was given: waiting for incoming peers",
                 trackerless[0]);
  } else if (!trackerless.empty()) {
    spdlog::warn("{} torrents list no trackers and no --peer was given: waiting for incoming peers",
                 trackerless.size());
  }

  const bool tty = ::isatty(STDOUT_FILENO);
  if (!o.quiet) {
    for (const auto& job : jobs) {
      if (!job.torrent) {
        fmt::print("{}: magnet link, info-hash {}: fetching its metadata from peers\n",
                   text::printable(job.params.name.empty() ? "(no name)" : job.params.name),
                   crypto::to_hex(job.params.info_hash));
        continue;
      }
      const auto& t = *job.torrent;
      fmt::print("{}: {} in {} pieces, info-hash {}\n", text::printable(t.name),
                 human_size(t.total_length), t.num_pieces(), t.info_hash_hex());
    }
    std::fflush(stdout);
  }
  int tick = 0;
  std::size_t drawn = 0;                              // lines of the last tty status
  std::map<std::string, std::string> tracker_states;  // by info-hash, as last logged
  auto on_status = [&](const std::vector<io::torrent_status>& all) {
    if (o.quiet || all.empty()) return;
    const auto lines = status_lines(all);
    if (tty) {
      if (drawn > 1) fmt::print("\x1b[{}A", drawn - 1);
      for (std::size_t i = 0; i < lines.size(); ++i) {
        fmt::print("\r\x1b[2K{}", lines[i].substr(0, 160));
        if (i + 1 < lines.size()) fmt::print("\n");
      }
      drawn = lines.size();
      std::fflush(stdout);
    } else if (o.verbose || ++tick % 5 == 0) {
      for (const auto& l : lines) fmt::print("{}\n", l);
      std::fflush(stdout);
    }
    if (o.verbose) {  // when it changes: a line a second read as an announce a second
      for (const auto& s : all) {
        auto& last = tracker_states[s.info_hash];
        if (!s.tracker_state.empty() && s.tracker_state != last)
          spdlog::debug("tracker: {}", s.tracker_state);
        last = s.tracker_state;
      }
    }
  };
  const auto report = io::run_session(jobs, so, on_status);
  if (tty && !o.quiet && drawn > 0) fmt::print("\r\x1b[2K\n");
  if (!o.stats_file.empty()) write_stats(o.stats_file, report);
  if (!report.error.empty()) {
    fmt::print(stderr, "corrent: {}\n", report.error);
    return exit_failure;
  }

  bool all_complete = report.torrents.size() == jobs.size();
  for (std::size_t i = 0; i < report.torrents.size(); ++i) {
    const auto& s = report.torrents[i];
    const std::int64_t total = s.bytes_total;
    if (s.complete) {
      if (!o.quiet) {
        const std::string who = jobs.size() > 1 ? text::printable(s.name) + ": " : "";
        if (s.downloaded_bytes > 0 || !to.seed) {
          fmt::print("done: {}{} in {:.1f} s ({} average), {} hash failure(s), saved to {}\n", who,
                     human_size(total), s.elapsed_s,
                     human_rate(total / std::max(s.elapsed_s, 1e-3)), s.hash_failures, o.out);
        }
        if (to.seed) {
          fmt::print("{}uploaded {} (ratio {:.2f})\n", who, human_size(s.uploaded_bytes),
                     total ? static_cast<double>(s.uploaded_bytes) / total : 0.0);
        }
      }
      continue;
    }
    all_complete = false;
    if (!s.error.empty()) {
      fmt::print(stderr, "corrent: {}{}\n", jobs.size() > 1 ? text::printable(s.name) + ": " : "",
                 text::printable(s.error));
    } else if (!report.interrupted && total == 0) {
      fmt::print(stderr, "corrent: {}: the metadata never came\n", text::printable(s.name));
    }
  }
  if (all_complete) {
    // Seeding stopped by Ctrl-C/SIGTERM rather than a limit: the data is fine, but the
    // run did not end by itself.
    return report.interrupted ? exit_failure : exit_ok;
  }
  if (report.interrupted) {
    fmt::print(stderr, "corrent: interrupted; run the same command again to continue\n");
  }
  return exit_failure;
}

void add_session_options(CLI::App* cmd, download_cli_options& o) {
  cmd->add_option("torrent", o.torrents,
                  "the .torrent file(s) or magnet link(s): one session, one port")
      ->required();
  cmd->add_option("--listen", o.listen, "listen address HOST:PORT (default 0.0.0.0:6881..6889)");
  cmd->add_option("--peer", o.peers, "connect to this peer too (IP:PORT, repeatable)");
  cmd->add_option("--max-peers", o.max_peers, "connections at once, per torrent")
      ->capture_default_str()
      ->check(CLI::Range(1, 2000));
  cmd->add_option("--seed-ratio", o.seed_ratio, "stop seeding at this upload/size ratio")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed-time", o.seed_time, "stop seeding after this long (90s, 15m, 2h)");
  cmd->add_option("--max-download-rate", o.max_down,
                  "limit download, bytes/s in total (e.g. 500K, 2M)");
  cmd->add_option("--max-upload-rate", o.max_up, "limit upload, bytes/s in total (e.g. 500K, 2M)");
  cmd->add_option("--min-announce-interval", o.min_announce,
                  "never re-announce sooner than this when a tracker gives no min interval")
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", o.quiet, "print nothing but errors");
  cmd->add_flag("-v,--verbose", o.verbose, "log peers and trackers");
  cmd->add_option("--stats", o.stats_file, "write a JSON summary (bytes, peers) here at exit");
  add_dht_flags(cmd, o.dht);
}

command_runner session_runner(std::shared_ptr<download_cli_options> o) {
  return [o] {
    spdlog::set_pattern("%H:%M:%S %^%l%$ %v");
    spdlog::set_level(o->verbose ? spdlog::level::debug
                                 : (o->quiet ? spdlog::level::err : spdlog::level::info));
    return run(*o);
  };
}

}  // namespace

command_runner register_download(CLI::App& app) {
  auto o = std::make_shared<download_cli_options>();
  auto* cmd = app.add_subcommand("download", "Download torrents into a directory");
  add_session_options(cmd, *o);
  cmd->add_option("-o,--out,--output", o->out, "output directory")->capture_default_str();
  cmd->add_flag("--seed", o->seed, "keep seeding afterwards (until Ctrl-C, or a limit)");
  return session_runner(o);
}

command_runner register_seed(CLI::App& app) {
  auto o = std::make_shared<download_cli_options>();
  o->seed_only = true;
  auto* cmd = app.add_subcommand("seed", "Verify complete data and seed it");
  add_session_options(cmd, *o);
  cmd->add_option("-d,--dir,--data", o->out, "directory holding the torrents' files")
      ->capture_default_str();
  return session_runner(o);
}

}  // namespace corrent::cli
