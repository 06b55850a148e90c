#include "core/wire/codec.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>
#include <string>

namespace corrent::wire {
namespace {

// BEP 3: the byte 19 followed by the 19-character protocol name.
constexpr std::string_view protocol_string =
    "\x13"
    "BitTorrent protocol";
static_assert(protocol_string.size() == 20);

// The buffer never starts smaller than this, so a run of small reads does not cause a
// chain of tiny reallocations.
constexpr std::size_t min_buffer_size = 16 * 1024;

std::uint32_t load_u32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) |
         std::uint32_t{u[3]};
}

std::uint16_t load_u16(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return static_cast<std::uint16_t>((u[0] << 8) | u[1]);
}

// Builds the fixed part of one message (at most 4 + 1 + 12 bytes) on the stack and
// appends it in one go.
class frame {
 public:
  frame(std::uint32_t length, message_type id) {
    put_u32(length);
    bytes_[size_++] = static_cast<char>(id);
  }
  // Only the length prefix: keep-alive.
  frame() { put_u32(0); }

  frame& put_u32(std::uint32_t v) {
    bytes_[size_++] = static_cast<char>(v >> 24);
    bytes_[size_++] = static_cast<char>(v >> 16);
    bytes_[size_++] = static_cast<char>(v >> 8);
    bytes_[size_++] = static_cast<char>(v);
    return *this;
  }
  frame& put_u16(std::uint16_t v) {
    bytes_[size_++] = static_cast<char>(v >> 8);
    bytes_[size_++] = static_cast<char>(v);
    return *this;
  }
  frame& put_u8(std::uint8_t v) {
    bytes_[size_++] = static_cast<char>(v);
    return *this;
  }
  void append_to(std::string& out) const { out.append(bytes_, size_); }
  std::size_t copy_to(char* out) const {
    std::memcpy(out, bytes_, size_);
    return size_;
  }

 private:
  char bytes_[17];
  std::size_t size_ = 0;
};

// Wire lengths are 32-bit; callers never hand us more than a message cap's worth.
std::uint32_t wire_length(std::size_t fixed, std::size_t variable) {
  assert(variable <= std::numeric_limits<std::uint32_t>::max() - fixed);
  return static_cast<std::uint32_t>(fixed + variable);
}

// The message lengths (id byte included) each id allows, checked as soon as the id byte
// arrives so that a bad length is refused before its payload is buffered. Ids we do not
// know may carry anything up to the decoder's cap.
struct length_rule {
  std::uint32_t min = 1;
  std::uint32_t max = std::numeric_limits<std::uint32_t>::max();
};

constexpr std::array<length_rule, 256> length_rules = [] {
  std::array<length_rule, 256> rules{};
  const auto set = [&rules](message_type t, std::uint32_t min, std::uint32_t max) {
    rules[static_cast<std::uint8_t>(t)] = {min, max};
  };
  for (auto t : {message_type::choke, message_type::unchoke, message_type::interested,
                 message_type::not_interested, message_type::have_all, message_type::have_none}) {
    set(t, 1, 1);
  }
  for (auto t : {message_type::have, message_type::suggest, message_type::allowed_fast}) {
    set(t, 5, 5);
  }
  for (auto t : {message_type::request, message_type::cancel, message_type::reject}) {
    set(t, 13, 13);
  }
  set(message_type::port, 3, 3);
  set(message_type::piece, 9, std::numeric_limits<std::uint32_t>::max());
  set(message_type::extended, 2, std::numeric_limits<std::uint32_t>::max());
  return rules;
}();

error bad_length(std::uint8_t id, std::uint32_t length, const length_rule& rule) {
  const std::string expected =
      rule.min == rule.max ? std::to_string(rule.min) : "at least " + std::to_string(rule.min);
  return error{make_error_code(errc::bad_message_length),
               "message id " + std::to_string(id) + " with length " + std::to_string(length) +
                   " (expected " + expected + ")"};
}

}  // namespace

