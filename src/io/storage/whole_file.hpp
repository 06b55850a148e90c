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

result<void> replace_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace corrent::io
