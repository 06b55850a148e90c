#include "core/metainfo/torrent.hpp"

#include <cstring>

namespace corrent::metainfo {

crypto::sha1_digest torrent::piece_hash(std::int64_t piece) const {
  crypto::sha1_digest d{};
  std::memcpy(d.data(), piece_hashes.data() + piece * 20, 20);
  return d;
}

}  // namespace corrent::metainfo
