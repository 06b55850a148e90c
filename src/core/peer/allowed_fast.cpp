#include "core/peer/allowed_fast.hpp"

#include <algorithm>
#include <string>

namespace corrent::peer {

std::vector<std::uint32_t> allowed_fast_set(const std::array<std::uint8_t, 4>& ipv4,
                                            const crypto::sha1_digest& info_hash,
                                            std::uint32_t num_pieces, std::size_t k) {
  std::vector<std::uint32_t> out;
  k = std::min<std::size_t>(k, num_pieces);
  if (k == 0) return out;
  // x = (ip & 0xffffff00) . info_hash; then x = SHA-1(x), four indices from each digest.
  std::string x(4 + info_hash.size(), '\0');
  x[0] = static_cast<char>(ipv4[0]);
  x[1] = static_cast<char>(ipv4[1]);
  x[2] = static_cast<char>(ipv4[2]);
  std::copy(info_hash.begin(), info_hash.end(), x.begin() + 4);
  while (out.size() < k) {
    const auto d = crypto::sha1(x);
    x.assign(reinterpret_cast<const char*>(d.data()), d.size());
    for (std::size_t i = 0; i < 5 && out.size() < k; ++i) {
      const std::uint32_t y = (std::uint32_t{d[4 * i]} << 24) |
                              (std::uint32_t{d[4 * i + 1]} << 16) |
                              (std::uint32_t{d[4 * i + 2]} << 8) | std::uint32_t{d[4 * i + 3]};
      const std::uint32_t index = y % num_pieces;
      if (std::find(out.begin(), out.end(), index) == out.end()) out.push_back(index);
    }
  }
  return out;
}

}  // namespace corrent::peer
