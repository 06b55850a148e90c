#include "core/daemon/qbittorrent_rules.hpp"

#include <cctype>

namespace corrent::daemon::qbittorrent {

std::string state_of(std::string_view s, bool complete, double down_rate, double up_rate) {
  if (s == "error") return "error";
  if (s == "checking") return complete ? "checkingUP" : "checkingDL";
  if (s == "fetching_metadata") return "metaDL";
  if (s == "downloading") return down_rate >= 1 ? "downloading" : "stalledDL";
  if (s == "seeding") return up_rate >= 1 ? "uploading" : "stalledUP";
  if (s == "paused") return complete ? "pausedUP" : "pausedDL";
  if (s == "finished") return "pausedUP";
  return "unknown";
}

namespace {

bool one_of(std::string_view s, std::initializer_list<std::string_view> set) {
  for (auto x : set) {
    if (s == x) return true;
  }
  return false;
}

}  // namespace

std::optional<bool> passes(std::string_view filter, std::string_view state, double down_rate,
                           double up_rate) {
  const bool paused = one_of(state, {"pausedUP", "pausedDL"});
  const bool active = down_rate >= 1 || up_rate >= 1;
  if (filter.empty() || filter == "all") return true;
  if (filter == "downloading") {
    return one_of(state, {"downloading", "metaDL", "stalledDL", "checkingDL", "pausedDL",
                          "queuedDL", "forcedDL"});
  }
  if (filter == "seeding") {
    return one_of(state, {"uploading", "stalledUP", "checkingUP", "queuedUP", "forcedUP"});
  }
  if (filter == "completed") {
    return one_of(state,
                  {"uploading", "stalledUP", "checkingUP", "pausedUP", "queuedUP", "forcedUP"});
  }
  if (filter == "paused" || filter == "stopped") return paused;
  if (filter == "resumed" || filter == "running") return !paused;
  if (filter == "active") return active;
  if (filter == "inactive") return !active;
  if (filter == "stalled") return one_of(state, {"stalledUP", "stalledDL"});
  if (filter == "stalled_uploading") return state == "stalledUP";
  if (filter == "stalled_downloading") return state == "stalledDL";
  if (filter == "checking") return one_of(state, {"checkingUP", "checkingDL"});
  if (filter == "moving") return state == "moving";
  if (filter == "errored") return one_of(state, {"error", "missingFiles"});
  return std::nullopt;
}

std::int64_t eta(std::int64_t left, double down_rate) {
  if (left <= 0 || down_rate < 1) return max_eta;
  const auto s = static_cast<std::int64_t>(static_cast<double>(left) / down_rate);
  return s < max_eta ? s : max_eta;
}

double ratio(std::int64_t uploaded, std::int64_t downloaded) {
  if (downloaded <= 0) return uploaded > 0 ? max_ratio : 0;
  const double r = static_cast<double>(uploaded) / static_cast<double>(downloaded);
  return r < max_ratio ? r : max_ratio;
}

std::optional<std::vector<std::string>> parse_hashes(std::string_view arg) {
  if (arg == "all") return std::nullopt;
  std::vector<std::string> out;
  while (!arg.empty()) {
    const auto bar = arg.find('|');
    std::string h(arg.substr(0, bar));
    for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!h.empty()) out.push_back(std::move(h));
    if (bar == std::string_view::npos) break;
    arg.remove_prefix(bar + 1);
  }
  return out;
}

}  // namespace corrent::daemon::qbittorrent
