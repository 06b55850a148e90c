#include "core/swarm/errc.hpp"

#include <string>

namespace corrent::swarm {
namespace {

class category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "swarm"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::bad_bitfield_length:
        return "swarm: bitfield has the wrong length";
      case errc::bitfield_spare_bits:
        return "swarm: bitfield has spare bits set";
      case errc::piece_out_of_range:
        return "swarm: piece index out of range";
      case errc::block_out_of_range:
        return "swarm: block outside its piece";
    }
    return "swarm: unknown error";
  }
};

}  // namespace

const boost::system::error_category& category() noexcept {
  static const category_impl instance;
  return instance;
}

}  // namespace corrent::swarm
