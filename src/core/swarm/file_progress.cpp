#include "core/swarm/file_progress.hpp"

#include "core/metainfo/file_layout.hpp"

namespace corrent::swarm {

std::vector<std::int64_t> file_bytes_done(const metainfo::info& t, const bitfield& have) {
  std::vector<std::int64_t> out(t.files.size(), 0);
  if (have.size() != static_cast<std::size_t>(t.num_pieces())) return out;
  const metainfo::file_layout layout(t);
  for (std::size_t p = 0; p < have.size(); ++p) {
    if (!have.test(p)) continue;
    const auto piece = static_cast<std::int64_t>(p);
    layout.for_each_span(piece * t.piece_length, t.piece_size(piece),
                         [&](const metainfo::file_span& s) { out[s.file_index] += s.length; });
  }
  return out;
}

}  // namespace corrent::swarm
