// Walking a torrent's relative paths under a directory without ever following a symbolic
// link that is already there: a planted link (DIR/name -> /etc) must not let a download
// create, write or move anything outside DIR.
#pragma once

#include <filesystem>

#include "core/error.hpp"

namespace corrent::io {

// Creates root/rel (each missing component as a directory). Fails with ELOOP naming the
// path when a component is a symbolic link, ENOTDIR when it is not a directory. `root`
// itself is the user's choice and may be anything that resolves to a directory.
result<void> make_dirs_inside(const std::filesystem::path& root, const std::filesystem::path& rel);

// Opens root/rel (`flags` as for open(2); O_CLOEXEC is added) without following a
// symbolic link anywhere below root and without leaving it: openat2(2) with
// RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS where the kernel has it (5.6+), else a walk of
// openat(O_NOFOLLOW) one component at a time. Closes the race of checking the directories
// once and opening by path later (a directory swapped for a link in between). Returns
// the descriptor, or the error (ELOOP / EXDEV for a link) naming root/rel.
result<int> open_beneath(const std::filesystem::path& root, const std::filesystem::path& rel,
                         int flags, unsigned mode = 0644);

// True when root/rel exists and neither it nor any component below root is a symbolic
// link (it may be a file or a directory).
bool exists_without_links(const std::filesystem::path& root, const std::filesystem::path& rel);

}  // namespace corrent::io