std::array<char, handshake_size> encode_handshake(const handshake& h) {
  std::array<char, handshake_size> out{};
  std::memcpy(out.data(), protocol_string.data(), protocol_string.size());
  std::memcpy(out.data() + 20, h.reserved.data(), h.reserved.size());
  std::memcpy(out.data() + 28, h.info_hash.data(), h.info_hash.size());
  std::memcpy(out.data() + 48, h.id.data(), h.id.size());
  return out;
}

result<handshake> decode_handshake(std::string_view bytes) {
  if (bytes.size() != handshake_size) {
    return error{make_error_code(errc::bad_message_length),
                 "handshake of " + std::to_string(bytes.size()) + " bytes (expected 68)"};
  }
  if (bytes.substr(0, protocol_string.size()) != protocol_string) {
    return error{make_error_code(errc::bad_protocol_string), {}};
  }
  handshake h;
  std::memcpy(h.reserved.data(), bytes.data() + 20, h.reserved.size());
  std::memcpy(h.info_hash.data(), bytes.data() + 28, h.info_hash.size());
  std::memcpy(h.id.data(), bytes.data() + 48, h.id.size());
  return h;
}

// Lengths on the wire are 32-bit, so a larger cap means "no cap"; clamping it also keeps
// the buffer-size arithmetic in prepare() free of overflow.
decoder::decoder(std::size_t max_message_length)
    : max_len_(
          std::min<std::size_t>(max_message_length, std::numeric_limits<std::uint32_t>::max())) {}

// Space comes from the tail first; when the tail is short the unread bytes (at most one
// partial message in steady state) move to the front; only when that is still not
// enough does the buffer grow, doubling but never beyond what the largest allowed
// message plus this read needs.
std::span<char> decoder::prepare(std::size_t n) {
  if (buf_.size() - end_ < n) {
    const std::size_t used = end_ - begin_;
    if (buf_.size() - used >= n) {
      if (used != 0) std::memmove(buf_.data(), buf_.data() + begin_, used);
    } else {
      std::size_t size = std::max({used + n, 2 * buf_.size(), min_buffer_size});
      size = std::min(size, std::max(used + n, max_len_ + 4 + n));
      std::vector<char> bigger(size);
      if (used != 0) std::memcpy(bigger.data(), buf_.data() + begin_, used);
      buf_.swap(bigger);
    }
    begin_ = 0;
    end_ = used;
  }
  return {buf_.data() + end_, buf_.size() - end_};
}

void decoder::commit(std::size_t n) {
  assert(n <= buf_.size() - end_);
  end_ += n;
}

