#include "core/daemon/auth.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>

#include "core/text/base64.hpp"

namespace corrent::daemon {

namespace {

std::array<unsigned char, 32> sha256_of(std::string_view user, std::string_view password) {
  // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
  std::string msg = std::to_string(user.size()) + ":";
  msg.append(user);
  msg += ':';
  msg.append(password);
  std::array<unsigned char, 32> d{};
  unsigned int len = 0;
  EVP_Digest(msg.data(), msg.size(), d.data(), &len, EVP_sha256(), nullptr);
  OPENSSL_cleanse(msg.data(), msg.size());
  return d;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

credentials::credentials(std::string_view user, std::string_view password)
    : digest_(sha256_of(user, password)) {}

bool credentials::matches(std::string_view user, std::string_view password) const {
  const auto d = sha256_of(user, password);
  return CRYPTO_memcmp(d.data(), digest_.data(), d.size()) == 0;
}

std::optional<std::pair<std::string, std::string>> parse_basic_auth(std::string_view header) {
  header = trim(header);
  constexpr std::string_view scheme = "basic ";
  if (header.size() <= scheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (static_cast<char>(std::tolower(static_cast<unsigned char>(header[i]))) != scheme[i])
      return std::nullopt;
  }
  const auto decoded = text::base64_decode(trim(header.substr(scheme.size())));
  if (!decoded) return std::nullopt;
  const auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::pair{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

std::optional<std::string> cookie_value(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const auto semi = header.find(';');
    const std::string_view part = trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    const auto eq = part.find('=');
    if (eq == std::string_view::npos || trim(part.substr(0, eq)) != name) continue;
    std::string_view v = trim(part.substr(eq + 1));
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return std::string(v);
  }
  return std::nullopt;
}

void login_sessions::open(const std::string& id, double now) {
  for (auto it = last_use_.begin(); it != last_use_.end();) {
    it = now - it->second > idle_s_ ? last_use_.erase(it) : std::next(it);
  }
  if (last_use_.size() >= max_) {
    const auto oldest =
        std::min_element(last_use_.begin(), last_use_.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    last_use_.erase(oldest);
  }
  last_use_[id] = now;
}

bool login_sessions::touch(const std::string& id, double now) {
  const auto it = last_use_.find(id);
  if (it == last_use_.end()) return false;
  if (now - it->second > idle_s_) {
    last_use_.erase(it);
    return false;
  }
  it->second = now;
  return true;
}

std::optional<double> login_throttle::blocked(const std::string& client, double now) const {
  const auto it = clients_.find(client);
  if (it == clients_.end() || it->second.failures < max_failures_) return std::nullopt;
  const double left = it->second.start + window_s_ - now;
  if (left <= 0) return std::nullopt;
  return left;
}

void login_throttle::on_failure(const std::string& client, double now) {
  auto it = clients_.find(client);
  if (it == clients_.end()) {
    if (clients_.size() >= max_clients_) {
      const auto oldest = std::min_element(
          clients_.begin(), clients_.end(),
          [](const auto& a, const auto& b) { return a.second.start < b.second.start; });
      clients_.erase(oldest);
    }
    it = clients_.emplace(client, window{now, 0}).first;
  }
  if (now - it->second.start >= window_s_) it->second = window{now, 0};
  ++it->second.failures;
}

}  // namespace corrent::daemon
