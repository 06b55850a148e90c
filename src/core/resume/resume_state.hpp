// resume::resume_state — what a download had verified when it last checkpointed, stored
// as bencode beside the parts (the resume file). A piece is only ever recorded after its
// data was written and flushed, and each file's size and mtime are recorded so that a file
// changed behind our back is noticed (its pieces are then re-hashed, never trusted).
//
// Keys in sorted order (strict bencode); `checksum`, the SHA-1 of the same dictionary
// without it, comes first, so a flipped bit or torn write is caught, not trusted:
//   d 8:checksum20:<sha1> 10:downloadedi<n>e 5:filesl d5:mtimei<ns>e4:sizei<bytes>ee ... e
//   9:info-hash20:<raw>
//     6:piecesi<count>e 8:uploadedi<n>e 8:verified<bitfield bytes> 7:versioni1e e
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto/sha1.hpp"
#include "core/error.hpp"
#include "core/metainfo/info.hpp"
#include "core/resume/errc.hpp"
#include "core/swarm/bitfield.hpp"

namespace corrent::resume {

struct file_record {
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  friend bool operator==(const file_record&, const file_record&) = default;
};

struct resume_state {
  crypto::sha1_digest info_hash{};
  swarm::bitfield verified;        // one bit per piece
  std::vector<file_record> files;  // one per torrent file, in torrent order
  std::int64_t downloaded = 0;     // payload totals, for ratio across runs
  std::int64_t uploaded = 0;
};

std::string encode_resume(const resume_state& s);

// Decodes and checks against the torrent being resumed (info-hash, piece and file counts).
result<resume_state> decode_resume(std::string_view bytes, const metainfo::info& t);

}  // namespace corrent::resume
