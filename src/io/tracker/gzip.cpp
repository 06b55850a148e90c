#include "io/tracker/gzip.hpp"

#include <boost/beast/zlib/inflate_stream.hpp>

namespace corrent::io {
namespace zlib = boost::beast::zlib;

namespace {
error gzip_error(std::string detail) {
  return error{make_error_code(boost::system::errc::illegal_byte_sequence),
               "gzip: " + std::move(detail)};
}
}  // namespace

result<std::string> gunzip(std::string_view gz, std::size_t max_output) {
  // Header: 1f 8b, method 8 (deflate), flags, mtime(4), xfl, os, then optional fields.
  if (gz.size() < 18 || static_cast<unsigned char>(gz[0]) != 0x1f ||
      static_cast<unsigned char>(gz[1]) != 0x8b || gz[2] != 8) {
    return gzip_error("not a gzip stream");
  }
  const auto flags = static_cast<unsigned char>(gz[3]);
  std::size_t pos = 10;
  if (flags & 0x04) {  // FEXTRA
    if (pos + 2 > gz.size()) return gzip_error("truncated header");
    pos += 2 + (static_cast<unsigned char>(gz[pos]) | static_cast<unsigned char>(gz[pos + 1]) << 8);
  }
  for (unsigned char bit : {0x08, 0x10}) {  // FNAME, FCOMMENT: zero-terminated
    if (!(flags & bit)) continue;
    const auto end = gz.find('\0', pos);
    if (end == std::string_view::npos) return gzip_error("truncated header");
    pos = end + 1;
  }
  if (flags & 0x02) pos += 2;  // FHCRC
  if (pos >= gz.size()) return gzip_error("truncated header");

  zlib::inflate_stream inflater;
  inflater.reset(15);  // raw deflate, 32 KiB window
  zlib::z_params zs;
  zs.next_in = gz.data() + pos;
  zs.avail_in = gz.size() - pos;
  std::string out;
  char chunk[16384];
  while (true) {
    zs.next_out = chunk;
    zs.avail_out = sizeof chunk;
    boost::system::error_code ec;
    inflater.write(zs, zlib::Flush::sync, ec);
    out.append(chunk, sizeof chunk - zs.avail_out);
    if (out.size() > max_output) return gzip_error("decoded body too large");
    if (ec == zlib::error::end_of_stream) break;
    if (ec) return gzip_error(ec.message());
    if (zs.avail_in == 0 && zs.avail_out != 0) return gzip_error("truncated stream");
  }
  return out;
}

}  // namespace corrent::io
