// io::serve_web — the daemon's web UI (src/io/rpc/web/: plain ES modules and one stylesheet,
// compiled into the binary): GET / is the page, GET /ui/NAME its files. Each reply has an
// ETag (If-None-Match gives 304), `Cache-Control: no-cache` and a strict
// Content-Security-Policy (only the daemon's own scripts, styles and API; no framing).
// The files are public; the API they call is not (see api_auth).
#pragma once

#include <filesystem>
#include <optional>

#include "io/rpc/http_server.hpp"

namespace corrent::io {

// The reply for a web UI path (GET or HEAD); nullopt when the path is not one. With a
// `root` (--web-root, for working on the UI) the files are read from there at each request.
std::optional<http_response> serve_web(const http_request& req,
                                       const std::filesystem::path& root = {});

}  // namespace corrent::io
