// tracker::udp — the UDP tracker protocol's packets (BEP 15). Sans-I/O: io/tracker owns
// the socket, the retransmission timer (15 * 2^n s) and the connection-id lifetime.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/tracker/announce.hpp"

namespace corrent::tracker::udp {

constexpr std::uint64_t protocol_id = 0x41727101980ULL;

enum class action : std::uint32_t { connect = 0, announce = 1, scrape = 2, error = 3 };

std::array<char, 16> encode_connect(std::uint32_t transaction_id);
// The connection id, or errc::bad_packet, or errc::tracker_error with an action-3 error
// packet's message as detail (parse_scrape likewise).
result<std::uint64_t> parse_connect(std::string_view packet, std::uint32_t transaction_id);

std::array<char, 98> encode_announce(std::uint64_t connection_id, std::uint32_t transaction_id,
                                     const announce_request& req);
// peers are 6-byte entries, or 18-byte ones when the tracker was reached over IPv6.
// An action-3 error packet gives a response with failure_reason set.
result<announce_response> parse_announce(std::string_view packet, std::uint32_t transaction_id,
                                         bool ipv6, const response_limits& limits = {});

std::string encode_scrape(std::uint64_t connection_id, std::uint32_t transaction_id,
                          const std::vector<crypto::sha1_digest>& info_hashes);
result<std::vector<scrape_entry>> parse_scrape(std::string_view packet,
                                               std::uint32_t transaction_id,
                                               std::size_t expected_count);

}  // namespace corrent::tracker::udp
