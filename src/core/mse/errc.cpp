#include "core/mse/errc.hpp"

#include <string>

namespace corrent::mse {
namespace {

class category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "mse"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::bad_public_key:
        return "MSE: invalid Diffie-Hellman public key";
      case errc::sync_not_found:
        return "MSE: synchronisation point not found within the allowed bytes";
      case errc::unknown_torrent:
        return "MSE: the peer asked for a torrent we do not have";
      case errc::bad_vc:
        return "MSE: bad verification constant";
      case errc::no_common_crypto:
        return "MSE: no encryption method in common";
      case errc::bad_crypto_select:
        return "MSE: the peer selected an encryption method we did not offer";
      case errc::bad_padding_length:
        return "MSE: padding longer than 512 bytes";
      case errc::payload_too_large:
        return "MSE: initial payload too large";
      case errc::finished:
        return "MSE: handshake already finished";
    }
    return "MSE: unknown error";
  }
};

}  // namespace

const boost::system::error_category& category() noexcept {
  static const category_impl instance;
  return instance;
}

}  // namespace corrent::mse
