// Whole-file reads (bounded) and crash-safe whole-file replacement (write a temporary
// beside the target, fsync it, rename over the target, fsync the directory).
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace corrent::io {

result<std::string> read_whole_file(const std::filesystem::path& path, std::size_t max_size);

// The temporary has a unique name (`NAME.<random>.corrent-tmp`), created with O_EXCL and
// O_NOFOLLOW.
result<void> replace_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// Creates an empty file that must not exist yet (O_CREAT|O_EXCL|O_NOFOLLOW): fails with
// EEXIST rather than truncate or follow anything already at that name.
result<void> create_empty_file(const std::filesystem::path& path);

}  // namespace corrent::io
