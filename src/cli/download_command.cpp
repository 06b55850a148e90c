// `corrent download FILE.torrent [-o DIR]`: download from the torrent's trackers (and
// --peer addresses), verify every piece, move the files into DIR, exit 0.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fstream>
#include <memory>
#include <tuple>

#include "cli/commands.hpp"
#include "cli/torrent_file.hpp"
#include "cli/units.hpp"
#include "io/session/download.hpp"

namespace corrent::cli {
namespace {

struct download_cli_options {
  std::string torrent;
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
  if (mul == 0 || v < 0) return false;
  seconds = v * mul;
  return true;
}

std::string status_line(const io::download_status& s) {
  if (s.seeding) {
    const double ratio = s.bytes_total ? static_cast<double>(s.uploaded_total) / s.bytes_total : 0;
    return fmt::format("seeding {}  up {}  uploaded {}  ratio {:.2f}  peers {}/{}  for {}",
                       human_size(s.bytes_total), human_rate(s.up_rate),
                       human_size(s.uploaded_total), ratio, s.peers_connected, s.peers_known,
                       human_duration(s.seeding_s));
  }
  const double pct = s.bytes_total ? 100.0 * s.bytes_done / s.bytes_total : 100.0;
  const double eta = s.down_rate > 0 ? (s.bytes_total - s.bytes_done) / s.down_rate : -1;
  return fmt::format("{:5.1f}%  {}/{} pieces  down {}  up {}  peers {}/{}  ETA {}", pct,
                     s.pieces_done, s.pieces_total, human_rate(s.down_rate), human_rate(s.up_rate),
                     s.peers_connected, s.peers_known, human_duration(eta));
}

void write_stats(const std::string& path, const io::download_summary& s) {
  boost::json::object o;
  o["complete"] = s.complete;
  o["interrupted"] = s.interrupted;
  o["error"] = s.error;
  o["downloaded_bytes"] = s.downloaded_bytes;
  o["uploaded_bytes"] = s.uploaded_bytes;
  o["hash_failures"] = s.hash_failures;
  o["elapsed_s"] = s.elapsed_s;
  o["first_byte_s"] = s.first_byte_s;
  boost::json::array peers;
  for (const auto& p : s.peers) {
    boost::json::object jp;
    jp["address"] = p.address;
    jp["client"] = p.client;
    jp["downloaded"] = p.downloaded;
    jp["uploaded"] = p.uploaded;
    jp["hash_failures"] = p.hash_failures;
    jp["banned"] = p.banned;
    peers.emplace_back(std::move(jp));
  }
  o["peers"] = std::move(peers);
  std::ofstream f(path, std::ios::trunc);
  f << boost::json::serialize(o) << "\n";
  if (!f) fmt::print(stderr, "corrent: cannot write --stats file {}\n", path);
}

int run(const download_cli_options& o) {
  auto t = load_torrent_file(o.torrent);
  if (!t) return exit_bad_input;
  io::download_options opts;
  opts.output_dir = o.out;
  opts.max_peers = o.max_peers;
  opts.seed = o.seed || o.seed_only || o.seed_ratio > 0 || !o.seed_time.empty();
  opts.seed_only = o.seed_only;
  opts.seed_ratio = o.seed_ratio;
  for (auto [text, out, flag] :
       {std::tuple{&o.max_down, &opts.max_download_rate, "--max-download-rate"},
        std::tuple{&o.max_up, &opts.max_upload_rate, "--max-upload-rate"}}) {
    if (text->empty()) continue;
    std::int64_t rate = 0;
    if (!parse_size(*text, rate) || rate <= 0) {
      fmt::print(stderr, "corrent: {} {}: expected bytes per second, e.g. 500K or 2M\n", flag,
                 *text);
      return exit_bad_input;
    }
    *out = static_cast<double>(rate);
  }
  if (!o.seed_time.empty() && !parse_duration(o.seed_time, opts.seed_time_s)) {
    fmt::print(stderr, "corrent: --seed-time {}: expected a duration like 90s, 15m or 2h\n",
               o.seed_time);
    return exit_bad_input;
  }
  if (!o.listen.empty()) {
    const auto colon = o.listen.rfind(':');
    std::int64_t port = 0;
    if (colon == std::string::npos || !parse_size(o.listen.substr(colon + 1), port) ||
        port > 65535) {
      fmt::print(stderr, "corrent: --listen {}: expected HOST:PORT\n", o.listen);
      return exit_bad_input;
    }
    std::string host = o.listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
      host = host.substr(1, host.size() - 2);
    opts.listen_host = host.empty() ? "0.0.0.0" : host;
    opts.listen_port = static_cast<std::uint16_t>(port);
    opts.listen_port_fixed = true;
  }
  for (const auto& text : o.peers) {
    auto a = net::peer_address::parse(text);
    if (!a) {
      fmt::print(stderr,
                 "corrent: --peer {}: expected IP:PORT (e.g. 127.0.0.1:6881 or [::1]:6881)\n",
                 text);
      return exit_bad_input;
    }
    opts.manual_peers.push_back(*a);
  }
  if (t->trackers.empty() && opts.manual_peers.empty()) {
    spdlog::warn("{} lists no trackers and no --peer was given: waiting for incoming peers",
                 o.torrent);
  }

  const bool tty = ::isatty(STDOUT_FILENO);
  if (!o.quiet) {
    fmt::print("{}: {} in {} pieces, info-hash {}\n", t->name, human_size(t->total_length),
               t->num_pieces(), t->info_hash_hex());
    std::fflush(stdout);
  }
  int tick = 0;
  auto on_status = [&](const io::download_status& s) {
    if (o.quiet) return;
    if (tty) {
      fmt::print("\r{:<100}", status_line(s));
      std::fflush(stdout);
    } else if (o.verbose || ++tick % 5 == 0) {
      fmt::print("{}\n", status_line(s));
      std::fflush(stdout);
    }
    if (o.verbose && !s.tracker_state.empty()) spdlog::debug("tracker: {}", s.tracker_state);
  };
  const auto summary = io::run_download(*t, opts, on_status);
  if (tty && !o.quiet) fmt::print("\r{:<100}\r", "");
  if (!o.stats_file.empty()) write_stats(o.stats_file, summary);

  if (summary.complete) {
    if (!o.quiet) {
      if (summary.downloaded_bytes > 0 || !opts.seed) {
        fmt::print("done: {} in {:.1f} s ({} average), {} hash failure(s), saved to {}\n",
                   human_size(t->total_length), summary.elapsed_s,
                   human_rate(t->total_length / std::max(summary.elapsed_s, 1e-3)),
                   summary.hash_failures, o.out);
      }
      if (opts.seed) {
        fmt::print(
            "uploaded {} (ratio {:.2f})\n", human_size(summary.uploaded_bytes),
            t->total_length ? static_cast<double>(summary.uploaded_bytes) / t->total_length : 0.0);
      }
    }
    // Seeding stopped by Ctrl-C/SIGTERM rather than a limit: the data is fine, but the
    // run did not end by itself.
    return summary.interrupted ? exit_failure : exit_ok;
  }
  if (!summary.error.empty()) {
    fmt::print(stderr, "corrent: {}\n", summary.error);
  } else if (summary.interrupted) {
    fmt::print(stderr, "corrent: interrupted; run the same command again to continue\n");
  }
  return exit_failure;
}

void add_session_options(CLI::App* cmd, download_cli_options& o) {
  cmd->add_option("torrent", o.torrent, "the .torrent file")->required();
  cmd->add_option("--listen", o.listen, "listen address HOST:PORT (default 0.0.0.0:6881..6889)");
  cmd->add_option("--peer", o.peers, "connect to this peer too (IP:PORT, repeatable)");
  cmd->add_option("--max-peers", o.max_peers, "connections at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 2000));
  cmd->add_option("--seed-ratio", o.seed_ratio, "stop seeding at this upload/size ratio")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--seed-time", o.seed_time, "stop seeding after this long (90s, 15m, 2h)");
  cmd->add_option("--max-download-rate", o.max_down, "limit download, bytes/s (e.g. 500K, 2M)");
  cmd->add_option("--max-upload-rate", o.max_up, "limit upload, bytes/s (e.g. 500K, 2M)");
  cmd->add_flag("-q,--quiet", o.quiet, "print nothing but errors");
  cmd->add_flag("-v,--verbose", o.verbose, "log peers and trackers");
  cmd->add_option("--stats", o.stats_file, "write a JSON summary (bytes, peers) here at exit");
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
  auto* cmd = app.add_subcommand("download", "Download a torrent into a directory");
  add_session_options(cmd, *o);
  cmd->add_option("-o,--out,--output", o->out, "output directory")->capture_default_str();
  cmd->add_flag("--seed", o->seed, "keep seeding after the download (until Ctrl-C, or a limit)");
  return session_runner(o);
}

command_runner register_seed(CLI::App& app) {
  auto o = std::make_shared<download_cli_options>();
  o->seed_only = true;
  auto* cmd = app.add_subcommand("seed", "Verify complete data and seed it");
  add_session_options(cmd, *o);
  cmd->add_option("-d,--dir,--data", o->out, "directory holding the torrent's files")
      ->capture_default_str();
  return session_runner(o);
}

}  // namespace corrent::cli
