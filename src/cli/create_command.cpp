// `corrent create PATH -o OUT.torrent`: make a v1 .torrent, hashing on all cores.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <memory>

#include "cli/commands.hpp"
#include "cli/units.hpp"
#include "core/metainfo/parse.hpp"
#include "io/create/make_torrent.hpp"
#include "io/storage/whole_file.hpp"

namespace corrent::cli {
namespace {

struct create_options {
  std::string path;
  std::string out;
  std::vector<std::string> trackers;
  std::vector<std::string> web_seeds;
  std::string piece_size = "auto";
  bool is_private = false;
  std::string comment;
  bool no_date = false;
  bool force = false;
  unsigned threads = 0;
  bool quiet = false;
};

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const auto comma = s.find(',', start);
    auto part = s.substr(start, comma - start);
    if (!part.empty()) out.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

int run(const create_options& o) {
  io::make_torrent_options mo;
  mo.root = o.path;
  for (const auto& t : o.trackers) {
    auto tier = split_commas(t);
    if (!tier.empty()) mo.tracker_tiers.push_back(std::move(tier));
  }
  mo.web_seeds = o.web_seeds;
  if (o.piece_size != "auto") {
    if (!parse_size(o.piece_size, mo.piece_length) || mo.piece_length < 16 * 1024 ||
        mo.piece_length > (1LL << 30) || (mo.piece_length & (mo.piece_length - 1)) != 0) {
      fmt::print(stderr,
                 "corrent: --piece-size {}: expected 'auto' or a power of two from 16KiB to "
                 "1GiB\n",
                 o.piece_size);
      return exit_bad_input;
    }
  }
  mo.is_private = o.is_private;
  mo.comment = o.comment;
  mo.created_by = "corrent/" CORRENT_VERSION;
  if (!o.no_date) mo.creation_date = static_cast<std::int64_t>(std::time(nullptr));
  mo.threads = o.threads;
  if (!o.force && std::filesystem::exists(o.out)) {
    fmt::print(stderr, "corrent: {}: already exists (use --force to overwrite)\n", o.out);
    return exit_bad_input;
  }

  const bool tty = !o.quiet && ::isatty(STDERR_FILENO);
  io::hash_progress progress;
  const auto start = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  auto made = io::make_torrent(mo, &progress, [&](std::int64_t total) {
    if (!tty) return;
    const auto done = progress.bytes_done.load();
    fmt::print(stderr, "\rhashing {:5.1f}%  {} of {}  {}   ", 100.0 * done / total,
               human_size(done), human_size(total), human_rate(done / std::max(seconds(), 1e-3)));
  });
  if (tty) fmt::print(stderr, "\r{:60}\r", "");
  if (!made) {
    fmt::print(stderr, "corrent: {}\n", made.error().message());
    return made.error().code.category() == boost::system::system_category() ? exit_failure
                                                                            : exit_bad_input;
  }
  const double elapsed = seconds();
  for (const auto& s : made->skipped) fmt::print(stderr, "corrent: skipped {}\n", s);
  if (auto w = io::replace_file_atomically(o.out, made->torrent_bytes); !w) {
    fmt::print(stderr, "corrent: {}: {}\n", o.out, w.error().code.message());
    return exit_failure;
  }
  auto t = metainfo::parse_torrent(made->torrent_bytes);
  if (!t) {  // we just built it: failing here is a bug, but say so instead of crashing
    fmt::print(stderr, "corrent: internal error, created torrent does not parse: {}\n",
               t.error().message());
    return exit_failure;
  }
  if (!o.quiet) {
    fmt::print("created {}\n", o.out);
    fmt::print("  name:      {}\n", t->name);
    fmt::print("  info-hash: {}\n", t->info_hash_hex());
    fmt::print("  size:      {} in {} files\n", human_size(t->total_length), t->files.size());
    fmt::print("  pieces:    {} x {}\n", t->num_pieces(), human_size(t->piece_length));
    fmt::print("  hashed in  {:.2f} s ({})\n", elapsed,
               human_rate(t->total_length / std::max(elapsed, 1e-6)));
  }
  return exit_ok;
}

}  // namespace

command_runner register_create(CLI::App& app) {
  auto o = std::make_shared<create_options>();
  auto* cmd = app.add_subcommand("create", "Make a .torrent from a file or directory");
  cmd->add_option("path", o->path, "file or directory to share")->required();
  cmd->add_option("-o,--output", o->out, "the .torrent to write")->required();
  cmd->add_option("-t,--tracker", o->trackers,
                  "announce URL; repeat for more tiers, comma-separate URLs of one tier");
  cmd->add_option("-w,--web-seed", o->web_seeds, "web seed URL (BEP 19)");
  cmd->add_option("--piece-size", o->piece_size, "piece size, e.g. 256KiB, 1MiB, or auto")
      ->capture_default_str();
  cmd->add_flag("--private", o->is_private, "private torrent (BEP 27)");
  cmd->add_option("--comment", o->comment, "comment stored in the torrent");
  cmd->add_flag("--no-date", o->no_date, "leave out the creation date (reproducible output)");
  cmd->add_flag("-f,--force", o->force, "overwrite the output file");
  cmd->add_option("--threads", o->threads, "hashing threads (0 = all cores)")
      ->capture_default_str();
  cmd->add_flag("-q,--quiet", o->quiet, "print nothing but errors");
  return [o] { return run(*o); };
}

}  // namespace corrent::cli
