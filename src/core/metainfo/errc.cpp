#include "core/metainfo/errc.hpp"

#include <string>

namespace corrent::metainfo {
namespace {

class category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "metainfo"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::not_a_dictionary:
        return "torrent: not a bencoded dictionary";
      case errc::missing_info:
        return "torrent: no info dictionary";
      case errc::missing_field:
        return "torrent: required field missing";
      case errc::wrong_type:
        return "torrent: field has the wrong type";
      case errc::invalid_piece_length:
        return "torrent: invalid piece length";
      case errc::invalid_pieces:
        return "torrent: pieces is not a multiple of 20 bytes";
      case errc::piece_count_mismatch:
        return "torrent: piece count does not match total length";
      case errc::invalid_length:
        return "torrent: invalid file length";
      case errc::invalid_path:
        return "torrent: unsafe or invalid file path";
      case errc::duplicate_path:
        return "torrent: two files share a path";
      case errc::too_many_pieces:
        return "torrent: too many pieces";
      case errc::too_many_files:
        return "torrent: too many files";
      case errc::path_too_deep:
        return "torrent: file path too deep";
      case errc::metadata_too_large:
        return "torrent: info dictionary too large";
      case errc::v2_not_supported:
        return "torrent: BitTorrent v2-only torrents are not supported yet";
      case errc::no_files:
        return "torrent: a multi-file torrent with no files";
      case errc::bad_magnet:
        return "invalid magnet link";
      case errc::magnet_v2_not_supported:
        return "BitTorrent v2 magnet links (btmh) are not supported yet";
    }
    return "torrent: unknown error";
  }
};

}  // namespace

const boost::system::error_category& category() noexcept {
  static const category_impl instance;
  return instance;
}

}  // namespace corrent::metainfo
