// wire encoding and decoding.
//
// decoder is a push decoder with an internal buffer the io layer reads into directly:
//   auto buf = d.prepare(64 * 1024);   // writable space
//   n = socket.read_some(buf);         // io layer
//   d.commit(n);
//   for (;;) {
//     auto m = d.next();               // result<optional<message>>
//     if (!m) { /* protocol violation: close */ }
//     if (!*m) break;                  // need more bytes
//     handle(**m);
//   }
// The length prefix is checked against max_message_length *before* any payload is
// buffered, so a hostile 4 GiB prefix costs nothing.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/wire/errc.hpp"
#include "core/wire/message.hpp"

namespace corrent::wire {

std::array<char, handshake_size> encode_handshake(const handshake& h);
// Exactly 68 bytes in; errc::bad_protocol_string when the first 20 are not BEP 3's.
result<handshake> decode_handshake(std::string_view bytes);

// Default cap: a piece message with a 16 KiB block plus slack for bitfields of large
// torrents (a 2,000,000-piece bitfield is 250,000 bytes) and extension messages.
constexpr std::size_t default_max_message_length = 1024 * 1024;

class decoder {
 public:
  explicit decoder(std::size_t max_message_length = default_max_message_length);

  // Writable space of at least `n` bytes at the end of the buffered data.
  std::span<char> prepare(std::size_t n);
  void commit(std::size_t n);
  // Convenience for tests and fuzzing: copies bytes in.
  void feed(std::string_view bytes);

  // The next complete message, nullopt when more bytes are needed, or an error (the
  // connection must be closed; the decoder is unusable afterwards).
  result<std::optional<message>> next();

  std::size_t buffered() const { return end_ - begin_; }
  // Bytes of buffer held (grows only when a message plus a read does not fit).
  std::size_t capacity() const { return buf_.size(); }

 private:
  std::vector<char> buf_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t max_len_;
};

// Encoders append one complete message to `out`.
void encode_keep_alive(std::string& out);
void encode_choke(std::string& out);
void encode_unchoke(std::string& out);
void encode_interested(std::string& out);
void encode_not_interested(std::string& out);
void encode_have(std::string& out, std::uint32_t piece);
void encode_suggest(std::string& out, std::uint32_t piece);       // BEP 6
void encode_allowed_fast(std::string& out, std::uint32_t piece);  // BEP 6
void encode_bitfield(std::string& out, std::string_view bits);
void encode_request(std::string& out, std::uint32_t piece, std::uint32_t begin,
                    std::uint32_t length);
void encode_cancel(std::string& out, std::uint32_t piece, std::uint32_t begin,
                   std::uint32_t length);
void encode_reject(std::string& out, std::uint32_t piece, std::uint32_t begin,
                   std::uint32_t length);
void encode_have_all(std::string& out);
void encode_have_none(std::string& out);
void encode_port(std::string& out, std::uint16_t port);
void encode_extended(std::string& out, std::uint8_t id, std::string_view payload);
// Only the 13-byte header of a piece message; the block bytes follow it on the wire
// (sent with scatter/gather I/O, no copy).
void encode_piece_header(std::string& out, std::uint32_t piece, std::uint32_t begin,
                         std::uint32_t block_length);
// The same into raw memory: writes exactly piece_header_size bytes at `out`.
constexpr std::size_t piece_header_size = 13;
void encode_piece_header(char* out, std::uint32_t piece, std::uint32_t begin,
                         std::uint32_t block_length);

}  // namespace corrent::wire
