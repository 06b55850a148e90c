// peer::allowed_fast_set — BEP 6's allowed-fast set: the pieces a peer at an IPv4 address
// may request while we choke it, derived from its /24 network and the info-hash (so a
// peer cannot get more by reconnecting from next door, and every client computes the
// same set). Pure.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "core/crypto/sha1.hpp"

namespace corrent::peer {

// `k` distinct piece indices (fewer when the torrent has fewer pieces), in BEP 6's order.
std::vector<std::uint32_t> allowed_fast_set(const std::array<std::uint8_t, 4>& ipv4,
                                            const crypto::sha1_digest& info_hash,
                                            std::uint32_t num_pieces, std::size_t k);

}  // namespace corrent::peer
