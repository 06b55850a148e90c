#include "core/metainfo/parse.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <unordered_set>

#include "core/bencode/decode.hpp"
#include "core/metainfo/path_rules.hpp"

namespace corrent::metainfo {
namespace {

using bencode::value;

error fail(errc e, std::string detail) {
  return error{make_error_code(e), std::move(detail)};
}

// Optional typed lookups: a present key of the wrong type is an error, absence is not.
result<const value*> get(const value& d, std::string_view key, bencode::type t) {
  const value* v = d.find(key);
  if (v && v->kind() != t) return fail(errc::wrong_type, "'" + std::string(key) + "'");
  return v;
}

// The BitComet-style "<key>.utf-8" variant wins when it has the expected type (as in
// libtorrent).
const value* find_utf8(const value& d, std::string_view key,
                       bencode::type t = bencode::type::string) {
  const value* v = d.find(std::string(key) + ".utf-8");
  if (v && v->kind() == t) return v;
  return d.find(key);
}

std::string quoted(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\x";
      out += hex[(c >> 4) & 0xf];
      out += hex[c & 0xf];
    } else {
      out += c;
    }
  }
  return out + "'";
}

result<void> check_component(std::string_view c, const std::string& where) {
  if (auto reason = unsafe_component_reason(c)) {
    return fail(errc::invalid_path, where + ": " + std::string(*reason) + " " + quoted(c));
  }
  return {};
}

void parse_attr(const value& f, file_entry& out) {
  const value* attr = f.find("attr");
  if (!attr || !attr->is_string()) return;
  for (char c : attr->as_string()) {
    if (c == 'p') out.pad = true;
    if (c == 'x') out.executable = true;
    if (c == 'h') out.hidden = true;
    if (c == 'l') out.symlink = true;
  }
  if (out.symlink) {
    if (const value* sp = f.find("symlink path"); sp && sp->is_list()) {
      for (const auto& part : sp->as_list()) {
        if (!part.is_string()) continue;
        if (!out.symlink_target.empty()) out.symlink_target += '/';
        out.symlink_target += part.as_string();
      }
    }
  }
}

result<void> parse_files(const value& info, metainfo::info& t, const parse_limits& limits) {
  const value* files = info.find("files");
  const value* length = info.find("length");
  std::int64_t total = 0;
  if (files) {
    if (!files->is_list()) return fail(errc::wrong_type, "'files' is not a list");
    if (files->as_list().empty()) return fail(errc::no_files, "'files' is an empty list");
    if (files->as_list().size() > limits.max_files) {
      return fail(errc::too_many_files, std::to_string(files->as_list().size()) + " files");
    }
    t.multi_file = true;
    t.files.reserve(files->as_list().size());
    std::size_t index = 0;
    for (const value& f : files->as_list()) {
      const std::string where = "file " + std::to_string(index++);
      if (!f.is_dict()) return fail(errc::wrong_type, where + " is not a dictionary");
      file_entry e;
      parse_attr(f, e);
      const value* len = f.find("length");
      if (!len || !len->is_int()) return fail(errc::missing_field, where + ": 'length'");
      if (len->as_int() < 0) return fail(errc::invalid_length, where + ": negative length");
      e.length = e.symlink ? 0 : len->as_int();
      const value* path = find_utf8(f, "path", bencode::type::list);
      if (!path || !path->is_list()) return fail(errc::missing_field, where + ": 'path'");
      const auto& parts = path->as_list();
      if (parts.empty()) return fail(errc::invalid_path, where + ": empty path");
      if (parts.size() > limits.max_path_depth) {
        return fail(errc::path_too_deep, where + ": " + std::to_string(parts.size()) + " levels");
      }
      e.path = t.name;
      for (const value& part : parts) {
        if (!part.is_string()) return fail(errc::wrong_type, where + ": path component");
        if (auto r = check_component(part.as_string(), where); !r) return r.error();
        e.path += '/';
        e.path += part.as_string();
      }
      if (total > std::numeric_limits<std::int64_t>::max() - e.length) {
        return fail(errc::invalid_length, where + ": total length overflows");
      }
      e.offset = total;
      total += e.length;
      t.files.push_back(std::move(e));
    }
  } else if (length) {
    if (!length->is_int()) return fail(errc::wrong_type, "'length'");
    if (length->as_int() < 0) return fail(errc::invalid_length, "negative length");
    file_entry e;
    e.path = t.name;
    e.length = total = length->as_int();
    parse_attr(info, e);
    // BEP 47 pad and symlink attributes describe entries of a file list: the one file of
    // a single-file torrent is its data, whatever it claims (else "done" with no file).
    e.pad = e.symlink = false;
    e.symlink_target.clear();
    t.files.push_back(std::move(e));
  } else {
    return fail(errc::missing_field, "neither 'length' nor 'files' in info");
  }
  t.total_length = total;

  // Uniqueness: no two written files share a path, and no file is another's directory.
  std::unordered_set<std::string_view> paths, dirs;
  for (const auto& f : t.files) {
    if (f.pad) continue;
    if (!paths.insert(f.path).second) return fail(errc::duplicate_path, quoted(f.path));
    for (std::size_t slash = f.path.find('/'); slash != std::string::npos;
         slash = f.path.find('/', slash + 1)) {
      dirs.insert(std::string_view(f.path).substr(0, slash));
    }
  }
  for (const auto& f : t.files) {
    if (!f.pad && dirs.count(f.path)) {
      return fail(errc::duplicate_path, quoted(f.path) + " is both a file and a directory");
    }
  }
  return {};
}

