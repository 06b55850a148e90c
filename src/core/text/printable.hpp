// Text from strangers (torrent names and comments, file paths, tracker messages, client
// names) made safe to print on a terminal or in a log line.
#pragma once

#include <string>
#include <string_view>

namespace corrent::text {

// `s` with every character a terminal would act on instead of showing written as an escape:
// C0 controls (tab and newline included) and DEL as `\xNN`, C1 controls (U+0080..U+009F,
// which include the 8-bit CSI) and bidirectional overrides/isolates as `\u{NNNN}`, and
// bytes that are not UTF-8 as `\xNN`. A backslash is kept as it is. Everything else,
// including all other non-ASCII text, passes unchanged.
std::string printable(std::string_view s);

}  // namespace corrent::text
