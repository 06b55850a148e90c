#include "core/metainfo/magnet.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <utility>

#include "core/text/percent.hpp"
#include "core/text/printable.hpp"

namespace corrent::metainfo {
namespace {

constexpr std::string_view scheme = "magnet:";
constexpr std::string_view btih_prefix = "urn:btih:";
constexpr std::string_view btmh_prefix = "urn:btmh:";
constexpr std::size_t quote_limit = 80;  // bytes of a value shown in an error detail

error fail(errc e, std::string detail) {
  return error{make_error_code(e), std::move(detail)};
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool starts_with_nocase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (lower(s[i]) != lower(prefix[i])) return false;
  }
  return true;
}

// A value quoted for an error detail: cut to quote_limit bytes and made printable.
std::string quoted(std::string_view s) {
  std::string out = "'" + text::printable(s.substr(0, quote_limit));
  if (s.size() > quote_limit) out += "...";
  return out + "'";
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 4648 base32: A-Z = 0..25, 2-7 = 26..31 (either case here).
int base32_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

// 32 base32 characters = 160 bits = exactly 20 bytes, no padding.
std::optional<crypto::sha1_digest> sha1_from_base32(std::string_view s) {
  if (s.size() != 32) return std::nullopt;
  crypto::sha1_digest d{};
  std::uint32_t bits = 0;
  int nbits = 0;
  std::size_t out = 0;
  for (char c : s) {
    const int v = base32_value(c);
    if (v < 0) return std::nullopt;
    bits = (bits << 5) | static_cast<std::uint32_t>(v);
    nbits += 5;
    if (nbits >= 8) {
      nbits -= 8;
      d[out++] = static_cast<std::uint8_t>(bits >> nbits);
      bits &= (1u << nbits) - 1;
    }
  }
  return d;
}

// Percent-decodes `value` (which starts at byte `offset` of the link, for the detail).
// `plus_is_space`: '+' decodes to ' ' (form encoding), else it stays a '+'.
result<std::string> decode(std::string_view key, std::string_view value, std::size_t offset,
                           bool plus_is_space) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '+' && plus_is_space) {
      out += ' ';
    } else if (c != '%') {
      out += c;
    } else if (i + 2 >= value.size()) {
      return fail(errc::bad_magnet, std::string(key) + ": truncated percent escape " +
                                        quoted(value.substr(i)) + " at byte " +
                                        std::to_string(offset + i));
    } else {
      const int hi = hex_value(value[i + 1]), lo = hex_value(value[i + 2]);
      if (hi < 0 || lo < 0) {
        return fail(errc::bad_magnet, std::string(key) + ": bad percent escape " +
                                          quoted(value.substr(i, 3)) + " at byte " +
                                          std::to_string(offset + i));
      }
      out += static_cast<char>((hi << 4) | lo);
      i += 2;
    }
  }
  return out;
}

// "tr.1" -> "tr": the numbered forms of a key count as the key.
std::string_view base_key(std::string_view key) {
  const std::size_t dot = key.rfind('.');
  if (dot == std::string_view::npos || dot + 1 == key.size()) return key;
  const std::string_view suffix = key.substr(dot + 1);
  if (!std::all_of(suffix.begin(), suffix.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return key;
  }
  return key.substr(0, dot);
}

// A URL worth keeping: not empty, within the bound, no space or control character.
bool usable_url(std::string_view url) {
  if (url.empty() || url.size() > max_magnet_value) return false;
  return std::none_of(url.begin(), url.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c <= 0x20 || c == 0x7f;
  });
}

}  // namespace

bool is_magnet(std::string_view text) {
  return starts_with_nocase(text, scheme);
}