result<void> parse_info_dict(const value& info, metainfo::info& t, const parse_limits& limits) {
  if (!info.is_dict()) return fail(errc::not_a_dictionary, "'info' is not a dictionary");
  if (info.raw().size() > limits.max_info_size) {
    return fail(errc::metadata_too_large, std::to_string(info.raw().size()) + " bytes");
  }
  const value* meta_version = info.find("meta version");
  const value* pieces = info.find("pieces");
  if (meta_version && meta_version->is_int() && meta_version->as_int() == 2) {
    if (!pieces) return fail(errc::v2_not_supported, "no v1 'pieces' in info");
    t.hybrid = true;
  }
  const value* name = find_utf8(info, "name");
  if (!name || !name->is_string()) return fail(errc::missing_field, "'name'");
  if (auto r = check_component(name->as_string(), "name"); !r) return r.error();
  if (name->as_string() == ".corrent-parts") {  // where partial data of every torrent lives
    return fail(errc::invalid_path, "name '.corrent-parts' is reserved for corrent's partial data");
  }
  t.name = std::string(name->as_string());

  const value* plen = info.find("piece length");
  if (!plen || !plen->is_int()) return fail(errc::missing_field, "'piece length'");
  if (plen->as_int() <= 0 || plen->as_int() > limits.max_piece_length) {
    return fail(errc::invalid_piece_length, std::to_string(plen->as_int()));
  }
  t.piece_length = plen->as_int();

  if (!pieces || !pieces->is_string()) return fail(errc::missing_field, "'pieces'");
  if (pieces->as_string().size() % 20 != 0) {
    return fail(errc::invalid_pieces, std::to_string(pieces->as_string().size()) + " bytes");
  }
  const auto num_pieces = static_cast<std::int64_t>(pieces->as_string().size() / 20);
  if (num_pieces > limits.max_pieces) {
    return fail(errc::too_many_pieces, std::to_string(num_pieces));
  }
  t.piece_hashes = std::string(pieces->as_string());

  if (auto priv = info.find("private"); priv && priv->is_int()) t.is_private = priv->as_int() == 1;

  if (auto r = parse_files(info, t, limits); !r) return r.error();

  const std::int64_t expected =
      t.total_length / t.piece_length + (t.total_length % t.piece_length != 0 ? 1 : 0);
  if (expected != num_pieces) {
    return fail(errc::piece_count_mismatch, std::to_string(num_pieces) + " pieces for " +
                                                std::to_string(t.total_length) +
                                                " bytes, expected " + std::to_string(expected));
  }
  t.info_bytes = std::string(info.raw());
  t.info_hash = crypto::sha1(info.raw());
  return {};
}

