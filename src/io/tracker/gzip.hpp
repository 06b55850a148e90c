// io::gunzip — decodes a gzip body (RFC 1952) that a tracker sent with
// Content-Encoding: gzip, with Beast's zlib inflater; output is capped (decompression
// bombs are refused like any oversized reply).
#pragma once

#include <string>
#include <string_view>

#include "core/error.hpp"

namespace corrent::io {

result<std::string> gunzip(std::string_view gz, std::size_t max_output);

}  // namespace corrent::io
