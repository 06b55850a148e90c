// Fuzz target: wire::decode_handshake and wire::decoder (cap 64 KiB). The first input
// byte picks a chunk size, so one stream is fed in many different splits. Properties: no
// crash or out-of-bounds read; the split never changes which messages (or error) come
// out; a piece's length is its payload size; prepare() gives the space asked for; a
// decoded handshake re-encodes to the exact input bytes.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/wire/codec.hpp"

namespace {

using corrent::wire::decoder;
using corrent::wire::message;
using corrent::wire::message_type;

constexpr std::size_t max_message_length = 64 * 1024;

// Everything about a message, with its payload copied, in one string.
std::string describe(const message& m) {
  std::string s;
  for (std::uint32_t v : {std::uint32_t(m.type), m.piece, m.begin, m.length, std::uint32_t(m.port),
                          std::uint32_t(m.extended_id), std::uint32_t(m.raw_id)}) {
    s += std::to_string(v);
    s += ',';
  }
  s += m.payload;
  return s;
}

// Feeds `in` in chunks of `chunk` bytes through prepare/commit and returns what came out,
// ending with "error" when the decoder failed.
std::vector<std::string> decode_in_chunks(std::string_view in, std::size_t chunk) {
  decoder d(max_message_length);
  std::vector<std::string> out;
  for (std::size_t at = 0; at < in.size(); at += chunk) {
    const std::size_t n = std::min(chunk, in.size() - at);
    const auto space = d.prepare(n);
    if (space.size() < n) std::abort();
    std::memcpy(space.data(), in.data() + at, n);
    d.commit(n);
    for (;;) {
      auto r = d.next();
      if (!r) {
        out.emplace_back("error");
        return out;
      }
      if (!*r) break;
      const message& m = **r;
      if (m.type == message_type::piece && m.length != m.payload.size()) std::abort();
      out.push_back(describe(m));
    }
    if (d.buffered() > max_message_length + 4 + chunk) std::abort();
  }
  return out;
}

}  // namespace

// Input: one byte choosing the chunk size (1..256), then a peer's byte stream. When the
// stream opens with a valid handshake, the messages start after it, as on a connection.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = std::size_t{data[0]} + 1;
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (stream.size() >= corrent::wire::handshake_size) {
    const auto first = stream.substr(0, corrent::wire::handshake_size);
    if (auto h = corrent::wire::decode_handshake(first)) {
      const auto bytes = corrent::wire::encode_handshake(*h);
      if (std::string_view(bytes.data(), bytes.size()) != first) std::abort();
      stream.remove_prefix(corrent::wire::handshake_size);
    }
  }
  if (decode_in_chunks(stream, chunk) != decode_in_chunks(stream, stream.size() + 1)) {
    std::abort();
  }
  return 0;
}
