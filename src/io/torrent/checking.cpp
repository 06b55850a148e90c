// io::torrent, at start: what is on disk already. A parts directory with its resume file
// (an interrupted download), or the files at their final paths (a finished download, or
// another client's), are checked on the disk pool: recorded pieces are trusted only if
// their files are unchanged, the others are hashed. Existing final files that are only
// partly right are moved into the parts directory to be completed there.
#include <spdlog/spdlog.h>

#include "io/storage/disk_io.hpp"
#include "io/storage/recheck.hpp"
#include "io/storage/safe_path.hpp"
#include "io/storage/whole_file.hpp"
#include "io/torrent/torrent.hpp"

namespace corrent::io {
namespace asio = boost::asio;
namespace fs = std::filesystem;

struct torrent::restore_result {
  swarm::bitfield verified;
  bool complete_final = false;  // every file is at its final path and good
  std::int64_t downloaded = 0;  // totals carried over (daemon: options_.resume_file set)
  std::int64_t uploaded = 0;
  std::string error;
};

asio::awaitable<void> torrent::check_files() {
  auto self = shared_from_this();
  // A named function, not a lambda inside the co_await: g++ 12 destroys a closure
  // temporary of a co_await expression twice (its captured shared_ptr lost a reference).
  const bool distrust = distrust_resume_;
  distrust_resume_ = false;
  std::function<restore_result()> work = [self, distrust]() -> restore_result {
    const auto& info = *self->info_;
    const auto& out_dir = self->options_.output_dir;
    auto& storage = *self->storage_;
    restore_result out;
    out.verified = swarm::bitfield(static_cast<std::size_t>(info.num_pieces()));
    std::error_code ec;
    // A parts directory without a resume file, next to complete final files, is an empty
    // shell (e.g. left by an older version): the final files decide.
    bool any_final = false;
    for (const auto& f : info.files) {
      if (!f.pad && !f.symlink && f.length > 0 &&
          fs::is_regular_file(fs::symlink_status(out_dir / f.path, ec)) &&
          exists_without_links(out_dir, f.path)) {
        any_final = true;
        break;
      }
    }
    const bool use_parts = fs::exists(storage.parts_dir(), ec) &&
                           (fs::exists(storage.resume_path(), ec) || !any_final);
    if (use_parts) {
      auto rr = recheck(info, storage.parts_dir(),
                        distrust ? std::nullopt : std::optional(storage.resume_path()), 0);
      spdlog::info("resuming: {} of {} pieces verified ({} from the resume file, {} re-hashed){}",
                   rr.verified.count(), info.num_pieces(), rr.trusted, rr.hashed,
                   rr.note.empty() ? "" : "; " + rr.note);
      out.verified = std::move(rr.verified);
      out.downloaded = rr.downloaded;
      out.uploaded = rr.uploaded;
    } else if (any_final) {
      // The daemon's record of these files, when it finished them: unchanged files are
      // trusted, the others hashed.
      const auto& record = self->options_.resume_file;
      const bool use_record = !distrust && !record.empty() && fs::exists(record, ec);
      auto rr = recheck(info, out_dir, use_record ? std::optional(record) : std::nullopt, 0);
      spdlog::info(
          "found existing files: {} of {} pieces verified ({} from the seed record, {} "
          "hashed){}",
          rr.verified.count(), info.num_pieces(), rr.trusted, rr.hashed,
          rr.note.empty() ? "" : "; " + rr.note);
      out.downloaded = rr.downloaded;
      out.uploaded = rr.uploaded;
      if (rr.verified.all()) {
        // Everything is already there: create missing empty files and finish.
        for (const auto& f : info.files) {
          if (f.pad || f.symlink || f.length != 0) continue;
          const fs::path p = out_dir / f.path;
          auto made = make_dirs_inside(out_dir, fs::path(f.path).parent_path());
          if (made && !fs::exists(fs::symlink_status(p, ec))) made = create_empty_file(p);
          if (!made && made.error().code != boost::system::errc::file_exists) {
            out.error = "cannot create " + p.string() + ": " + made.error().message();
            return out;
          }
        }
        out.verified = std::move(rr.verified);
        out.complete_final = true;
        return out;
      }
      if (!rr.verified.none()) {
        if (auto r = storage.adopt_final_files(); !r) {
          out.error = "cannot take over existing files: " + r.error().message();
          return out;
        }
        out.verified = std::move(rr.verified);
      }
    }
    if (auto r = storage.prepare(); !r) out.error = "cannot create files: " + r.error().message();
    return out;
  };
  auto rr = co_await host_.disk().run(std::move(work));
  if (!rr.error.empty()) {
    error_ = rr.error;
    spdlog::error("{}", error_);
    co_return;
  }
  if (!options_.resume_file.empty() && prior_downloaded_ == 0 && prior_uploaded_ == 0) {
    prior_downloaded_ = carried_downloaded_ = rr.downloaded;  // the daemon's totals live
    prior_uploaded_ = carried_uploaded_ = rr.uploaded;        // across restarts
  }
  have_ = std::move(rr.verified);
  checkpointed_count_ = static_cast<std::uint32_t>(have_.count());
  flush_ledger_.reset(have_);  // read back from disk, or vouched for by a resume file
  if (rr.complete_final) {
    complete_ = true;
    moved_ = true;
    co_await save_seed_record();
  }
}

}  // namespace corrent::io
