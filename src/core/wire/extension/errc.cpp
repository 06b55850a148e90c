#include "core/wire/extension/errc.hpp"

#include <string>

#include "core/bencode/decode.hpp"

namespace corrent::wire::ext {
namespace {

class category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "wire.ext"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::payload_too_large:
        return "extension message: payload above the limit";
      case errc::not_a_dictionary:
        return "extension message: not a bencoded dictionary";
      case errc::missing_msg_type:
        return "ut_metadata: no msg_type";
      case errc::unknown_msg_type:
        return "ut_metadata: unknown msg_type";
      case errc::bad_piece:
        return "ut_metadata: missing or invalid piece";
      case errc::bad_total_size:
        return "ut_metadata: missing or invalid total_size";
      case errc::metadata_piece_too_large:
        return "ut_metadata: data longer than 16 KiB";
    }
    return "extension message: unknown error";
  }
};

}  // namespace

const boost::system::error_category& category() noexcept {
  static const category_impl instance;
  return instance;
}

namespace detail {

result<bencode::value> decode_dictionary(std::string_view payload, std::size_t& consumed) {
  if (payload.size() > max_payload_size) {
    return error{make_error_code(errc::payload_too_large), std::to_string(payload.size()) +
                                                               " bytes, the limit is " +
                                                               std::to_string(max_payload_size)};
  }
  bencode::decode_limits limits;
  limits.max_depth = max_payload_depth;
  limits.max_size = max_payload_size;
  limits.max_tokens = max_payload_size;  // never reached: every token takes 2 bytes or more
  limits.require_sorted_keys = false;
  auto root = bencode::decode_prefix(payload, consumed, limits);
  if (!root) {
    return error{make_error_code(errc::not_a_dictionary),
                 "not bencode (" + root.error().message() + ")"};
  }
  if (!root->is_dict()) {
    return error{make_error_code(errc::not_a_dictionary), "the payload is not a dictionary"};
  }
  return root;
}

}  // namespace detail

}  // namespace corrent::wire::ext
