// `corrent info FILE.torrent [--json]`: what a .torrent holds, for people and scripts.
#include <fmt/format.h>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>

#include "cli/commands.hpp"
#include "cli/net_flags.hpp"
#include "cli/torrent_file.hpp"
#include "cli/units.hpp"
#include "core/metainfo/magnet.hpp"
#include "core/text/printable.hpp"
#include "io/rpc/json_text.hpp"
#include "io/session/run.hpp"
#include "io/tracker/scrape.hpp"

namespace corrent::cli {
namespace {

struct info_options {
  std::string file;
  bool json = false;
  bool scrape = false;
  std::vector<std::string> peers;  // for a magnet
  std::string listen;
  double timeout_s = 120;
  dht_flags dht;
};

std::string magnet_of(const metainfo::torrent& t) {
  return metainfo::make_magnet(t.info_hash, t.name, t.trackers, t.url_list);
}

// A magnet link: its metadata fetched from the swarm by a session of its own into a
// scratch directory, then read back like a .torrent. Errors are printed; exit code out.
std::optional<metainfo::torrent> fetch_magnet(const info_options& o, int& code) {
  code = exit_bad_input;
  auto m = metainfo::parse_magnet(o.file);
  if (!m) {
    fmt::print(stderr, "corrent: {}: {}\n", text::printable(o.file.substr(0, 200)),
               text::printable(m.error().message()));
    return std::nullopt;
  }
  io::session_options so;
  io::torrent_options to;
  if (!parse_peer_flags(o.peers, to.peers)) return std::nullopt;
  if (!o.listen.empty() && !parse_listen_flag(o.listen, so)) return std::nullopt;
  if (!apply_dht_flags(o.dht, {}, so)) return std::nullopt;  // no table kept: a scratch run
  code = exit_failure;
  char tmpl[] = "/tmp/corrent-info-XXXXXX";
  if (!::mkdtemp(tmpl)) {
    fmt::print(stderr, "corrent: cannot create a scratch directory: {}\n", std::strerror(errno));
    return std::nullopt;
  }
  const std::filesystem::path dir = tmpl;
  to.output_dir = dir;
  to.metadata_only = true;
  const auto hex = crypto::to_hex(m->info_hash);
  io::session_job job;
  job.params = std::move(*m);
  if (job.params.name.empty()) job.params.name = hex;
  job.options = to;
  // stdout is the answer (text or --json): the session's log lines go to stderr.
  spdlog::set_default_logger(spdlog::stderr_color_mt("info"));
  spdlog::set_pattern("%H:%M:%S %^%l%$ %v");
  spdlog::set_level(spdlog::level::warn);
  const auto report = io::run_session({job}, so, nullptr, o.timeout_s);
  std::optional<metainfo::torrent> t;
  if (!report.error.empty()) {
    fmt::print(stderr, "corrent: {}\n", report.error);
  } else if (report.torrents.empty() || !report.torrents[0].complete) {
    const std::string why = report.torrents.empty() || report.torrents[0].error.empty()
                                ? "no peer sent it within the time limit"
                                : report.torrents[0].error;
    fmt::print(stderr, "corrent: cannot fetch the metadata of {}: {}\n", hex, text::printable(why));
  } else {
    t = load_torrent_file((dir / ".corrent-parts" / (hex + ".torrent")).string());
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (t) code = exit_ok;
  return t;
}

boost::json::object to_json(const metainfo::torrent& t) {
  boost::json::object o;
  o["name"] = t.name;
  o["info_hash"] = t.info_hash_hex();
  o["magnet"] = magnet_of(t);
  o["total_size"] = t.total_length;
  o["piece_length"] = t.piece_length;
  o["num_pieces"] = t.num_pieces();
  o["private"] = t.is_private;
  o["multi_file"] = t.multi_file;
  o["hybrid"] = t.hybrid;
  boost::json::array tiers;
  for (const auto& tier : t.trackers) {
    boost::json::array urls;
    for (const auto& u : tier) urls.emplace_back(u);
    tiers.emplace_back(std::move(urls));
  }
  o["trackers"] = std::move(tiers);
  boost::json::array seeds;
  for (const auto& u : t.url_list) seeds.emplace_back(u);
  o["web_seeds"] = std::move(seeds);
  if (t.creation_date) o["creation_date"] = *t.creation_date;
  o["comment"] = t.comment;
  o["created_by"] = t.created_by;
  boost::json::array files;
  for (const auto& f : t.files) {
    boost::json::object jf;
    jf["path"] = f.path;
    jf["size"] = f.length;
    jf["offset"] = f.offset;
    if (f.pad) jf["pad"] = true;
    if (f.executable) jf["executable"] = true;
    if (f.hidden) jf["hidden"] = true;
    if (f.symlink) jf["symlink_target"] = f.symlink_target;
    files.emplace_back(std::move(jf));
  }
  o["files"] = std::move(files);
  return o;
}

// Prints the files as an indented tree: directories once, files with their sizes.
void print_tree(const metainfo::torrent& t) {
  std::vector<std::string> open_dirs;
  std::size_t shown = 0, pads = 0;
  for (const auto& f : t.files) {
    if (f.pad) {
      ++pads;
      continue;
    }
    std::vector<std::string> parts;
    for (std::size_t start = 0;;) {
      const auto slash = f.path.find('/', start);
      parts.push_back(f.path.substr(start, slash - start));
      if (slash == std::string::npos) break;
      start = slash + 1;
    }
    std::size_t common = 0;
    while (common < open_dirs.size() && common + 1 < parts.size() &&
           open_dirs[common] == parts[common]) {
      ++common;
    }
    open_dirs.resize(common);
    for (std::size_t d = common; d + 1 < parts.size(); ++d) {
      fmt::print("  {:>12}  {}{}/\n", "", std::string(2 * d, ' '), text::printable(parts[d]));
      open_dirs.push_back(parts[d]);
    }
    fmt::print("  {:>12}  {}{}\n", human_size(f.length), std::string(2 * (parts.size() - 1), ' '),
               text::printable(parts.back()));
    ++shown;
  }
  if (pads) fmt::print("  ({} pad files not shown)\n", pads);
}

void print_human(const metainfo::torrent& t) {
  fmt::print("name:        {}\n", text::printable(t.name));
  fmt::print("info-hash:   {}{}\n", t.info_hash_hex(), t.hybrid ? " (v1 of a hybrid torrent)" : "");
  fmt::print("magnet:      {}\n", text::printable(magnet_of(t)));
  fmt::print("size:        {} ({} bytes)\n", human_size(t.total_length), t.total_length);
  fmt::print("pieces:      {} x {}", t.num_pieces(), human_size(t.piece_length));
  if (t.num_pieces() > 0) fmt::print(" (last {})", human_size(t.piece_size(t.num_pieces() - 1)));
  fmt::print("\n");
  fmt::print("private:     {}\n", t.is_private ? "yes" : "no");
  if (t.creation_date) {
    std::time_t when = static_cast<std::time_t>(*t.creation_date);
    std::tm tm{};
    char buf[64] = "?";
    if (gmtime_r(&when, &tm)) std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    fmt::print("created:     {}\n", buf);
  }
  if (!t.created_by.empty()) fmt::print("created by:  {}\n", text::printable(t.created_by));
  if (!t.comment.empty()) fmt::print("comment:     {}\n", text::printable(t.comment));
  if (t.trackers.empty()) {
    fmt::print("trackers:    none\n");
  } else {
    fmt::print("trackers:\n");
    for (std::size_t i = 0; i < t.trackers.size(); ++i) {
      for (const auto& url : t.trackers[i])
        fmt::print("  tier {:<3} {}\n", i + 1, text::printable(url));
    }
  }
  if (!t.url_list.empty()) {
    fmt::print("web seeds:\n");
    for (const auto& u : t.url_list) fmt::print("  {}\n", text::printable(u));
  }
  std::size_t content_files = 0;
  for (const auto& f : t.files) content_files += f.pad ? 0 : 1;
  fmt::print("files ({}):\n", content_files);
  print_tree(t);
}

}  // namespace

command_runner register_info(CLI::App& app) {
  auto opts = std::make_shared<info_options>();
  auto* cmd = app.add_subcommand("info", "Show what a .torrent file (or a magnet link) holds");
  cmd->add_option("torrent", opts->file,
                  "the .torrent file, or a magnet link (its metadata is fetched from peers)")
      ->required();
  cmd->add_option("--peer", opts->peers, "a magnet: ask this peer too (IP:PORT, repeatable)");
  cmd->add_option("--listen", opts->listen, "a magnet: listen address HOST:PORT");
  cmd->add_option("--timeout", opts->timeout_s, "a magnet: give up after this many seconds")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 86400.0));
  add_dht_flags(cmd, opts->dht);
  cmd->add_flag("--json", opts->json, "print machine-readable JSON");
  cmd->add_flag("--scrape", opts->scrape,
                "ask every tracker for seeders/leechers/completed (BEP 48, HTTP and UDP)");
  return [opts] {
    std::optional<metainfo::torrent> t;
    if (metainfo::is_magnet(opts->file)) {
      int code = 0;
      t = fetch_magnet(*opts, code);
      if (!t) return code;
    } else {
      t = load_torrent_file(opts->file);
    }
    if (!t) return static_cast<int>(exit_bad_input);
    std::vector<io::scrape_report> reports;
    if (opts->scrape) reports = io::scrape_trackers(*t, std::chrono::seconds(10));
    if (opts->json) {
      auto o = to_json(*t);
      if (opts->scrape) {
        boost::json::array arr;
        for (const auto& r : reports) {
          boost::json::object jr;
          jr["url"] = r.url;
          jr["ok"] = r.ok;
          if (r.ok) {
            jr["seeders"] = r.seeders;
            jr["leechers"] = r.leechers;
            jr["completed"] = r.completed;
          } else {
            jr["error"] = r.error;
          }
          arr.emplace_back(std::move(jr));
        }
        o["scrape"] = std::move(arr);
      }
      std::cout << io::json_text(o) << "\n";
    } else {
      print_human(*t);
      if (opts->scrape) {
        fmt::print("scrape:\n");
        if (reports.empty()) fmt::print("  no trackers\n");
        for (const auto& r : reports) {
          if (r.ok) {
            fmt::print("  {}: {} seeders, {} leechers, {} completed\n", r.url, r.seeders,
                       r.leechers, r.completed);
          } else {
            fmt::print("  {}: {}\n", r.url, r.error);
          }
        }
      }
    }
    return static_cast<int>(exit_ok);
  };
}

}  // namespace corrent::cli
