#include "core/wire/extension/handshake.hpp"

#include <algorithm>

#include "core/bencode/encode.hpp"

namespace corrent::wire::ext {
namespace {

using bencode::value;

const value* find_int(const value& d, std::string_view key) {
  const value* v = d.find(key);
  return v && v->is_int() ? v : nullptr;
}

const value* find_string(const value& d, std::string_view key) {
  const value* v = d.find(key);
  return v && v->is_string() ? v : nullptr;
}

template <std::size_t N>
std::optional<std::array<std::uint8_t, N>> find_address(const value& d, std::string_view key) {
  const value* v = find_string(d, key);
  if (!v || v->as_string().size() != N) return std::nullopt;
  std::array<std::uint8_t, N> out{};
  std::copy_n(v->as_string().begin(), N, out.begin());
  return out;
}

template <std::size_t N>
std::string_view as_chars(const std::array<std::uint8_t, N>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), N};
}

}  // namespace

std::uint8_t handshake::id_of(std::string_view name) const {
  for (const auto& [n, id] : m) {
    if (n == name) return id;
  }
  return 0;
}

std::string encode_handshake(const handshake& h) {
  // Sorted by name; stable, so the first of a repeated name comes first and is kept.
  std::vector<const std::pair<std::string, std::uint8_t>*> m;
  m.reserve(h.m.size());
  for (const auto& e : h.m) m.push_back(&e);
  std::stable_sort(m.begin(), m.end(),
                   [](const auto* a, const auto* b) { return a->first < b->first; });
  m.erase(std::unique(m.begin(), m.end(),
                      [](const auto* a, const auto* b) { return a->first == b->first; }),
          m.end());

  std::string out;
  bencode::writer w(out);
  w.begin_dict();
  if (h.ipv4) w.key("ipv4").string(as_chars(*h.ipv4));
  if (h.ipv6) w.key("ipv6").string(as_chars(*h.ipv6));
  w.key("m").begin_dict();
  for (const auto* e : m) w.key(e->first).integer(e->second);
  w.end();
  if (h.metadata_size) w.key("metadata_size").integer(*h.metadata_size);
  if (h.p) w.key("p").integer(*h.p);
  if (h.reqq) w.key("reqq").integer(*h.reqq);
  if (h.upload_only) w.key("upload_only").integer(1);
  if (!h.v.empty()) w.key("v").string(h.v);
  if (!h.yourip.empty()) w.key("yourip").string(h.yourip);
  w.end();
  return out;
}

result<handshake> decode_handshake(std::string_view payload) {
  std::size_t consumed = 0;
  auto root = detail::decode_dictionary(payload, consumed);
  if (!root) return root.error();
  const value& d = *root;

  handshake h;
  if (const value* m = d.find("m"); m && m->is_dict()) {
    for (const auto& [name, id] : m->as_dict()) {
      if (h.m.size() == max_handshake_m_entries) break;
      if (!id.is_int() || id.as_int() < 1 || id.as_int() > 255) continue;
      h.m.emplace_back(std::string(name), static_cast<std::uint8_t>(id.as_int()));
    }
  }
  if (const value* v = find_string(d, "v")) {
    h.v = std::string(v->as_string().substr(0, max_handshake_v_size));
  }
  if (const value* p = find_int(d, "p"); p && p->as_int() >= 1 && p->as_int() <= 65535) {
    h.p = static_cast<std::uint16_t>(p->as_int());
  }
  if (const value* reqq = find_int(d, "reqq")) {
    h.reqq = static_cast<std::uint32_t>(
        std::clamp<std::int64_t>(reqq->as_int(), min_handshake_reqq, max_handshake_reqq));
  }
  if (const value* size = find_int(d, "metadata_size"); size && size->as_int() > 0) {
    h.metadata_size = size->as_int();
  }
  h.ipv4 = find_address<4>(d, "ipv4");
  h.ipv6 = find_address<16>(d, "ipv6");
  if (const value* ip = find_string(d, "yourip")) {
    const auto bytes = ip->as_string();
    if (bytes.size() == 4 || bytes.size() == 16) h.yourip = std::string(bytes);
  }
  if (const value* u = find_int(d, "upload_only")) h.upload_only = u->as_int() != 0;
  return h;
}

}  // namespace corrent::wire::ext
