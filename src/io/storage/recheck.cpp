#include "io/storage/recheck.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <climits>

#include "core/metainfo/file_layout.hpp"
#include "io/storage/whole_file.hpp"

namespace corrent::io {
namespace fs = std::filesystem;

namespace {

struct file_stat {
  bool exists = false;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
};

file_stat stat_file(const fs::path& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return {};
  return {true, static_cast<std::int64_t>(st.st_size),
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

// The file's data extents [begin, end), found once with SEEK_DATA/SEEK_HOLE (one pair of
// calls per extent: asking per piece would rescan the file from each offset).
std::vector<std::pair<std::int64_t, std::int64_t>> data_extents(int fd, std::int64_t size) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  std::int64_t pos = 0;
  while (pos < size) {
    const off_t data = ::lseek(fd, pos, SEEK_DATA);
    if (data < 0) break;  // ENXIO: no more data
    off_t hole = ::lseek(fd, data, SEEK_HOLE);
    if (hole < 0) hole = size;
    out.emplace_back(data, hole);
    pos = hole;
  }
  return out;
}

bool has_data(const std::vector<std::pair<std::int64_t, std::int64_t>>& extents, std::int64_t off,
              std::int64_t len) {
  auto it = std::upper_bound(extents.begin(), extents.end(), std::make_pair(off, INT64_MAX));
  if (it == extents.begin()) return false;
  --it;
  return it->first <= off && it->second >= off + len;
}

}  // namespace

std::vector<hash_source> hash_sources(const metainfo::info& t, const fs::path& root) {
  std::vector<hash_source> out;
  out.reserve(t.files.size());
  for (const auto& f : t.files)
    out.push_back({root / f.path, f.length, f.pad || f.symlink, false, root, f.path});
  return out;
}

recheck_result recheck(const metainfo::info& t, const fs::path& root,
                       const std::optional<fs::path>& resume_file, unsigned threads) {
  const auto n = static_cast<std::size_t>(t.num_pieces());
  recheck_result out;
  out.verified = swarm::bitfield(n);

  std::optional<resume::resume_state> state;
  if (resume_file) {
    auto bytes = read_whole_file(*resume_file, 64 << 20);
    if (!bytes) {
      out.note = "no usable resume file (" + bytes.error().code.message() + ")";
    } else if (auto s = resume::decode_resume(*bytes, t); !s) {
      out.note = s.error().message();
    } else {
      state = std::move(*s);
      out.downloaded = state->downloaded;
      out.uploaded = state->uploaded;
    }
  }

  std::vector<file_stat> stats(t.files.size());
  std::vector<bool> trusted(t.files.size(), false);
  std::size_t changed = 0;
  for (std::size_t i = 0; i < t.files.size(); ++i) {
    const auto& f = t.files[i];
    if (f.pad || f.symlink) {
      trusted[i] = true;
      continue;
    }
    stats[i] = stat_file(root / f.path);
    if (state) {
      // A file still missing that was missing at the checkpoint (files are created by
      // their first write) is unchanged too: no verified piece has bytes in it.
      const auto& was = state->files[i];
      trusted[i] = stats[i].exists ? stats[i].size == was.size && stats[i].mtime_ns == was.mtime_ns
                                   : was.size == 0 && was.mtime_ns == 0;
      changed += trusted[i] ? 0 : 1;
    }
  }
  if (state && changed)
    out.note = std::to_string(changed) + " file(s) changed since the last checkpoint";

  // Pieces the resume file vouches for, and candidates to hash.
  const metainfo::file_layout layout(t);
  std::vector<std::optional<std::vector<std::pair<std::int64_t, std::int64_t>>>> extents(
      t.files.size());
  std::vector<bool> to_hash(n, false);
  std::int64_t candidates = 0;
  for (std::size_t p = 0; p < n; ++p) {
    bool all_trusted = true, on_disk = true;
    layout.for_each_span(
        static_cast<std::int64_t>(p) * t.piece_length, t.piece_size(static_cast<std::int64_t>(p)),
        [&](const metainfo::file_span& s) {
          const auto& f = t.files[s.file_index];
          all_trusted = all_trusted && trusted[s.file_index];
          if (!on_disk || f.pad || f.symlink) return;
          const auto& st = stats[s.file_index];
          if (!st.exists || st.size < s.file_offset + s.length) {
            on_disk = false;
            return;
          }
          auto& ext = extents[s.file_index];
          if (!ext) {
            ext.emplace();
            const int fd = ::open((root / f.path).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
            if (fd >= 0) {
              *ext = data_extents(fd, st.size);
              ::close(fd);
            }
          }
          on_disk = has_data(*ext, s.file_offset, s.length);
        });
    if (state && state->verified.test(p) && all_trusted && on_disk) {
      out.verified.set(p);
      ++out.trusted;
    } else if (on_disk) {
      to_hash[p] = true;
      ++candidates;
    }
  }

  if (candidates > 0) {
    auto hashed =
        hash_pieces(hash_sources(t, root), t.piece_length, threads, nullptr, {}, &to_hash);
    for (std::size_t p = 0; p < n; ++p) {
      if (!to_hash[p]) continue;
      ++out.hashed;
      if (hashed.readable[p] && std::string_view(hashed.digests).substr(p * 20, 20) ==
                                    crypto::as_bytes(t.piece_hash(static_cast<std::int64_t>(p)))) {
        out.verified.set(p);
      }
    }
  }
  return out;
}

resume::resume_state make_resume_state(const metainfo::info& t, const fs::path& root,
                                       const swarm::bitfield& verified, std::int64_t downloaded,
                                       std::int64_t uploaded) {
  resume::resume_state s;
  s.info_hash = t.info_hash;
  s.verified = verified;
  s.downloaded = downloaded;
  s.uploaded = uploaded;
  s.files.reserve(t.files.size());
  for (const auto& f : t.files) {
    if (f.pad || f.symlink) {
      s.files.push_back({});
      continue;
    }
    const auto st = stat_file(root / f.path);
    s.files.push_back({st.size, st.mtime_ns});
  }
  return s;
}

}  // namespace corrent::io
