#include "core/dht/errc.hpp"

#include <string>

namespace corrent::dht {
namespace {

class category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "dht"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::datagram_too_large:
        return "KRPC: datagram above the size limit";
      case errc::not_a_dictionary:
        return "KRPC: not a bencoded dictionary";
      case errc::bad_transaction:
        return "KRPC: missing or invalid transaction id";
      case errc::bad_message_type:
        return "KRPC: missing or unknown message type";
      case errc::bad_query:
        return "KRPC: malformed query";
      case errc::bad_node_id:
        return "KRPC: missing or invalid node id";
      case errc::bad_argument:
        return "KRPC: missing or invalid query argument";
      case errc::bad_response:
        return "KRPC: malformed response";
    }
    return "KRPC: unknown error";
  }
};

}  // namespace

const boost::system::error_category& category() noexcept {
  static const category_impl instance;
  return instance;
}

}  // namespace corrent::dht
