// The daemon API's rules that keep a client inside its bounds, pure so they are unit-tested
// without sockets: where a torrent may be saved, which file an add may read, which Host and
// Origin headers are ours, and the Server-Sent Events framing.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/daemon/event_log.hpp"

namespace corrent::daemon {

// The save path an add asks for (absolute, or relative to `download_dir`), normalised, when
// it is `download_dir` itself or below it; nullopt otherwise (`..` that climbs out, another
// absolute path, a NUL byte). Empty asks for `download_dir`. Lexical only: the daemon
// creates what is missing, and a symlink planted inside the download directory is the
// owner's own doing.
// Paths are POSIX strings; `download_dir` is absolute and normalised (no trailing '/').
std::optional<std::string> resolve_save_path(std::string_view download_dir, std::string_view asked);

// A file an add names by path: absolute and strictly below `download_dir`.
bool is_inside(std::string_view download_dir, std::string_view path);

// The Host header names a loopback address (127.0.0.0/8, [::1]) or `localhost`, with or
// without a port. Empty (HTTP/1.0) passes.
bool is_loopback_host(std::string_view host);

// A request that changes something: no Origin (not a browser), or exactly http://HOST.
bool is_same_origin(std::string_view origin, std::string_view host);

// One event as Server-Sent Events: "id: N\nevent: TYPE\ndata: DATA\n\n" (DATA is one line).
std::string format_sse(const event& e);

}  // namespace corrent::daemon
