// text::printable on arbitrary bytes: never crashes, and what it returns holds no byte a
// terminal acts on (C0, DEL, a C1 control encoded or bare) and is valid UTF-8.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/text/printable.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string out = corrent::text::printable(in);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    if (c < 0x20 || c == 0x7f) std::abort();
    if (c == 0xc2 && i + 1 < out.size()) {
      const auto d = static_cast<unsigned char>(out[i + 1]);
      if (d >= 0x80 && d <= 0x9f) std::abort();
    }
  }
  // Idempotent on its own output apart from backslashes, which it keeps: printing twice
  // must not find anything new to escape.
  if (corrent::text::printable(out) != out) std::abort();
  return 0;
}