// announce-list (BEP 12) when it has any URL, else announce; empty URLs dropped.
result<void> parse_trackers(const value& root, torrent& t) {
  auto announce = get(root, "announce", bencode::type::string);
  if (!announce) return announce.error();
  if (*announce) t.announce = std::string((*announce)->as_string());
  if (const value* list = root.find("announce-list"); list && list->is_list()) {
    for (const value& tier : list->as_list()) {
      if (!tier.is_list()) continue;
      std::vector<std::string> urls;
      for (const value& url : tier.as_list()) {
        if (url.is_string() && !url.as_string().empty()) urls.emplace_back(url.as_string());
      }
      if (!urls.empty()) t.trackers.push_back(std::move(urls));
    }
  }
  if (t.trackers.empty() && !t.announce.empty()) t.trackers.push_back({t.announce});
  return {};
}

void parse_string_or_list(const value* v, std::vector<std::string>& out) {
  if (!v) return;
  if (v->is_string() && !v->as_string().empty()) out.emplace_back(v->as_string());
  if (v->is_list()) {
    for (const value& item : v->as_list()) {
      if (item.is_string() && !item.as_string().empty()) out.emplace_back(item.as_string());
    }
  }
}

}  // namespace

result<info> parse_info(std::string_view info_bytes, const parse_limits& limits) {
  if (info_bytes.size() > limits.max_info_size) {
    return fail(errc::metadata_too_large, std::to_string(info_bytes.size()) + " bytes");
  }
  bencode::decode_limits dl;
  dl.max_size = limits.max_info_size;
  dl.require_sorted_keys = false;
  auto v = bencode::decode(info_bytes, dl);
  if (!v) return v.error();
  info out;
  if (auto r = parse_info_dict(*v, out, limits); !r) return r.error();
  return out;
}

// BEP 5: `nodes` = [["host", port], ...]. Lenient: entries that are not a short host
// string and a port in 1..65535 are skipped; at most 64 kept. IPv6 hosts get brackets.
namespace {
void parse_dht_nodes(const value* v, std::vector<std::string>& out) {
  if (!v || !v->is_list()) return;
  for (const value& e : v->as_list()) {
    if (out.size() >= 64) return;
    if (!e.is_list() || e.as_list().size() != 2) continue;
    const value& host = e.as_list()[0];
    const value& port = e.as_list()[1];
    if (!host.is_string() || !port.is_int()) continue;
    const std::string_view h = host.as_string();
    if (h.empty() || h.size() > 253 || port.as_int() < 1 || port.as_int() > 65535) continue;
    if (std::any_of(h.begin(), h.end(), [](char c) {
          return c <= ' ' || c == '/' || c == '[' || c == ']' ||
                 static_cast<unsigned char>(c) >= 0x7f;
        }))
      continue;
    const bool v6 = h.find(':') != std::string_view::npos;
    out.push_back((v6 ? "[" + std::string(h) + "]" : std::string(h)) + ":" +
                  std::to_string(port.as_int()));
  }
}
}  // namespace

result<torrent> parse_torrent(std::string_view bytes, const parse_limits& limits) {
  if (bytes.size() > limits.max_file_size) {
    return fail(errc::metadata_too_large, std::to_string(bytes.size()) + " bytes");
  }
  // As libtorrent does, accept what real .torrent files contain: unsorted keys outside
  // the strict rules, and junk after the top-level dictionary (a newline, a stray 'e').
  bencode::decode_limits dl;
  dl.max_size = limits.max_file_size;
  dl.require_sorted_keys = false;
  std::size_t consumed = 0;
  auto root = bencode::decode_prefix(bytes, consumed, dl);
  if (!root) return root.error();
  if (!root->is_dict()) return fail(errc::not_a_dictionary, "top level");
  const value* info = root->find("info");
  if (!info) return fail(errc::missing_info, {});

  torrent t;
  if (auto r = parse_info_dict(*info, t, limits); !r) return r.error();
  if (auto r = parse_trackers(*root, t); !r) return r.error();
  parse_string_or_list(root->find("url-list"), t.url_list);
  parse_string_or_list(root->find("httpseeds"), t.http_seeds);
  parse_dht_nodes(root->find("nodes"), t.dht_nodes);
  if (const value* v = root->find("creation date"); v && v->is_int()) t.creation_date = v->as_int();
  if (const value* v = find_utf8(*root, "comment"); v && v->is_string()) {
    t.comment = std::string(v->as_string());
  }
  if (const value* v = find_utf8(*root, "created by"); v && v->is_string()) {
    t.created_by = std::string(v->as_string());
  }
  return t;
}

}  // namespace corrent::metainfo
