#include "core/tracker/errc.hpp"

#include <string>

namespace corrent::tracker {
namespace {

class category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "tracker"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::not_a_dictionary:
        return "tracker: the reply is not a bencoded dictionary";
      case errc::body_too_large:
        return "tracker: the reply is too large";
      case errc::bad_peers:
        return "tracker: malformed peer list";
      case errc::missing_field:
        return "tracker: the reply lacks a required field";
      case errc::bad_packet:
        return "tracker: malformed UDP packet";
      case errc::not_in_scrape:
        return "tracker: the scrape reply lacks our info-hash";
      case errc::tracker_error:
        return "tracker: the tracker reported an error";
    }
    return "tracker: unknown error";
  }
};

}  // namespace

const boost::system::error_category& category() noexcept {
  static const category_impl instance;
  return instance;
}

}  // namespace corrent::tracker
