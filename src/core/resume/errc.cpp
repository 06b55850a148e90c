#include "core/resume/errc.hpp"

#include <string>

namespace corrent::resume {
namespace {

class category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "resume"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::not_a_dictionary:
        return "resume file: not a bencoded dictionary";
      case errc::unsupported_version:
        return "resume file: unsupported version";
      case errc::wrong_torrent:
        return "resume file: belongs to another torrent";
      case errc::bad_field:
        return "resume file: missing or invalid field";
      case errc::file_count_mismatch:
        return "resume file: file count does not match the torrent";
      case errc::bad_bitfield:
        return "resume file: invalid verified-pieces bitfield";
      case errc::bad_checksum:
        return "resume file: checksum mismatch (corrupted)";
    }
    return "resume file: unknown error";
  }
};

}  // namespace

const boost::system::error_category& category() noexcept {
  static const category_impl instance;
  return instance;
}

}  // namespace corrent::resume
