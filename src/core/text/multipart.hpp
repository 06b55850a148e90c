// multipart/form-data bodies (RFC 7578; qBittorrent's torrents/add sends its .torrent files
// and options this way): the boundary from the Content-Type header, then each part's name,
// file name, type and bytes. Malformed bodies (no closing boundary, a part without
// Content-Disposition, more than max_parts parts) are refused as a whole. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace corrent::text {

struct form_part {
  std::string name;
  std::string filename;      // empty for a plain field
  std::string content_type;  // empty when the part gave none
  std::string data;
};

// The boundary of a `multipart/form-data; boundary=...` Content-Type (quoted or not).
std::optional<std::string> multipart_boundary(std::string_view content_type);

std::optional<std::vector<form_part>> parse_multipart(std::string_view body,
                                                      std::string_view boundary,
                                                      std::size_t max_parts = 1000);

}  // namespace corrent::text
