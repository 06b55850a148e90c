// metainfo magnet links (BEP 9) — a torrent named by its info-hash alone:
//   magnet:?xt=urn:btih:<40 hex | 32 base32>&dn=<name>&tr=<tracker>&x.pe=<host:port>&ws=<url>
// parse_magnet turns one into add_params (add_params.hpp); the `info` comes later from the
// swarm (ut_metadata). make_magnet writes the link of a torrent we know.
//
// Parsing rules:
// - The scheme is case-insensitive and must be followed by '?'; parameters are split on
//   '&', each at its first '='. Keys are case-sensitive as in BEP 9 (`xt`, `dn`, `tr`,
//   `x.pe`, `ws`); the numbered forms some clients emit (`xt.1`, `tr.2`, ...) count as
//   the same key. Unknown parameters (and parameters without '=') are ignored, undecoded.
// - Values of known keys are percent-decoded; a bad escape (`%G1`, a truncated `%4`) is an
//   error. '+' means a space in `dn` only: in URLs it is a literal '+' (RFC 3986).
// - xt: the first `urn:btih:` (prefix case-insensitive) wins: 40 hex digits of either
//   case, or 32 RFC 4648 base32 characters of either case (old clients). Other URNs are
//   ignored; with no btih but a `urn:btmh:` (v2) the link is refused as not supported
//   yet; a hybrid link with both is a v1 magnet.
// - dn: the first one, as decoded bytes (a display hint; path safety is applied where
//   files are made).
// - tr: each its own tier, in order, duplicates dropped; ws: url_list, duplicates dropped.
//   A URL that is empty or holds a space or a control character is dropped.
// - x.pe: numeric "a.b.c.d:port" or "[v6]:port" peers (net::peer_address::parse);
//   DNS names (core cannot resolve) and unusable addresses are skipped, not an error.
// Bounds (a link is pasted text from anyone): the whole URI at most max_magnet_size
// bytes; at most 256 trackers, 256 web seeds and 1000 peers kept (the rest ignored);
// each decoded value at most max_magnet_value bytes — longer is an error for xt, and
// dropped otherwise.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto/sha1.hpp"
#include "core/error.hpp"
#include "core/metainfo/add_params.hpp"
#include "core/metainfo/errc.hpp"

namespace corrent::metainfo {

inline constexpr std::size_t max_magnet_size = 64 * 1024;
inline constexpr std::size_t max_magnet_value = 4 * 1024;
inline constexpr std::size_t max_magnet_trackers = 256;
inline constexpr std::size_t max_magnet_web_seeds = 256;
inline constexpr std::size_t max_magnet_peers = 1000;

// True when `text` starts with "magnet:" (case-insensitive): the caller treats it as a
// magnet, not a path.
bool is_magnet(std::string_view text);

// The link's info_hash, name (dn), trackers (one tier per tr), url_list (ws) and peers
// (x.pe). Errors: errc::bad_magnet (with a detail naming the problem), and
// errc::magnet_v2_not_supported for a btmh-only link.
result<add_params> parse_magnet(std::string_view uri);

// The magnet link of a torrent: xt (hex, lower case), dn (omitted when empty), every
// tracker URL (tiers flattened in order) as tr, url_list as ws; values percent-encoded
// (RFC 3986 unreserved characters kept). parse_magnet gives back the same info-hash, name,
// trackers (one URL per tier) and url_list.
std::string make_magnet(const crypto::sha1_digest& info_hash, std::string_view name,
                        const std::vector<std::vector<std::string>>& trackers,
                        const std::vector<std::string>& url_list = {});

}  // namespace corrent::metainfo
