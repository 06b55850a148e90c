// `corrent verify FILE.torrent [-d DIR]`: hash every piece of a finished download (or of
// its parts directory, while it is unfinished) on all cores and report good, bad and
// missing pieces and each file's state. Exit 0 only when every piece is good.
#include <fmt/format.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/torrent_file.hpp"
#include "cli/units.hpp"
#include "core/metainfo/file_layout.hpp"
#include "io/rpc/json_text.hpp"
#include "io/storage/recheck.hpp"

namespace corrent::cli {
namespace {
namespace fs = std::filesystem;

struct verify_options {
  std::string torrent;
  std::string dir = ".";
  bool json = false;
  unsigned threads = 0;
};

enum class piece_state { good, bad, missing };

int run(const verify_options& o) {
  auto t = load_torrent_file(o.torrent);
  if (!t) return exit_bad_input;
  // The finished files, or the parts directory of an unfinished download.
  fs::path root = o.dir;
  const fs::path parts = root / ".corrent-parts" / t->info_hash_hex();
  std::error_code ec;
  bool any_final = false;
  for (const auto& f : t->files) any_final = any_final || (!f.pad && fs::exists(root / f.path, ec));
  if (!any_final && fs::is_directory(parts, ec)) root = parts;

  const auto start = std::chrono::steady_clock::now();
  const auto sources = io::hash_sources(*t, root);
  io::hash_progress progress;
  const bool tty = !o.json && ::isatty(STDERR_FILENO);
  auto hashed = io::hash_pieces(sources, t->piece_length, o.threads, &progress, [&] {
    if (!tty) return;
    fmt::print(stderr, "\rverifying {:5.1f}%",
               100.0 * progress.bytes_done / std::max<std::int64_t>(1, t->total_length));
  });
  if (tty) fmt::print(stderr, "\r{:30}\r", "");
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const auto n = static_cast<std::size_t>(t->num_pieces());
  std::vector<piece_state> state(n, piece_state::good);
  std::int64_t good = 0, bad = 0, missing = 0;
  for (std::size_t p = 0; p < n; ++p) {
    if (!hashed.readable[p]) {
      state[p] = piece_state::missing;
      ++missing;
    } else if (std::string_view(hashed.digests).substr(p * 20, 20) !=
               crypto::as_bytes(t->piece_hash(static_cast<std::int64_t>(p)))) {
      state[p] = piece_state::bad;
      ++bad;
    } else {
      ++good;
    }
  }
  const metainfo::file_layout layout(*t);
  boost::json::array files_json;
  std::vector<std::string> file_lines;
  for (std::size_t i = 0; i < t->files.size(); ++i) {
    const auto& f = t->files[i];
    if (f.pad) continue;
    std::string status = "ok";
    std::int64_t bad_in_file = 0;
    if (!fs::exists(root / f.path, ec)) {
      status = "missing";
    } else if (f.length > 0) {
      const auto [first, last] = layout.piece_range(i);
      for (auto p = first; p <= last; ++p) {
        if (state[static_cast<std::size_t>(p)] != piece_state::good) ++bad_in_file;
      }
      if (bad_in_file) status = "bad";
    }
    boost::json::object jf;
    jf["path"] = f.path;
    jf["status"] = status;
    jf["bad_pieces"] = bad_in_file;
    files_json.emplace_back(std::move(jf));
    file_lines.push_back(
        fmt::format("  {:<8} {}{}", status, f.path,
                    bad_in_file ? fmt::format(" ({} bad piece(s))", bad_in_file) : ""));
  }
  if (o.json) {
    boost::json::object out;
    out["root"] = root.string();
    out["pieces"] = static_cast<std::int64_t>(n);
    out["good"] = good;
    out["bad"] = bad;
    out["missing"] = missing;
    boost::json::array bad_list, missing_list;
    for (std::size_t p = 0; p < n; ++p) {
      if (state[p] == piece_state::bad) bad_list.emplace_back(static_cast<std::int64_t>(p));
      if (state[p] == piece_state::missing) missing_list.emplace_back(static_cast<std::int64_t>(p));
    }
    out["bad_pieces"] = std::move(bad_list);
    out["missing_pieces"] = std::move(missing_list);
    out["files"] = std::move(files_json);
    out["elapsed_s"] = elapsed;
    std::cout << io::json_text(out) << "\n";
  } else {
    fmt::print("{}: {} good, {} bad, {} missing of {} pieces ({} in {:.2f} s, {})\n", root.string(),
               good, bad, missing, n, human_size(t->total_length), elapsed,
               human_rate(t->total_length / std::max(elapsed, 1e-6)));
    std::size_t shown = 0;
    for (std::size_t p = 0; p < n && shown < 20; ++p) {
      if (state[p] == piece_state::good) continue;
      fmt::print("  piece {} {}\n", p, state[p] == piece_state::bad ? "bad" : "missing");
      ++shown;
    }
    if (bad + missing > static_cast<std::int64_t>(shown))
      fmt::print("  ... and {} more\n", bad + missing - shown);
    for (const auto& line : file_lines) fmt::print("{}\n", line);
  }
  return bad == 0 && missing == 0 ? exit_ok : exit_failure;
}

}  // namespace

command_runner register_verify(CLI::App& app) {
  auto o = std::make_shared<verify_options>();
  auto* cmd =
      app.add_subcommand("verify", "Check downloaded data against a .torrent's piece hashes");
  cmd->add_option("torrent", o->torrent, "the .torrent file")->required();
  cmd->add_option("-d,--dir", o->dir, "the output directory the download went to")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "print machine-readable JSON");
  cmd->add_option("--threads", o->threads, "hashing threads (0 = all cores)")
      ->capture_default_str();
  return [o] { return run(*o); };
}

}  // namespace corrent::cli