void decoder::feed(std::string_view bytes) {
  if (bytes.empty()) return;
  const auto space = prepare(bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

// A failed message is left in the buffer, so every later call fails the same way.
result<std::optional<message>> decoder::next() {
  const std::size_t available = end_ - begin_;
  if (available < 4) return std::nullopt;
  const char* const p = buf_.data() + begin_;
  const std::uint32_t len = load_u32(p);
  if (len > max_len_) {
    return error{
        make_error_code(errc::message_too_large),
        "length prefix " + std::to_string(len) + " above the limit " + std::to_string(max_len_)};
  }
  message m;  // keep_alive unless an id follows
  if (len != 0) {
    if (available < 5) return std::nullopt;
    m.raw_id = static_cast<std::uint8_t>(p[4]);
    const length_rule& rule = length_rules[m.raw_id];
    if (len < rule.min || len > rule.max) return bad_length(m.raw_id, len, rule);
    if (available - 4 < len) return std::nullopt;

    // Lengths are checked above; here every read is in bounds.
    const char* const body = p + 5;
    const std::uint32_t body_len = len - 1;
    m.type = static_cast<message_type>(m.raw_id);
    switch (m.type) {
      case message_type::piece:
        m.piece = load_u32(body);
        m.begin = load_u32(body + 4);
        m.payload = {body + 8, body_len - 8};
        m.length = body_len - 8;
        break;
      case message_type::choke:
      case message_type::unchoke:
      case message_type::interested:
      case message_type::not_interested:
      case message_type::have_all:
      case message_type::have_none:
        break;
      case message_type::have:
      case message_type::suggest:
      case message_type::allowed_fast:
        m.piece = load_u32(body);
        break;
      case message_type::request:
      case message_type::cancel:
      case message_type::reject:
        m.piece = load_u32(body);
        m.begin = load_u32(body + 4);
        m.length = load_u32(body + 8);
        break;
      case message_type::bitfield:
        m.payload = {body, body_len};
        break;
      case message_type::port:
        m.port = load_u16(body);
        break;
      case message_type::extended:
        m.extended_id = static_cast<std::uint8_t>(body[0]);
        m.payload = {body + 1, body_len - 1};
        break;
      default:  // includes the raw bytes 0xfe/0xff, which only look like our markers
        m.type = message_type::unknown;
        m.payload = {body, body_len};
        break;
    }
  }
  begin_ += 4 + std::size_t{len};
  // Views into the buffer stay valid: only the offsets rewind, no byte moves until the
  // next prepare().
  if (begin_ == end_) begin_ = end_ = 0;
  return m;
}

void encode_keep_alive(std::string& out) {
  frame().append_to(out);
}
void encode_choke(std::string& out) {
  frame(1, message_type::choke).append_to(out);
}
void encode_unchoke(std::string& out) {
  frame(1, message_type::unchoke).append_to(out);
}
void encode_interested(std::string& out) {
  frame(1, message_type::interested).append_to(out);
}
void encode_not_interested(std::string& out) {
  frame(1, message_type::not_interested).append_to(out);
}
void encode_have_all(std::string& out) {
  frame(1, message_type::have_all).append_to(out);
}
void encode_have_none(std::string& out) {
  frame(1, message_type::have_none).append_to(out);
}

void encode_have(std::string& out, std::uint32_t piece) {
  frame(5, message_type::have).put_u32(piece).append_to(out);
}

void encode_suggest(std::string& out, std::uint32_t piece) {
  frame(5, message_type::suggest).put_u32(piece).append_to(out);
}

void encode_allowed_fast(std::string& out, std::uint32_t piece) {
  frame(5, message_type::allowed_fast).put_u32(piece).append_to(out);
}

void encode_bitfield(std::string& out, std::string_view bits) {
  frame(wire_length(1, bits.size()), message_type::bitfield).append_to(out);
  out.append(bits);
}

void encode_request(std::string& out, std::uint32_t piece, std::uint32_t begin,
                    std::uint32_t length) {
  frame(13, message_type::request).put_u32(piece).put_u32(begin).put_u32(length).append_to(out);
}

void encode_cancel(std::string& out, std::uint32_t piece, std::uint32_t begin,
                   std::uint32_t length) {
  frame(13, message_type::cancel).put_u32(piece).put_u32(begin).put_u32(length).append_to(out);
}

void encode_reject(std::string& out, std::uint32_t piece, std::uint32_t begin,
                   std::uint32_t length) {
  frame(13, message_type::reject).put_u32(piece).put_u32(begin).put_u32(length).append_to(out);
}

void encode_port(std::string& out, std::uint16_t port) {
  frame(3, message_type::port).put_u16(port).append_to(out);
}

void encode_extended(std::string& out, std::uint8_t id, std::string_view payload) {
  frame(wire_length(2, payload.size()), message_type::extended).put_u8(id).append_to(out);
  out.append(payload);
}

void encode_piece_header(std::string& out, std::uint32_t piece, std::uint32_t begin,
                         std::uint32_t block_length) {
  frame(wire_length(9, block_length), message_type::piece)
      .put_u32(piece)
      .put_u32(begin)
      .append_to(out);
}

void encode_piece_header(char* out, std::uint32_t piece, std::uint32_t begin,
                         std::uint32_t block_length) {
  frame(wire_length(9, block_length), message_type::piece)
      .put_u32(piece)
      .put_u32(begin)
      .copy_to(out);
}

}  // namespace corrent::wire
