#include "core/metainfo/path_rules.hpp"

namespace corrent::metainfo {

std::optional<std::string_view> unsafe_component_reason(std::string_view c) {
  if (c.empty()) return "empty path component";
  if (c == "." || c == "..") return "'.' or '..' path component";
  if (c.find('/') != std::string_view::npos) return "'/' inside a path component";
  if (c.find('\0') != std::string_view::npos) return "NUL byte inside a path component";
  if (c.size() > 255) return "path component longer than 255 bytes";
  const bool letter = (c[0] >= 'A' && c[0] <= 'Z') || (c[0] >= 'a' && c[0] <= 'z');
  if (letter && c.size() >= 2 && c[1] == ':' && (c.size() == 2 || c[2] == '\\')) {
    return "Windows drive prefix in a path component";
  }
  // Windows splits on '\' too: "..\..\x" would climb out of the folder there.
  if (c[0] == '\\') return "path component starting with '\\' (a rooted path on Windows)";
  for (std::size_t start = 0; start <= c.size();) {
    std::size_t end = c.find('\\', start);
    if (end == std::string_view::npos) end = c.size();
    if (c.substr(start, end - start) == "..") return "'..' between backslashes in a path component";
    start = end + 1;
  }
  return std::nullopt;
}

}  // namespace corrent::metainfo
