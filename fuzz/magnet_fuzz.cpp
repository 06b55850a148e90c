// Fuzz target: metainfo::parse_magnet on arbitrary text. Properties: an accepted link
// respects the bounds of magnet.hpp (one URL per tier, no duplicates, no space or control
// character in a URL, numeric usable peers), and writing it back with make_magnet and
// parsing that again gives the same info-hash, name, trackers and web seeds.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/metainfo/magnet.hpp"

namespace {

bool clean_url(const std::string& url) {
  if (url.empty() || url.size() > corrent::metainfo::max_magnet_value) return false;
  for (char ch : url) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace corrent::metainfo;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const bool magnet = is_magnet(in);
  auto p = parse_magnet(in);
  if (!p) {
    if (p.error().code != errc::bad_magnet && p.error().code != errc::magnet_v2_not_supported) {
      std::abort();
    }
    return 0;
  }
  if (!magnet || in.size() > max_magnet_size) std::abort();
  if (p->trackers.size() > max_magnet_trackers || p->url_list.size() > max_magnet_web_seeds ||
      p->peers.size() > max_magnet_peers || p->name.size() > max_magnet_value) {
    std::abort();
  }
  for (std::size_t i = 0; i < p->trackers.size(); ++i) {
    if (p->trackers[i].size() != 1 || !clean_url(p->trackers[i][0])) std::abort();
    for (std::size_t j = 0; j < i; ++j) {
      if (p->trackers[j][0] == p->trackers[i][0]) std::abort();
    }
  }
  for (const auto& url : p->url_list) {
    if (!clean_url(url)) std::abort();
  }
  for (const auto& peer : p->peers) {
    if (!peer.is_usable()) std::abort();
  }

  const std::string again = make_magnet(p->info_hash, p->name, p->trackers, p->url_list);
  auto q = parse_magnet(again);
  // Within the size bound, the written link must parse to the same fields.
  if (again.size() <= max_magnet_size) {
    if (!q) std::abort();
    if (q->info_hash != p->info_hash || q->name != p->name || q->trackers != p->trackers ||
        q->url_list != p->url_list || !q->peers.empty()) {
      std::abort();
    }
  }
  return 0;
}
