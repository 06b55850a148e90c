#include "core/swarm/smart_ban.hpp"

#include <algorithm>

namespace corrent::swarm {

std::vector<crypto::sha1_digest> block_digests(std::string_view piece_data) {
  constexpr std::size_t block = 16 * 1024;
  std::vector<crypto::sha1_digest> out;
  out.reserve((piece_data.size() + block - 1) / block);
  for (std::size_t at = 0; at < piece_data.size(); at += block) {
    out.push_back(crypto::sha1(piece_data.substr(at, block)));
  }
  return out;
}

void smart_ban::on_piece_failed(std::uint32_t piece,
                                std::span<const std::optional<net::peer_address>> senders,
                                std::span<const crypto::sha1_digest> digests) {
  if (max_pieces_ == 0) return;
  auto [it, inserted] = records_.try_emplace(piece);
  if (inserted) {
    order_.push_back(piece);
    while (records_.size() > max_pieces_) {
      records_.erase(order_.front());
      order_.pop_front();
    }
  }
  auto& rec = it->second;
  const std::size_t n = std::min(senders.size(), digests.size());
  for (std::size_t i = 0; i < n && rec.size() < max_records_per_piece; ++i) {
    if (!senders[i]) continue;
    const auto block = static_cast<std::uint32_t>(i);
    const auto [first, last] = rec.equal_range(block);
    const bool seen = std::any_of(first, last, [&](const auto& r) {
      return r.second.sender == *senders[i] && r.second.digest == digests[i];
    });
    if (!seen) rec.emplace_hint(last, block, entry{*senders[i], digests[i]});
  }
}

std::vector<net::peer_address> smart_ban::on_piece_verified(
    std::uint32_t piece, std::span<const crypto::sha1_digest> good) {
  std::vector<net::peer_address> bad;
  const auto it = records_.find(piece);
  if (it == records_.end()) return bad;
  for (const auto& [block, e] : it->second) {
    if (block >= good.size() || e.digest == good[block]) continue;
    if (std::find(bad.begin(), bad.end(), e.sender) == bad.end()) bad.push_back(e.sender);
  }
  records_.erase(it);
  order_.erase(std::find(order_.begin(), order_.end(), piece));
  std::sort(bad.begin(), bad.end());
  return bad;
}

}  // namespace corrent::swarm
