// How much of each file of a torrent is verified: the bytes of the verified pieces that fall
// in it (a piece spanning files counts in each), for the APIs' file lists.
#pragma once

#include <cstdint>
#include <vector>

#include "core/metainfo/info.hpp"
#include "core/swarm/bitfield.hpp"

namespace corrent::swarm {

// One entry per file of `t` (pad files included); `have` has one bit per piece.
std::vector<std::int64_t> file_bytes_done(const metainfo::info& t, const bitfield& have);

}  // namespace corrent::swarm
