// Fuzz target: metainfo::parse_torrent and file_layout on what it accepts. Property:
// an accepted torrent satisfies torrent.hpp's invariants and every piece maps to spans
// that exactly cover it.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/metainfo/file_layout.hpp"
#include "core/metainfo/parse.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto t = corrent::metainfo::parse_torrent(in);
  if (!t) return 0;
  if (static_cast<std::int64_t>(t->piece_hashes.size()) != t->num_pieces() * 20) std::abort();
  corrent::metainfo::file_layout layout(*t);
  const std::int64_t n = std::min<std::int64_t>(t->num_pieces(), 64);
  for (std::int64_t p = 0; p < n; ++p) {
    std::int64_t covered = 0;
    for (const auto& s : layout.map_piece(p)) {
      if (s.length <= 0 || s.file_index >= t->files.size()) std::abort();
      covered += s.length;
    }
    if (covered != t->piece_size(p)) std::abort();
  }
  return 0;
}
