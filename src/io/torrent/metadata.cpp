// io::torrent, a magnet's metadata (BEP 9): the `info` that core's metadata_extension
// fetched and hash-checked is parsed, saved beside the resume file as a .torrent
// (<out>/.corrent-parts/<info-hash>.torrent, crash-safe, so a rerun of the same magnet
// needs no peer), then the files are checked and the torrent downloads or seeds as if
// started from a .torrent. A saved one is loaded at start.
#include <spdlog/spdlog.h>

#include "core/bencode/encode.hpp"
#include "core/metainfo/parse.hpp"
#include "core/text/printable.hpp"
#include "io/storage/disk_io.hpp"
#include "io/storage/safe_path.hpp"
#include "io/storage/whole_file.hpp"
#include "io/torrent/torrent.hpp"

namespace corrent::io {
namespace asio = boost::asio;

std::filesystem::path torrent::metadata_path() const {
  return options_.output_dir / ".corrent-parts" / (crypto::to_hex(info_hash()) + ".torrent");
}

void torrent::load_saved_metadata() {
  // Saved by an earlier run of the same magnet: its files are known without the network.
  const auto path = metadata_path();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(std::filesystem::symlink_status(path, ec))) return;
  metainfo::parse_limits limits;
  auto bytes = read_whole_file(path, limits.max_file_size);
  if (!bytes) return;
  auto t = metainfo::parse_torrent(*bytes, limits);
  if (!t || t->info_hash != info_hash()) {
    spdlog::warn("ignoring {}: not this torrent's metadata", text::printable(path.string()));
    return;
  }
  spdlog::info("metadata from {}", text::printable(path.string()));
  adopt_info(std::make_shared<metainfo::info>(static_cast<const metainfo::info&>(*t)));
}

void torrent::adopt_info(std::shared_ptr<const metainfo::info> info) {
  info_ = std::move(info);
  storage_ = std::make_unique<torrent_storage>(*info_, options_.output_dir, host_.disk().files(),
                                               options_.resume_file);
  have_ = swarm::bitfield(static_cast<std::size_t>(info_->num_pieces()));
  size_disk_side();
}

void torrent::on_metadata(std::string_view bytes) {
  if (info_) return;
  metainfo::parse_limits limits;
  auto parsed = metainfo::parse_info(bytes, limits);
  if (!parsed) {
    // It hashed right: the torrent itself is unusable (corrent's rules refuse it).
    fail("the torrent's metadata is not usable: " + parsed.error().message());
    return;
  }
  spdlog::info("metadata: {} ({} files, {} pieces)", text::printable(parsed->name),
               parsed->files.size(), parsed->num_pieces());
  adopt_info(std::make_shared<metainfo::info>(std::move(*parsed)));
  // Saved as a .torrent (the trackers of the magnet beside the `info`), crash-safe.
  std::string file;
  bencode::writer w(file);
  w.begin_dict();
  if (!params_.trackers.empty()) {
    w.key("announce-list").begin_list();
    for (const auto& tier : params_.trackers) {
      w.begin_list();
      for (const auto& url : tier) w.string(url);
      w.end();
    }
    w.end();
  }
  w.key("info").raw(info_->info_bytes).end();
  tasks_.spawn(after_metadata(std::move(file)));
}

asio::awaitable<void> torrent::after_metadata(std::string file) {
  auto self = shared_from_this();
  const auto out = options_.output_dir;
  const auto path = metadata_path();
  std::function<std::string()> save = [out, path, file = std::move(file)]() -> std::string {
    if (auto r = make_dirs_inside(out, ".corrent-parts"); !r) return r.error().message();
    if (auto r = replace_file_atomically(path, file); !r) return r.error().message();
    return {};
  };
  if (auto err = co_await host_.disk().run(std::move(save)); !err.empty()) {
    if (options_.metadata_only) {
      fail("cannot save the metadata to " + path.string() + ": " + err);
      co_return;
    }
    spdlog::warn("cannot save the metadata to {}: {}", text::printable(path.string()), err);
  }
  if (options_.metadata_only) {
    host_.on_torrent_done(*this);
    co_return;
  }
  // Now as for a .torrent: what is on disk, then download (or seed).
  set_state(torrent_state::checking);
  co_await check_files();
  if (!running_ || stopping_ || !logic_) co_return;
  if (!error_.empty()) {
    fail(error_);
    co_return;
  }
  checked_ = true;
  if (!complete_ && info_->piece_length > max_download_piece_length) {
    fail("piece length " + std::to_string(info_->piece_length >> 20) +
         " MiB is above the 32 MiB corrent downloads");
    co_return;
  }
  if (!complete_ && options_.seed_only) {
    fail("the data in " + options_.output_dir.string() + " is incomplete or missing (" +
         std::to_string(have_.count()) + " of " + std::to_string(info_->num_pieces()) +
         " pieces good): run `corrent download` to complete it");
    co_return;
  }
  logic_->set_info(*info_, have_);
  const double now = host_.now();
  if (complete_ && moved_) {
    storage_->use_final_location();
    logic_->set_seeding(true, now);
    set_state(torrent_state::seeding);
    if (!options_.seed && !options_.seed_only) host_.on_torrent_done(*this);
  } else {
    set_state(torrent_state::downloading);
  }
  logic_->on_tick(now);
  process();
  if (logic_->complete() && !moved_) {
    complete_ = true;
    tasks_.spawn(finish_download());
  }
}

}  // namespace corrent::io