result<add_params> parse_magnet(std::string_view uri) {
  if (uri.size() > max_magnet_size) {
    return fail(errc::bad_magnet, "the link is " + std::to_string(uri.size()) +
                                      " bytes, above the limit of " +
                                      std::to_string(max_magnet_size));
  }
  if (!is_magnet(uri)) return fail(errc::bad_magnet, "it does not start with 'magnet:'");
  if (uri.size() == scheme.size() || uri[scheme.size()] != '?') {
    return fail(errc::bad_magnet, "no '?' after 'magnet:'");
  }

  add_params out;
  bool have_btih = false;
  bool have_btmh = false;
  bool have_dn = false;
  std::set<net::peer_address> peers_seen;

  std::size_t pos = scheme.size() + 1;
  while (pos <= uri.size()) {
    std::size_t end = uri.find('&', pos);
    if (end == std::string_view::npos) end = uri.size();
    const std::string_view param = uri.substr(pos, end - pos);
    const std::size_t param_offset = pos;
    pos = end + 1;

    const std::size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = base_key(param.substr(0, eq));
    const std::string_view raw = param.substr(eq + 1);
    const std::size_t offset = param_offset + eq + 1;

    if (key == "xt") {
      auto v = decode(key, raw, offset, false);
      if (!v) return v.error();
      if (have_btih) continue;  // the first btih wins
      if (v->size() > max_magnet_value) {
        return fail(errc::bad_magnet, "xt: " + std::to_string(v->size()) +
                                          " bytes, above the limit of " +
                                          std::to_string(max_magnet_value));
      }
      if (starts_with_nocase(*v, btih_prefix)) {
        const std::string_view hash = std::string_view(*v).substr(btih_prefix.size());
        std::optional<crypto::sha1_digest> d;
        if (hash.size() == 40) d = crypto::sha1_from_hex(hash);
        if (hash.size() == 32) d = sha1_from_base32(hash);
        if (!d) {
          return fail(errc::bad_magnet,
                      "xt: " + quoted(*v) + " is neither 40 hex nor 32 base32 characters");
        }
        out.info_hash = *d;
        have_btih = true;
      } else if (starts_with_nocase(*v, btmh_prefix)) {
        have_btmh = true;
      }
    } else if (key == "dn") {
      auto v = decode(key, raw, offset, true);
      if (!v) return v.error();
      if (have_dn || v->size() > max_magnet_value) continue;
      out.name = std::move(*v);
      have_dn = true;
    } else if (key == "tr") {
      auto v = decode(key, raw, offset, false);
      if (!v) return v.error();
      if (out.trackers.size() >= max_magnet_trackers || !usable_url(*v)) continue;
      const bool dup = std::any_of(out.trackers.begin(), out.trackers.end(),
                                   [&](const auto& tier) { return tier.front() == *v; });
      if (!dup) out.trackers.push_back({std::move(*v)});
    } else if (key == "ws") {
      auto v = decode(key, raw, offset, false);
      if (!v) return v.error();
      if (out.url_list.size() >= max_magnet_web_seeds || !usable_url(*v)) continue;
      if (std::find(out.url_list.begin(), out.url_list.end(), *v) == out.url_list.end()) {
        out.url_list.push_back(std::move(*v));
      }
    } else if (key == "x.pe") {
      auto v = decode(key, raw, offset, false);
      if (!v) return v.error();
      if (out.peers.size() >= max_magnet_peers || v->size() > max_magnet_value) continue;
      const auto peer = net::peer_address::parse(*v);  // a DNS name gives nullopt: skipped
      if (!peer || !peer->is_usable()) continue;
      if (peers_seen.insert(*peer).second) out.peers.push_back(*peer);
    }
  }

  if (!have_btih) {
    if (have_btmh) {
      return fail(errc::magnet_v2_not_supported,
                  "the link has only a v2 info-hash (xt=urn:btmh:), no xt=urn:btih:");
    }
    return fail(errc::bad_magnet, "no info-hash (xt=urn:btih:...)");
  }
  return out;
}

std::string make_magnet(const crypto::sha1_digest& info_hash, std::string_view name,
                        const std::vector<std::vector<std::string>>& trackers,
                        const std::vector<std::string>& url_list) {
  std::string out = "magnet:?xt=urn:btih:" + crypto::to_hex(info_hash);
  if (!name.empty()) {
    out += "&dn=";
    text::append_percent_encoded(out, name);
  }
  for (const auto& tier : trackers) {
    for (const auto& url : tier) {
      out += "&tr=";
      text::append_percent_encoded(out, url);
    }
  }
  for (const auto& url : url_list) {
    out += "&ws=";
    text::append_percent_encoded(out, url);
  }
  return out;
}

}  // namespace corrent::metainfo
