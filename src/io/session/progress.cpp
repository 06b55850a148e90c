// The torrent session's durable progress: what is restored at start (resume file, or
// files already in the output directory) and the checkpoints that record it (flush the
// written data first, then replace the resume file atomically).
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "io/session/torrent_session.hpp"
#include "io/storage/recheck.hpp"
#include "io/storage/safe_path.hpp"
#include "io/storage/whole_file.hpp"

namespace corrent::io {
namespace asio = boost::asio;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {
constexpr auto checkpoint_interval = 2s;
}  // namespace

bool torrent_session::restore_progress() {
  std::error_code ec;
  recheck_result rr;
  // A parts directory without a resume file, next to complete final files, is an empty
  // shell (e.g. left by an older version): the final files decide.
  bool any_final = false;
  for (const auto& f : torrent_.files) {
    if (!f.pad && !f.symlink && f.length > 0 &&
        fs::is_regular_file(fs::symlink_status(opts_.output_dir / f.path, ec)) &&
        exists_without_links(opts_.output_dir, f.path)) {
      any_final = true;
      break;
    }
  }
  const bool use_parts = fs::exists(storage_.parts_dir(), ec) &&
                         (fs::exists(storage_.resume_path(), ec) || !any_final);
  if (use_parts) {
    rr = recheck(torrent_, storage_.parts_dir(), storage_.resume_path(), 0);
    spdlog::info("resuming: {} of {} pieces verified ({} from the resume file, {} re-hashed){}",
                 rr.verified.count(), torrent_.num_pieces(), rr.trusted, rr.hashed,
                 rr.note.empty() ? "" : "; " + rr.note);
  } else {
    if (!any_final) return true;
    rr = recheck(torrent_, opts_.output_dir, std::nullopt, 0);
    spdlog::info("found existing files: {} of {} pieces verified", rr.verified.count(),
                 torrent_.num_pieces());
    if (rr.verified.all()) {
      // Everything is already there: create missing empty files and finish.
      for (const auto& f : torrent_.files) {
        if (f.pad || f.symlink || f.length != 0) continue;
        const fs::path p = opts_.output_dir / f.path;
        if (!make_dirs_inside(opts_.output_dir, fs::path(f.path).parent_path())) continue;
        if (!fs::exists(fs::symlink_status(p, ec))) replace_file_atomically(p, "");
      }
      verified_bytes_ = torrent_.total_length;
      for (std::size_t p = 0; p < rr.verified.size(); ++p)
        picker_.on_piece_verified(static_cast<std::uint32_t>(p));
      return false;
    }
    if (rr.verified.none()) return true;
    if (auto r = storage_.adopt_final_files(); !r) {
      fail("cannot take over existing files: " + r.error().message());
      return true;
    }
  }
  for (std::size_t p = 0; p < rr.verified.size(); ++p) {
    if (!rr.verified.test(p)) continue;
    picker_.on_piece_verified(static_cast<std::uint32_t>(p));
    verified_bytes_ += torrent_.piece_size(static_cast<std::int64_t>(p));
  }
  checkpointed_count_ = picker_.have_count();
  return true;
}

result<void> torrent_session::checkpoint_now() {
  if (auto r = storage_.sync(); !r) return r;
  const auto state = make_resume_state(torrent_, storage_.parts_dir(), picker_.have_bitfield(),
                                       downloaded_bytes_, uploaded_bytes_);
  return replace_file_atomically(storage_.resume_path(), resume::encode_resume(state));
}

asio::awaitable<void> torrent_session::checkpoint_loop() {
  asio::steady_timer t(co_await asio::this_coro::executor);
  while (!stopping_) {
    t.expires_after(checkpoint_interval);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    if (stopping_ || complete_ || checkpoint_running_ ||
        picker_.have_count() == checkpointed_count_) {
      continue;  // once complete the parts (and resume file) are gone
    }
    // Snapshot on this thread: only pieces already written are in the bitfield.
    checkpoint_running_ = true;
    const std::uint32_t count = picker_.have_count();
    auto verified = std::make_shared<swarm::bitfield>(picker_.have_bitfield());
    const std::int64_t down = downloaded_bytes_, up = uploaded_bytes_;
    asio::post(disk_pool_, [this, verified, count, down, up] {
      result<void> r = storage_.sync();
      if (r) {
        const auto state = make_resume_state(torrent_, storage_.parts_dir(), *verified, down, up);
        r = replace_file_atomically(storage_.resume_path(), resume::encode_resume(state));
      }
      asio::post(ioc_, [this, r, count] {
        checkpoint_running_ = false;
        if (!r) {
          spdlog::error("checkpoint failed: {}", r.error().message());
          return;
        }
        checkpointed_count_ = count;
      });
    });
  }
}

}  // namespace corrent::io
