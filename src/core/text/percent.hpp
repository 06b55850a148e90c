// RFC 3986 percent-encoding: tracker query strings (info-hash, peer id) and magnet links.
#pragma once

#include <string>
#include <string_view>

namespace corrent::text {

// Appends `bytes` with every byte that is not an RFC 3986 unreserved character
// (A-Z a-z 0-9 - . _ ~) written as %XX (upper-case hex).
void append_percent_encoded(std::string& out, std::string_view bytes);

}  // namespace corrent::text
