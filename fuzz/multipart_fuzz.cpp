// Fuzz target: text::multipart_boundary and text::parse_multipart (qBittorrent's
// torrents/add bodies) on arbitrary bytes. The first line of the input is the Content-Type,
// the rest the body. Properties: an accepted body yields parts whose data are substrings of
// the body, no more parts than allowed, and the same parts when parsed again.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/text/multipart.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace corrent::text;
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto nl = in.find('\n');
  const std::string_view type = in.substr(0, nl);
  const std::string_view body =
      nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  const auto boundary = multipart_boundary(type);
  const std::string b = boundary ? *boundary : std::string("b");
  if (boundary && (boundary->empty() || boundary->size() > 200)) std::abort();
  const auto parts = parse_multipart(body, b, 16);
  if (!parts) return 0;
  if (parts->size() > 16) std::abort();
  for (const auto& p : *parts) {
    if (p.data.size() > body.size() || body.find(p.data) == std::string_view::npos) std::abort();
  }
  const auto again = parse_multipart(body, b, 16);
  if (!again || again->size() != parts->size()) std::abort();
  for (std::size_t i = 0; i < parts->size(); ++i) {
    if ((*again)[i].name != (*parts)[i].name || (*again)[i].data != (*parts)[i].data) std::abort();
  }
  return 0;
}
