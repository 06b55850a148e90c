// Deciding which pieces on disk can be trusted: after an interruption (the parts
// directory and its resume file), or when the output directory already holds the files
// (another client's download, say). Nothing is trusted without reason: a piece counts as
// verified only when the resume file records it *and* every file it touches still has the
// size and mtime recorded at that checkpoint, or when its bytes hash correctly now.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/metainfo/info.hpp"
#include "core/resume/resume_state.hpp"
#include "core/swarm/bitfield.hpp"
#include "io/storage/piece_hasher.hpp"

namespace corrent::io {

// The torrent's files under `root` (root/<file path>), pad files as zeros.
std::vector<hash_source> hash_sources(const metainfo::info& t,
                                      const std::filesystem::path& root);

struct recheck_result {
  swarm::bitfield verified;
  std::int64_t trusted = 0;     // taken from the resume file without hashing
  std::int64_t hashed = 0;      // hashed now (verified or not)
  std::int64_t downloaded = 0;  // payload totals carried over from the resume file
  std::int64_t uploaded = 0;
  std::string note;  // why the resume file was not (fully) used, for the log
};

// `root` holds the files (a parts directory, or the output directory for existing data);
// `resume_file` may be missing. Pieces the resume file cannot vouch for are hashed when
// their bytes are on disk (sparse holes are skipped with SEEK_DATA), on all cores.
recheck_result recheck(const metainfo::info& t, const std::filesystem::path& root,
                       const std::optional<std::filesystem::path>& resume_file, unsigned threads);

// The state to write at a checkpoint: `verified` plus each file's current size and mtime.
resume::resume_state make_resume_state(const metainfo::info& t,
                                       const std::filesystem::path& root,
                                       const swarm::bitfield& verified, std::int64_t downloaded,
                                       std::int64_t uploaded);

}  // namespace corrent::io
