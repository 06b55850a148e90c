#include "core/text/base64.hpp"

#include <openssl/evp.h>

namespace corrent::text {

std::optional<std::string> base64_decode(std::string_view in) {
  std::string s;
  s.reserve(in.size() + 2);
  for (char c : in) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') s += c;
  }
  if (s.size() % 4 == 2) s += "==";
  if (s.size() % 4 == 3) s += "=";
  if (s.size() % 4 != 0) return std::nullopt;
  if (s.empty()) return std::string();
  std::size_t pad = 0;
  if (s.back() == '=') ++pad;
  if (s.size() > 1 && s[s.size() - 2] == '=') ++pad;
  std::string out(s.size() / 4 * 3, '\0');
  const int n =
      EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  if (n < 0 || static_cast<std::size_t>(n) < pad) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
  return out;
}

}  // namespace corrent::text
