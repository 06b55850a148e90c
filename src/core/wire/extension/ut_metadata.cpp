#include "core/wire/extension/ut_metadata.hpp"

#include "core/bencode/encode.hpp"

namespace corrent::wire::ext {
namespace {

using bencode::value;

error fail(errc e, std::string detail) {
  return error{make_error_code(e), std::move(detail)};
}

std::string encode_header(metadata_msg_type type, std::uint32_t piece,
                          std::int64_t total_size = 0) {
  std::string out;
  bencode::writer w(out);
  w.begin_dict();
  w.key("msg_type").integer(static_cast<std::int64_t>(type));
  w.key("piece").integer(piece);
  if (type == metadata_msg_type::data) w.key("total_size").integer(total_size);
  w.end();
  return out;
}

}  // namespace

std::string encode_metadata_request(std::uint32_t piece) {
  return encode_header(metadata_msg_type::request, piece);
}

std::string encode_metadata_reject(std::uint32_t piece) {
  return encode_header(metadata_msg_type::reject, piece);
}

std::string encode_metadata_data(std::uint32_t piece, std::int64_t total_size,
                                 std::string_view data) {
  std::string out = encode_header(metadata_msg_type::data, piece, total_size);
  out.append(data);
  return out;
}

result<metadata_message> decode_metadata(std::string_view payload) {
  std::size_t consumed = 0;
  auto root = detail::decode_dictionary(payload, consumed);
  if (!root) return root.error();
  const value& d = *root;

  metadata_message m;
  const value* type = d.find("msg_type");
  if (!type || !type->is_int()) return fail(errc::missing_msg_type, "no integer 'msg_type'");
  if (type->as_int() < 0 || type->as_int() > 2) {
    return fail(errc::unknown_msg_type, "msg_type " + std::to_string(type->as_int()));
  }
  m.type = static_cast<metadata_msg_type>(type->as_int());

  const value* piece = d.find("piece");
  if (!piece || !piece->is_int()) return fail(errc::bad_piece, "no integer 'piece'");
  if (piece->as_int() < 0 || piece->as_int() > std::int64_t{max_metadata_piece}) {
    return fail(errc::bad_piece, "piece " + std::to_string(piece->as_int()));
  }
  m.piece = static_cast<std::uint32_t>(piece->as_int());

  if (m.type != metadata_msg_type::data) return m;
  const value* total = d.find("total_size");
  if (!total || !total->is_int()) return fail(errc::bad_total_size, "no integer 'total_size'");
  if (total->as_int() <= 0) {
    return fail(errc::bad_total_size, "total_size " + std::to_string(total->as_int()));
  }
  m.total_size = total->as_int();
  m.data = payload.substr(consumed);
  if (m.data.size() > metadata_piece_size) {
    return fail(errc::metadata_piece_too_large, std::to_string(m.data.size()) + " bytes");
  }
  return m;
}

}  // namespace corrent::wire::ext
