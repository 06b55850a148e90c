#include "core/resume/resume_state.hpp"

#include "core/bencode/decode.hpp"
#include "core/bencode/encode.hpp"

namespace corrent::resume {
namespace {

constexpr std::int64_t current_version = 1;

error fail(errc e, std::string detail) {
  return error{make_error_code(e), std::move(detail)};
}

result<std::int64_t> non_negative_int(const bencode::value& d, std::string_view key) {
  const auto* v = d.find(key);
  if (!v || !v->is_int() || v->as_int() < 0) return fail(errc::bad_field, std::string(key));
  return v->as_int();
}

}  // namespace

std::string encode_resume(const resume_state& s) {
  std::string out;
  bencode::writer w(out);
  w.begin_dict();
  // The checksum entry is spliced in front once the rest is known.
  w.key("downloaded").integer(s.downloaded);
  w.key("files").begin_list();
  for (const auto& f : s.files)
    w.begin_dict().key("mtime").integer(f.mtime_ns).key("size").integer(f.size).end();
  w.end();
  w.key("info-hash").string(crypto::as_bytes(s.info_hash));
  w.key("pieces").integer(static_cast<std::int64_t>(s.verified.size()));
  w.key("uploaded").integer(s.uploaded);
  w.key("verified").string(s.verified.to_wire());
  w.key("version").integer(current_version);
  w.end();
  const auto digest = crypto::sha1(out);
  std::string checked = "d8:checksum20:";
  checked += crypto::as_bytes(digest);
  checked.append(out, 1);
  return checked;
}

result<resume_state> decode_resume(std::string_view bytes, const metainfo::info& t) {
  bencode::decode_limits limits;
  limits.max_depth = 4;
  limits.max_size = 64 * 1024 * 1024;
  auto root = bencode::decode(bytes, limits);
  if (!root) return fail(errc::not_a_dictionary, root.error().message());
  if (!root->is_dict()) return fail(errc::not_a_dictionary, "top level");
  auto version = non_negative_int(*root, "version");
  if (!version) return version.error();
  if (*version != current_version) return fail(errc::unsupported_version, std::to_string(*version));

  resume_state s;
  const auto* hash = root->find("info-hash");
  if (!hash || !hash->is_string() || hash->as_string().size() != 20) {
    return fail(errc::bad_field, "info-hash");
  }
  std::copy(hash->as_string().begin(), hash->as_string().end(), s.info_hash.begin());
  if (s.info_hash != t.info_hash) return fail(errc::wrong_torrent, crypto::to_hex(s.info_hash));

  auto pieces = non_negative_int(*root, "pieces");
  if (!pieces) return pieces.error();
  if (*pieces != t.num_pieces()) return fail(errc::bad_bitfield, "piece count");
  const auto* verified = root->find("verified");
  if (!verified || !verified->is_string()) return fail(errc::bad_field, "verified");
  auto bf = swarm::bitfield::from_wire(verified->as_string(), static_cast<std::size_t>(*pieces));
  if (!bf) return fail(errc::bad_bitfield, bf.error().message());
  s.verified = std::move(*bf);

  const auto* files = root->find("files");
  if (!files || !files->is_list()) return fail(errc::bad_field, "files");
  if (files->as_list().size() != t.files.size()) {
    return fail(errc::file_count_mismatch, std::to_string(files->as_list().size()));
  }
  s.files.reserve(t.files.size());
  for (const auto& f : files->as_list()) {
    if (!f.is_dict()) return fail(errc::bad_field, "files entry");
    auto size = non_negative_int(f, "size");
    if (!size) return size.error();
    const auto* mtime = f.find("mtime");
    if (!mtime || !mtime->is_int()) return fail(errc::bad_field, "mtime");
    s.files.push_back({*size, mtime->as_int()});
  }
  auto downloaded = non_negative_int(*root, "downloaded");
  if (!downloaded) return downloaded.error();
  auto uploaded = non_negative_int(*root, "uploaded");
  if (!uploaded) return uploaded.error();
  s.downloaded = *downloaded;
  s.uploaded = *uploaded;

  // Optional for hand-written files; when present it must match the rest of the dict.
  if (const auto* sum = root->find("checksum")) {
    if (!sum->is_string() || sum->as_string().size() != 20)
      return fail(errc::bad_field, "checksum");
    const auto& entries = root->as_dict();
    if (entries.empty() || entries.front().key != "checksum")
      return fail(errc::bad_field, "checksum");
    const char* rest = sum->raw().data() + sum->raw().size();
    std::string body = "d";
    body.append(rest, static_cast<std::size_t>(root->raw().data() + root->raw().size() - rest));
    if (crypto::as_bytes(crypto::sha1(body)) != sum->as_string()) {
      return fail(errc::bad_checksum, {});
    }
  }
  return s;
}

}  // namespace corrent::resume
