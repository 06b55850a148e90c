#include "core/metainfo/build.hpp"

#include "core/bencode/encode.hpp"

namespace corrent::metainfo {

std::string build_torrent(const build_input& in) {
  std::string out;
  out.reserve(in.piece_hashes.size() + 256 + in.files.size() * 64);
  bencode::writer w(out);
  w.begin_dict();  // keys in sorted order
  if (!in.tracker_tiers.empty() && !in.tracker_tiers.front().empty()) {
    w.key("announce").string(in.tracker_tiers.front().front());
    std::size_t urls = 0;
    for (const auto& tier : in.tracker_tiers) urls += tier.size();
    if (urls > 1) {
      w.key("announce-list").begin_list();
      for (const auto& tier : in.tracker_tiers) {
        w.begin_list();
        for (const auto& url : tier) w.string(url);
        w.end();
      }
      w.end();
    }
  }
  if (!in.comment.empty()) w.key("comment").string(in.comment);
  if (!in.created_by.empty()) w.key("created by").string(in.created_by);
  if (in.creation_date) w.key("creation date").integer(*in.creation_date);
  w.key("info").begin_dict();
  if (in.multi_file) {
    w.key("files").begin_list();
    for (const auto& f : in.files) {
      w.begin_dict();
      if (f.executable) w.key("attr").string("x");
      w.key("length").integer(f.length);
      w.key("path").begin_list();
      for (const auto& c : f.path) w.string(c);
      w.end();
      w.end();
    }
    w.end();
  } else {
    w.key("length").integer(in.files.empty() ? 0 : in.files.front().length);
  }
  w.key("name").string(in.name);
  w.key("piece length").integer(in.piece_length);
  w.key("pieces").string(in.piece_hashes);
  if (in.is_private) w.key("private").integer(1);
  w.end();  // info
  if (!in.web_seeds.empty()) {
    w.key("url-list").begin_list();
    for (const auto& u : in.web_seeds) w.string(u);
    w.end();
  }
  w.end();
  return out;
}

std::int64_t auto_piece_length(std::int64_t total_length) {
  std::int64_t piece = 16 * 1024;
  while (piece < 16 * 1024 * 1024 && total_length > piece * 2000) piece *= 2;
  return piece;
}

}  // namespace corrent::metainfo
