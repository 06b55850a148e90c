// Fuzz target: wire::ext::decode_handshake (BEP 10 extended handshake). Properties: no
// crash or out-of-bounds read; an accepted handshake honours its bounds (m entries
// nonzero, unique and at most 256, v at most 256 bytes, p nonzero, reqq in [1, 100000],
// metadata_size positive, yourip 0, 4 or 16 bytes); encoding it and decoding that gives
// the same handshake back.
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>

#include "core/wire/extension/handshake.hpp"

namespace ext = corrent::wire::ext;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = ext::decode_handshake(in);
  if (!r) return 0;
  const ext::handshake& h = *r;
  if (h.m.size() > ext::max_handshake_m_entries) std::abort();
  std::set<std::string> names;
  for (const auto& [name, id] : h.m) {
    if (id == 0 || !names.insert(name).second || h.id_of(name) != id) std::abort();
  }
  if (h.v.size() > ext::max_handshake_v_size) std::abort();
  if (h.p && *h.p == 0) std::abort();
  if (h.reqq && (*h.reqq < ext::min_handshake_reqq || *h.reqq > ext::max_handshake_reqq)) {
    std::abort();
  }
  if (h.metadata_size && *h.metadata_size <= 0) std::abort();
  if (!h.yourip.empty() && h.yourip.size() != 4 && h.yourip.size() != 16) std::abort();

  const std::string again = ext::encode_handshake(h);
  auto back = ext::decode_handshake(again);
  if (!back || *back != h) std::abort();
  return 0;
}
