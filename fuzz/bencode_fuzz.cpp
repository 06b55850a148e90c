// Fuzz target: bencode::decode. Property: whatever decodes strictly re-encodes to the
// exact input bytes (round trip), and decoding never crashes or reads out of bounds.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/bencode/decode.hpp"
#include "core/bencode/encode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  corrent::bencode::decode_limits limits;
  limits.max_tokens = 100'000;
  auto v = corrent::bencode::decode(in, limits);
  if (v && corrent::bencode::encode(*v) != in) std::abort();
  limits.require_sorted_keys = false;
  std::size_t consumed = 0;
  (void)corrent::bencode::decode_prefix(in, consumed, limits);
  return 0;
}
