// Fuzz target: resume::decode_resume against a fixed two-file, three-piece torrent.
// Property: an accepted resume file is a state for that torrent (info-hash, one bit per
// piece, one record per file), and encoding it decodes to the same state.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/metainfo/parse.hpp"
#include "core/resume/resume_state.hpp"

namespace {

// "root/a" (10 bytes) and "root/b" (30 bytes): 40 bytes in 3 pieces of 16. The seed
// corpus in fuzz/corpus/resume/ carries this torrent's info-hash.
const corrent::metainfo::torrent& fixed_torrent() {
  static const corrent::metainfo::torrent t = [] {
    const std::string bytes =
        "d4:infod5:filesld6:lengthi10e4:pathl1:aeed6:lengthi30e4:pathl1:beee"
        "4:name4:root12:piece lengthi16e6:pieces60:" +
        std::string(60, 'h') + "ee";
    auto parsed = corrent::metainfo::parse_torrent(bytes);
    if (!parsed) std::abort();
    return *parsed;
  }();
  return t;
}

bool same_state(const corrent::resume::resume_state& a, const corrent::resume::resume_state& b) {
  return a.info_hash == b.info_hash && a.verified == b.verified &&
         a.verified.count() == b.verified.count() && a.files == b.files &&
         a.downloaded == b.downloaded && a.uploaded == b.uploaded;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& t = fixed_torrent();
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto s = corrent::resume::decode_resume(in, t);
  if (!s) return 0;
  if (s->info_hash != t.info_hash) std::abort();
  if (s->verified.size() != static_cast<std::size_t>(t.num_pieces())) std::abort();
  if (s->files.size() != t.files.size()) std::abort();
  if (s->downloaded < 0 || s->uploaded < 0) std::abort();
  for (const auto& f : s->files) {
    if (f.size < 0) std::abort();
  }
  auto again = corrent::resume::decode_resume(corrent::resume::encode_resume(*s), t);
  if (!again || !same_state(*again, *s)) std::abort();
  return 0;
}
