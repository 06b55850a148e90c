// The rule that keeps every file of a torrent inside the output directory — on this
// machine, and on a Windows machine or SMB share the files are copied to later.
//
// A path component (and the torrent name) is refused when it is empty, "." or "..",
// contains '/' or NUL, is longer than 255 bytes, or starts with a Windows drive prefix
// ("C:" alone or "C:\..."). Because Windows also splits paths on '\', the same rules
// apply to the pieces of a component between backslashes: a component that starts with
// '\' (a rooted or UNC path there) or has a ".." piece ("..\..\x", "a\..\..\b") is
// refused too. A torrent with such a component is rejected as a whole
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
