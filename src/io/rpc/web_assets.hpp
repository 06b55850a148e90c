// The web UI's files (src/io/rpc/web/), compiled into the binary by cmake/embed_web.cmake.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace corrent::io {

struct web_asset {
  std::string_view name;  // "index.html", "app.js", ...
  const char* data;
  std::size_t size;
};

const std::vector<web_asset>& web_assets();

}  // namespace corrent::io
