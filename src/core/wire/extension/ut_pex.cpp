#include "core/wire/extension/ut_pex.hpp"

#include "core/bencode/encode.hpp"

namespace corrent::wire::ext {
namespace {

using bencode::value;
using net::peer_address;

constexpr std::size_t v4_entry_size = 6;
constexpr std::size_t v6_entry_size = 18;

void append_compact(std::string& out, const peer_address& a) {
  out.append(reinterpret_cast<const char*>(a.ip.data()), a.is_v6 ? 16 : 4);
  out += static_cast<char>(a.port >> 8);
  out += static_cast<char>(a.port & 0xff);
}

// The compact string under `key`, or empty when it is absent, not a string, or not a
// whole number of entries.
std::string_view find_compact(const value& d, std::string_view key, std::size_t entry_size) {
  const value* v = d.find(key);
  if (!v || !v->is_string() || v->as_string().size() % entry_size != 0) return {};
  return v->as_string();
}

// Calls add(address, index) for each entry of `compact` with a nonzero port, until
// `max_peers` were added.
template <class Add>
void for_each_peer(std::string_view compact, std::size_t entry_size, std::size_t max_peers,
                   Add add) {
  std::size_t kept = 0;
  for (std::size_t i = 0; kept < max_peers && (i + 1) * entry_size <= compact.size(); ++i) {
    const std::string_view entry = compact.substr(i * entry_size, entry_size);
    const auto hi = static_cast<std::uint8_t>(entry[entry_size - 2]);
    const auto lo = static_cast<std::uint8_t>(entry[entry_size - 1]);
    const auto port = static_cast<std::uint16_t>(hi << 8 | lo);
    if (port == 0) continue;
    add(peer_address::from_bytes(entry.substr(0, entry_size - 2), port), i);
    ++kept;
  }
}

void decode_added(const value& d, std::string_view key, std::string_view flags_key,
                  std::size_t entry_size, std::size_t max_peers, pex_message& out) {
  const std::string_view compact = find_compact(d, key, entry_size);
  std::string_view flags;
  if (const value* f = d.find(flags_key); f && f->is_string()) flags = f->as_string();
  for_each_peer(compact, entry_size, max_peers, [&](const peer_address& a, std::size_t i) {
    out.added.push_back(
        {a, i < flags.size() ? static_cast<std::uint8_t>(flags[i]) : std::uint8_t{0}});
  });
}

void decode_dropped(const value& d, std::string_view key, std::size_t entry_size,
                    std::size_t max_peers, pex_message& out) {
  for_each_peer(find_compact(d, key, entry_size), entry_size, max_peers,
                [&](const peer_address& a, std::size_t) { out.dropped.push_back(a); });
}

}  // namespace

std::string encode_pex(const pex_message& m) {
  std::string added, added_f, added6, added6_f, dropped, dropped6;
  for (const pex_peer& p : m.added) {
    append_compact(p.address.is_v6 ? added6 : added, p.address);
    (p.address.is_v6 ? added6_f : added_f) += static_cast<char>(p.flags);
  }
  for (const peer_address& a : m.dropped) append_compact(a.is_v6 ? dropped6 : dropped, a);

  std::string out;
  bencode::writer w(out);
  w.begin_dict();
  w.key("added").string(added);
  w.key("added.f").string(added_f);
  w.key("added6").string(added6);
  w.key("added6.f").string(added6_f);
  w.key("dropped").string(dropped);
  w.key("dropped6").string(dropped6);
  w.end();
  return out;
}

result<pex_message> decode_pex(std::string_view payload, std::size_t max_peers) {
  std::size_t consumed = 0;
  auto root = detail::decode_dictionary(payload, consumed);
  if (!root) return root.error();
  const value& d = *root;

  pex_message m;
  decode_added(d, "added", "added.f", v4_entry_size, max_peers, m);
  decode_added(d, "added6", "added6.f", v6_entry_size, max_peers, m);
  decode_dropped(d, "dropped", v4_entry_size, max_peers, m);
  decode_dropped(d, "dropped6", v6_entry_size, max_peers, m);
  return m;
}

}  // namespace corrent::wire::ext
