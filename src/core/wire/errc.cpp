#include "core/wire/errc.hpp"

#include <string>

namespace corrent::wire {
namespace {

class category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "wire"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::bad_protocol_string:
        return "peer wire: handshake is not 19 \"BitTorrent protocol\"";
      case errc::message_too_large:
        return "peer wire: message length above the limit";
      case errc::bad_message_length:
        return "peer wire: message length does not fit its id";
    }
    return "peer wire: unknown error";
  }
};

}  // namespace

const boost::system::error_category& category() noexcept {
  static const category_impl instance;
  return instance;
}

}  // namespace corrent::wire
