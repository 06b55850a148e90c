// io::state_store — the daemon's state directory: its lock (one daemon per directory),
// the torrent list (`torrents.benc`, replaced crash-consistently on every change) and the
// metainfo of each torrent added from a .torrent (`torrents/<info-hash>.torrent`), and
// each torrent's resume data (`resume/<info-hash>.resume`).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/daemon/torrent_list.hpp"
#include "core/error.hpp"

namespace corrent::io {

class state_store {
 public:
  explicit state_store(std::filesystem::path dir) : dir_(std::move(dir)) {}
  ~state_store();
  state_store(const state_store&) = delete;
  state_store& operator=(const state_store&) = delete;

  // Creates the directory if needed and takes its lock (held until destruction). Fails
  // with a message naming the other daemon's pid when it is taken.
  result<void> open();
  const std::filesystem::path& dir() const { return dir_; }

  // The saved state (empty when there is none yet).
  result<daemon::saved_state> load() const;
  result<void> save(const daemon::saved_state& state) const;

  std::filesystem::path metainfo_path(const std::string& info_hash_hex) const;
  // A torrent's resume file (torrent_options::resume_file).
  std::filesystem::path resume_file_path(const std::string& info_hash_hex) const;
  result<void> save_metainfo(const std::string& info_hash_hex, std::string_view bytes) const;
  result<std::string> load_metainfo(const std::string& info_hash_hex) const;
  void remove_metainfo(const std::string& info_hash_hex) const;

 private:
  std::filesystem::path dir_;
  int lock_fd_ = -1;
};

}  // namespace corrent::io
