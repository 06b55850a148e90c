// tracker — what an announce asks and what a tracker answers (BEP 3, 7, 23, 48), without
// any transport: io/tracker sends the bytes over HTTP (Beast) or UDP (BEP 15, udp.hpp).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto/sha1.hpp"
#include "core/error.hpp"
#include "core/net/peer_address.hpp"

namespace corrent::tracker {

enum class event { none = 0, completed = 1, started = 2, stopped = 3 };  // BEP 15 numbering

struct announce_request {
  crypto::sha1_digest info_hash{};
  std::array<std::uint8_t, 20> peer_id{};
  std::uint16_t port = 0;
  std::int64_t uploaded = 0;
  std::int64_t downloaded = 0;
  std::int64_t left = 0;
  event ev = event::none;
  int numwant = 50;
  std::uint32_t key = 0;
  std::string tracker_id;  // echoed back when the tracker gave one
};

struct announce_response {
  std::optional<std::string> failure_reason;  // when set, nothing else counts
  std::string warning_message;
  std::int64_t interval = 1800;              // seconds
  std::optional<std::int64_t> min_interval;  // seconds
  std::string tracker_id;
  std::optional<std::int64_t> complete;    // seeders
  std::optional<std::int64_t> incomplete;  // leechers
  std::vector<net::peer_address> peers;    // usable, de-duplicated, capped
};

struct response_limits {
  std::size_t max_peers = 2000;    // extra peers in one answer are dropped
  std::size_t max_body = 1 << 20;  // bytes; larger bodies are refused
};

// The full GET URL: `announce_url` plus the BEP 3 query (appended with '&' when the URL
// already has a query). Bytes outside 0-9A-Za-z.-_~ are %-encoded.
std::string build_announce_url(std::string_view announce_url, const announce_request& req);

// Parses an HTTP tracker's bencoded body: compact (BEP 23) and dictionary peer lists,
// `peers6` (BEP 7). Unusable addresses (port 0, unspecified, multicast) are dropped.
// A `failure reason` is a successful parse with failure_reason set.
result<announce_response> parse_announce_response(std::string_view body,
                                                  const response_limits& limits = {});

struct scrape_entry {
  std::int64_t complete = 0;
  std::int64_t downloaded = 0;
  std::int64_t incomplete = 0;
};

// BEP 48: the scrape URL for an announce URL whose last path segment starts with
// "announce", else nullopt (that tracker cannot scrape).
std::optional<std::string> scrape_url(std::string_view announce_url,
                                      const crypto::sha1_digest& info_hash);
// A `failure reason` here is errc::tracker_error with the reason as detail.
result<scrape_entry> parse_scrape_response(std::string_view body,
                                           const crypto::sha1_digest& info_hash,
                                           const response_limits& limits = {});

}  // namespace corrent::tracker
