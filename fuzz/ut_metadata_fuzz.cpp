// Fuzz target: wire::ext::decode_metadata (BEP 9 ut_metadata). Properties: no crash or
// out-of-bounds read; an accepted message honours its bounds (piece at most 2^31; data only
// in a data message, at most 16 KiB, the tail of the input, with a positive total_size);
// encoding it and decoding that gives the same message back.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/wire/extension/ut_metadata.hpp"

namespace ext = corrent::wire::ext;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  auto r = ext::decode_metadata(in);
  if (!r) return 0;
  const ext::metadata_message& m = *r;
  if (m.piece > ext::max_metadata_piece) std::abort();

  std::string again;
  switch (m.type) {
    case ext::metadata_msg_type::request:
    case ext::metadata_msg_type::reject:
      if (!m.data.empty() || m.total_size != 0) std::abort();
      again = m.type == ext::metadata_msg_type::request ? ext::encode_metadata_request(m.piece)
                                                        : ext::encode_metadata_reject(m.piece);
      break;
    case ext::metadata_msg_type::data:
      if (m.total_size <= 0 || m.data.size() > ext::metadata_piece_size) std::abort();
      // The data is the input's tail, viewed in place.
      if (m.data.data() + m.data.size() != in.data() + in.size()) std::abort();
      again = ext::encode_metadata_data(m.piece, m.total_size, m.data);
      break;
    default:
      std::abort();
  }
  auto back = ext::decode_metadata(again);
  if (!back || *back != m) std::abort();
  return 0;
}
