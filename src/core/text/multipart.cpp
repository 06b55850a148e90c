#include "core/text/multipart.hpp"

#include <cctype>

namespace corrent::text {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of parameter `key` in "form-data; name="x"; filename="y"" (quoted or token).
std::optional<std::string> param(std::string_view header, std::string_view key) {
  std::size_t at = header.find(';');
  while (at != std::string_view::npos) {
    std::string_view rest = trim(header.substr(at + 1));
    const auto eq = rest.find('=');
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string name = lower(trim(rest.substr(0, eq)));
    std::string_view v = rest.substr(eq + 1);
    std::string value;
    std::size_t used = 0;
    if (!v.empty() && v.front() == '"') {
      std::size_t i = 1;
      for (; i < v.size() && v[i] != '"'; ++i) {
        if (v[i] == '\\' && i + 1 < v.size()) ++i;
        value += v[i];
      }
      if (i >= v.size()) return std::nullopt;  // unterminated quote
      used = i + 1;
    } else {
      used = v.find(';');
      if (used == std::string_view::npos) used = v.size();
      value = std::string(trim(v.substr(0, used)));
    }
    if (name == key) return value;
    const auto next = v.find(';', used);
    at = next == std::string_view::npos ? std::string_view::npos
                                        : static_cast<std::size_t>(v.data() + next - header.data());
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  const auto semi = content_type.find(';');
  if (lower(trim(content_type.substr(0, semi))) != "multipart/form-data") return std::nullopt;
  auto b = param(content_type, "boundary");
  if (!b || b->empty() || b->size() > 200) return std::nullopt;
  return b;
}

std::optional<std::vector<form_part>> parse_multipart(std::string_view body,
                                                      std::string_view boundary,
                                                      std::size_t max_parts) {
  const std::string delim = "--" + std::string(boundary);
  // The first delimiter: at the start, or after a preamble ending in CRLF.
  std::size_t pos = 0;
  if (body.substr(0, delim.size()) != delim) {
    pos = body.find("\r\n" + delim);
    if (pos == std::string_view::npos) return std::nullopt;
    pos += 2;
  }
  const std::string next_delim = "\r\n" + delim;
  std::vector<form_part> parts;
  for (;;) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") return parts;  // the closing delimiter
    // Transport padding, then CRLF.
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != "\r\n") return std::nullopt;
    pos += 2;
    const auto head_end = body.find("\r\n\r\n", pos);
    if (head_end == std::string_view::npos) return std::nullopt;
    form_part part;
    bool disposition = false;
    std::string_view headers = body.substr(pos, head_end - pos);
    while (!headers.empty()) {
      const auto eol = headers.find("\r\n");
      const std::string_view line = headers.substr(0, eol);
      headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
      const auto colon = line.find(':');
      if (colon == std::string_view::npos) return std::nullopt;
      const std::string name = lower(trim(line.substr(0, colon)));
      const std::string_view value = trim(line.substr(colon + 1));
      if (name == "content-disposition") {
        const auto semi = value.find(';');
        if (lower(trim(value.substr(0, semi))) != "form-data") return std::nullopt;
        auto n = param(value, "name");
        if (!n) return std::nullopt;
        part.name = std::move(*n);
        part.filename = param(value, "filename").value_or("");
        disposition = true;
      } else if (name == "content-type") {
        part.content_type = std::string(value);
      }
    }
    if (!disposition) return std::nullopt;
    const auto data_start = head_end + 4;
    const auto end = body.find(next_delim, data_start);
    if (end == std::string_view::npos) return std::nullopt;
    part.data = std::string(body.substr(data_start, end - data_start));
    parts.push_back(std::move(part));
    if (parts.size() > max_parts) return std::nullopt;
    pos = end + 2;  // at the delimiter
  }
}

}  // namespace corrent::text
