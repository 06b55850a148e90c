// metainfo::parse_torrent — .torrent bytes to a validated torrent (see torrent.hpp); the
// `info` inside is checked by the same rules as parse_info (info.hpp).
#pragma once

#include <cstdint>
#include <string_view>

#include "core/error.hpp"
#include "core/metainfo/errc.hpp"
#include "core/metainfo/torrent.hpp"

namespace corrent::metainfo {

result<torrent> parse_torrent(std::string_view bytes, const parse_limits& limits = {});

}  // namespace corrent::metainfo
