// wire::ext ut_metadata — BEP 9 messages, by which peers hand each other a torrent's info
// dictionary in 16 KiB pieces (magnet links). Each is a bencoded dictionary
// {msg_type, piece[, total_size]}; a data message carries the piece's bytes right after the
// dictionary. These are payloads of wire message 20 after the extended-id byte (the id the
// peer gave "ut_metadata" in its extended handshake). Sans-I/O, like the rest of wire.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/wire/extension/errc.hpp"

namespace corrent::wire::ext {

enum class metadata_msg_type : std::uint8_t { request = 0, data = 1, reject = 2 };

constexpr std::size_t metadata_piece_size = 16 * 1024;
constexpr std::uint32_t max_metadata_piece = std::uint32_t{1} << 31;

// A decoded message views the payload it came from (`data`): it must not outlive it.
struct metadata_message {
  metadata_msg_type type{};
  std::uint32_t piece = 0;      // 0..max_metadata_piece
  std::int64_t total_size = 0;  // data only (> 0)
  std::string_view data;        // data only: the bytes after the bencoded dict (a view into
                                // the payload), at most metadata_piece_size

  // Field-wise; data compares by content.
  friend bool operator==(const metadata_message&, const metadata_message&) = default;
};

std::string encode_metadata_request(std::uint32_t piece);
std::string encode_metadata_reject(std::uint32_t piece);
// The dictionary followed by `data` (the caller keeps it to metadata_piece_size bytes).
std::string encode_metadata_data(std::uint32_t piece, std::int64_t total_size,
                                 std::string_view data);

// Errors: not a bencoded dictionary (errc::not_a_dictionary; bencode limits as in
// errc.hpp, keys may come unsorted), msg_type missing or not an integer
// (errc::missing_msg_type), msg_type not 0..2 (errc::unknown_msg_type: BEP 9 says to
// ignore such a message, not to drop the peer), piece missing, not an integer, negative or
// above 2^31 (errc::bad_piece), data without total_size or with total_size <= 0
// (errc::bad_total_size), data longer than 16 KiB (errc::metadata_piece_too_large).
// Unknown keys are ignored, and so are bytes after a request's or reject's dictionary.
// Whether a data piece has the length total_size implies is the caller's check.
result<metadata_message> decode_metadata(std::string_view payload);

}  // namespace corrent::wire::ext
