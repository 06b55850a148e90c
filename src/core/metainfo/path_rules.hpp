// The rule that keeps every file of a torrent inside the output directory.
//
// A path component (and the torrent name) is refused when it is empty, "." or "..",
// contains '/' or NUL, is longer than 255 bytes, or starts with a Windows drive prefix
// ("C:" alone or "C:\..."). A torrent with such a component is rejected as a whole
// (errc::invalid_path); corrent never rewrites names, so what is on disk is what the
// torrent says. Two files whose paths are equal, or where one file's path is a directory
// of another, are rejected too (errc::duplicate_path). BEP 47 pad files are exempt from
// the uniqueness rule because they are never written.
#pragma once

#include <optional>
#include <string_view>

namespace corrent::metainfo {

// Why `component` is unsafe, or nullopt when it is fine.
std::optional<std::string_view> unsafe_component_reason(std::string_view component);

}  // namespace corrent::metainfo
