// Base64 (RFC 4648, standard alphabet, padded) for the daemon's API: .torrent bodies in
// JSON, HTTP Basic credentials. Decoding skips ASCII whitespace (line breaks), takes the
// padding as optional, and rejects anything else outside the alphabet.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace corrent::text {

std::optional<std::string> base64_decode(std::string_view s);
std::string base64_encode(std::string_view bytes);

}  // namespace corrent::text
