// `corrent info FILE.torrent [--json]`: what a .torrent holds, for people and scripts.
#include <fmt/format.h>

#include <boost/json.hpp>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>

#include "cli/commands.hpp"
#include "cli/torrent_file.hpp"
#include "cli/units.hpp"
#include "core/text/printable.hpp"
#include "io/tracker/scrape.hpp"

namespace corrent::cli {
namespace {

struct info_options {
  std::string file;
  bool json = false;
  bool scrape = false;
};

boost::json::object to_json(const metainfo::torrent& t) {
  boost::json::object o;
  o["name"] = t.name;
  o["info_hash"] = t.info_hash_hex();
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
  auto* cmd = app.add_subcommand("info", "Show what a .torrent file holds");
  cmd->add_option("torrent", opts->file, "the .torrent file")->required();
  cmd->add_flag("--json", opts->json, "print machine-readable JSON");
  cmd->add_flag("--scrape", opts->scrape,
                "ask every tracker for seeders/leechers/completed (BEP 48, HTTP and UDP)");
  return [opts] {
    auto t = load_torrent_file(opts->file);
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
      std::cout << boost::json::serialize(o) << "\n";
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
