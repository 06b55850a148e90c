// The integer fields of the MSE handshake: len() is 2 bytes, crypto_provide and
// crypto_select 4, big-endian. Shared by mse::initiator and mse::responder.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace corrent::mse::fields {

inline void append_u16(std::string& s, std::size_t v) {
  s += static_cast<char>((v >> 8) & 0xff);
  s += static_cast<char>(v & 0xff);
}

inline void append_u32(std::string& s, std::uint32_t v) {
  append_u16(s, v >> 16);
  append_u16(s, v & 0xffff);
}

// `s` holds at least 2 (4) bytes.
inline std::size_t read_u16(std::string_view s) {
  const auto* u = reinterpret_cast<const unsigned char*>(s.data());
  return std::size_t{u[0]} << 8 | u[1];
}

inline std::uint32_t read_u32(std::string_view s) {
  const auto* u = reinterpret_cast<const unsigned char*>(s.data());
  return std::uint32_t{u[0]} << 24 | std::uint32_t{u[1]} << 16 | std::uint32_t{u[2]} << 8 | u[3];
}

template <std::size_t N>
std::string_view bytes(const std::array<std::uint8_t, N>& a) {
  return {reinterpret_cast<const char*>(a.data()), a.size()};
}

}  // namespace corrent::mse::fields
