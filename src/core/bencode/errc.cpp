#include "core/bencode/errc.hpp"

#include <string>

namespace corrent::bencode {
namespace {

class category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "bencode"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::unexpected_end:
        return "bencode: unexpected end of input";
      case errc::unexpected_byte:
        return "bencode: unexpected byte";
      case errc::invalid_integer:
        return "bencode: invalid integer";
      case errc::leading_zero:
        return "bencode: number with a leading zero";
      case errc::negative_zero:
        return "bencode: negative zero";
      case errc::integer_overflow:
        return "bencode: integer does not fit in 64 bits";
      case errc::invalid_string_length:
        return "bencode: invalid string length";
      case errc::string_out_of_bounds:
        return "bencode: string runs past the end of input";
      case errc::key_not_string:
        return "bencode: dictionary key is not a string";
      case errc::unsorted_keys:
        return "bencode: dictionary keys are not sorted";
      case errc::duplicate_key:
        return "bencode: duplicate dictionary key";
      case errc::trailing_bytes:
        return "bencode: trailing bytes after the value";
      case errc::depth_exceeded:
        return "bencode: nesting too deep";
      case errc::token_limit_exceeded:
        return "bencode: too many values";
      case errc::input_too_large:
        return "bencode: input too large";
    }
    return "bencode: unknown error";
  }
};

}  // namespace

const boost::system::error_category& category() noexcept {
  static const category_impl instance;
  return instance;
}

}  // namespace corrent::bencode
