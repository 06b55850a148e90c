#include "core/daemon/transmission_rules.hpp"

#include <algorithm>

namespace corrent::daemon::transmission {

status status_of(std::string_view state) {
  if (state == "checking") return status::checking;
  if (state == "downloading" || state == "fetching_metadata") return status::downloading;
  if (state == "seeding") return status::seeding;
  return status::stopped;  // paused, finished, error
}

std::int64_t eta(std::int64_t left, double down_rate, bool downloading) {
  if (left <= 0 || !downloading) return -1;
  if (down_rate < 1) return -2;
  return static_cast<std::int64_t>(static_cast<double>(left) / down_rate);
}

double ratio(std::int64_t uploaded, std::int64_t downloaded, std::int64_t have_valid) {
  const std::int64_t base = downloaded > 0 ? downloaded : have_valid;
  if (base > 0) return static_cast<double>(uploaded) / static_cast<double>(base);
  return uploaded > 0 ? -2.0 : -1.0;
}

std::string flag_str(const peer_flags& f) {
  std::string s;
  if (f.am_interested && !f.peer_choking) {
    s += 'D';
  } else if (f.am_interested) {
    s += 'd';
  }
  if (!f.am_interested && !f.peer_choking) s += 'K';
  if (f.peer_interested && !f.am_choking) {
    s += 'U';
  } else if (f.peer_interested) {
    s += 'u';
  }
  if (!f.am_choking && !f.peer_interested) s += '?';
  if (f.encrypted) s += 'E';
  if (f.from_dht) s += 'H';
  if (f.from_pex) s += 'X';
  if (f.incoming) s += 'I';
  return s;
}

std::int64_t id_map::id_of(const std::string& info_hash) {
  const auto [it, fresh] = ids_.try_emplace(info_hash, next_);
  if (fresh) {
    hashes_[next_] = info_hash;
    ++next_;
  }
  return it->second;
}

std::optional<std::string> id_map::hash_of(std::int64_t id) const {
  const auto it = hashes_.find(id);
  if (it == hashes_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::int64_t> id_map::find(const std::string& info_hash) const {
  const auto it = ids_.find(info_hash);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

void id_map::on_removed(const std::string& info_hash, double now) {
  const auto it = ids_.find(info_hash);
  if (it == ids_.end()) return;
  removed_.emplace_back(now, it->second);
  if (removed_.size() > 1024) removed_.erase(removed_.begin());
  // A torrent added again later gets a new id, as in Transmission.
  hashes_.erase(it->second);
  ids_.erase(it);
}

std::vector<std::int64_t> id_map::removed_since(double since) const {
  std::vector<std::int64_t> out;
  for (const auto& [when, id] : removed_) {
    if (when >= since) out.push_back(id);
  }
  return out;
}

bool id_selection::selects(std::int64_t id, const std::string& info_hash) const {
  if (all) return true;
  return std::find(ids.begin(), ids.end(), id) != ids.end() ||
         std::find(hashes.begin(), hashes.end(), info_hash) != hashes.end();
}

}  // namespace corrent::daemon::transmission
