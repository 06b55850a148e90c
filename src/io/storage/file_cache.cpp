#include "io/storage/file_cache.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "io/storage/safe_path.hpp"

namespace corrent::io {

file_cache::~file_cache() {
  for (auto& [id, o] : owners_) {
    for (auto& [i, e] : o.open) ::close(e.fd);
  }
}

file_cache::owner_id file_cache::add_owner() {
  std::lock_guard lock(mu_);
  const auto id = next_owner_++;
  owners_[id];
  return id;
}

void file_cache::remove_owner(owner_id owner) {
  std::lock_guard lock(mu_);
  const auto it = owners_.find(owner);
  if (it == owners_.end()) return;
  for (auto& [i, e] : it->second.open) ::close(e.fd);
  open_ -= it->second.open.size();
  owners_.erase(it);
}

void file_cache::evict_one() {
  // A linear scan: only when the cache is full.
  owner_state* victim_owner = nullptr;
  std::map<std::size_t, entry>::iterator victim;
  for (auto& [id, o] : owners_) {
    for (auto it = o.open.begin(); it != o.open.end(); ++it) {
      if (it->second.users > 0) continue;
      if (!victim_owner || it->second.last_use < victim->second.last_use) {
        victim_owner = &o;
        victim = it;
      }
    }
  }
  if (!victim_owner) return;  // every descriptor in use: go over the cap for a moment
  if (victim->second.dirty) victim_owner->closed_dirty = true;
  ::close(victim->second.fd);
  victim_owner->open.erase(victim);
  --open_;
}

result<int> file_cache::acquire(owner_id owner, std::size_t file, const std::filesystem::path& root,
                                const std::filesystem::path& rel) {
  std::lock_guard lock(mu_);
  auto& o = owners_[owner];
  if (auto it = o.open.find(file); it != o.open.end()) {
    it->second.last_use = ++clock_;
    ++it->second.users;
    return it->second.fd;
  }
  if (open_ >= max_open_) evict_one();
  auto opened = open_beneath(root, rel, O_RDWR | O_CREAT);
  // The process is out of descriptors (peers, trackers): give one of ours back and retry.
  const auto out_of_fds = [](const result<int>& r) {
    return !r && (r.error().code.value() == EMFILE || r.error().code.value() == ENFILE);
  };
  for (int retry = 0; out_of_fds(opened) && retry < 4; ++retry) {
    const auto before = open_;
    evict_one();
    if (open_ == before) break;  // nothing of ours to give back
    opened = open_beneath(root, rel, O_RDWR | O_CREAT);
  }
  if (!opened) return opened.error();
  const int fd = *opened;
  o.open[file] = entry{fd, 1, ++clock_, false};
  ++open_;
  return fd;
}

void file_cache::release(owner_id owner, std::size_t file, bool wrote) {
  std::lock_guard lock(mu_);
  auto& o = owners_[owner];
  const auto it = o.open.find(file);
  if (it == o.open.end()) return;
  --it->second.users;
  if (wrote) it->second.dirty = true;
}

void file_cache::close_owner_files(owner_id owner) {
  std::lock_guard lock(mu_);
  auto& o = owners_[owner];
  for (auto it = o.open.begin(); it != o.open.end();) {
    if (it->second.users > 0) {
      ++it;
      continue;
    }
    if (it->second.dirty) o.closed_dirty = true;
    ::close(it->second.fd);
    it = o.open.erase(it);
    --open_;
  }
}

file_cache::sync_set file_cache::begin_sync(owner_id owner) {
  std::lock_guard lock(mu_);
  auto& o = owners_[owner];
  sync_set s;
  s.closed_dirty = o.closed_dirty;
  o.closed_dirty = false;
  for (auto& [i, e] : o.open) {
    if (!e.dirty) continue;
    // Cleared first: a write that lands during the flush marks the file dirty again.
    e.dirty = false;
    ++e.users;
    s.files.emplace_back(i, e.fd);
  }
  return s;
}

void file_cache::end_sync(owner_id owner, const sync_set& s,
                          const std::vector<std::size_t>& failed) {
  std::lock_guard lock(mu_);
  auto& o = owners_[owner];
  for (const auto& [i, fd] : s.files) {
    const auto it = o.open.find(i);
    if (it == o.open.end()) continue;
    --it->second.users;
  }
  for (const auto i : failed) {
    if (const auto it = o.open.find(i); it != o.open.end()) it->second.dirty = true;
  }
  if (!failed.empty() && s.closed_dirty) o.closed_dirty = true;
}

std::size_t file_cache::open_count() const {
  std::lock_guard lock(mu_);
  return open_;
}

}  // namespace corrent::io
