#include "core/daemon/api_rules.hpp"

#include <algorithm>
#include <cctype>
#include <vector>

namespace corrent::daemon {

namespace {

// The components of an absolute path after resolving `.` and `..` (`..` at the root stays
// at the root, as the kernel does); nullopt when it is not absolute or holds a NUL.
std::optional<std::vector<std::string_view>> components(std::string_view path) {
  if (path.empty() || path.front() != '/' || path.find('\0') != std::string_view::npos) {
    return std::nullopt;
  }
  std::vector<std::string_view> out;
  std::size_t at = 0;
  while (at < path.size()) {
    const auto slash = path.find('/', at);
    const auto part = path.substr(at, slash == std::string_view::npos ? path.npos : slash - at);
    at = slash == std::string_view::npos ? path.size() : slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!out.empty()) out.pop_back();
      continue;
    }
    out.push_back(part);
  }
  return out;
}

std::string join(const std::vector<std::string_view>& parts) {
  if (parts.empty()) return "/";
  std::string out;
  for (const auto& p : parts) out.append("/").append(p);
  return out;
}

// `path` (absolute or relative to `root`) normalised, when it is below `root` (or `root`
// itself with `allow_root`).
std::optional<std::string> below(std::string_view root, std::string_view path, bool allow_root) {
  const auto base = components(root);
  if (!base) return std::nullopt;
  std::string full = path.empty() || path.front() != '/' ? std::string(root) + "/" : std::string();
  full.append(path);
  // A relative `..` must not climb above the root through it: resolve against the root.
  const auto parts = components(full);
  if (!parts || parts->size() < base->size()) return std::nullopt;
  if (!std::equal(base->begin(), base->end(), parts->begin())) return std::nullopt;
  if (parts->size() == base->size() && !allow_root) return std::nullopt;
  return join(*parts);
}

bool is_loopback_v4(std::string_view s) {
  int parts = 0;
  int first = -1;
  std::size_t i = 0;
  while (parts < 4) {
    if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    int v = 0, digits = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      v = v * 10 + (s[i++] - '0');
      if (++digits > 3 || v > 255) return false;
    }
    if (first < 0) first = v;
    ++parts;
    if (parts < 4) {
      if (i >= s.size() || s[i] != '.') return false;
      ++i;
    }
  }
  return i == s.size() && first == 127;
}

}  // namespace

std::optional<std::string> resolve_save_path(std::string_view download_dir,
                                             std::string_view asked) {
  if (asked.empty()) return std::string(download_dir);
  return below(download_dir, asked, true);
}

bool is_inside(std::string_view download_dir, std::string_view path) {
  if (path.empty() || path.front() != '/' || path.back() == '/') return false;
  return below(download_dir, path, false).has_value();
}

bool is_loopback_host(std::string_view host) {
  if (host.empty()) return true;
  if (host.front() == '[') {
    const auto close = host.find(']');
    if (close == std::string_view::npos) return false;
    const auto rest = host.substr(close + 1);
    return host.substr(1, close - 1) == "::1" && (rest.empty() || rest.front() == ':');
  }
  if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  std::string lower(host);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "localhost" || is_loopback_v4(lower);
}

bool is_same_origin(std::string_view origin, std::string_view host) {
  if (origin.empty()) return true;
  constexpr std::string_view scheme = "http://";
  return origin.size() == scheme.size() + host.size() &&
         origin.substr(0, scheme.size()) == scheme && origin.substr(scheme.size()) == host &&
         !host.empty();
}

std::string format_sse(const event& e) {
  std::string out = "id: " + std::to_string(e.id) + "\nevent: " + e.type + "\ndata: ";
  // A line break inside the data would end the field early: never send one.
  for (char c : e.data) out += (c == '\n' || c == '\r') ? ' ' : c;
  out += "\n\n";
  return out;
}

}  // namespace corrent::daemon
