// The daemon API's password rules, pure so they are unit-tested without sockets: the
// credential check (constant time), HTTP Basic and cookie parsing, login sessions, and the
// throttle on failed logins. The caller gives the time (seconds) and the random session ids.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace corrent::daemon {

// The user name and password the API accepts. Compared through SHA-256 digests with
// CRYPTO_memcmp: the time taken does not depend on where a guess first differs, nor on the
// lengths of the guess and the secret.
class credentials {
 public:
  credentials(std::string_view user, std::string_view password);
  bool matches(std::string_view user, std::string_view password) const;

 private:
  std::array<unsigned char, 32> digest_{};
};

// "Basic BASE64(user:password)" -> (user, password); nullopt if it is not that.
std::optional<std::pair<std::string, std::string>> parse_basic_auth(std::string_view header);

// The value of cookie `name` in a Cookie header ("a=1; b=2"); nullopt if absent.
std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name);

// Logged-in sessions by id (the cookie's value). A session ends after `idle_s` without a
// request, at logout, or when `max_sessions` are open and it is the least recently used.
class login_sessions {
 public:
  explicit login_sessions(double idle_s = 24 * 3600.0, std::size_t max_sessions = 1024)
      : idle_s_(idle_s), max_(max_sessions) {}
  void open(const std::string& id, double now);
  // Valid now (and its idle time starts again).
  bool touch(const std::string& id, double now);
  void close(const std::string& id) { last_use_.erase(id); }
  std::size_t size() const { return last_use_.size(); }

 private:
  double idle_s_;
  std::size_t max_;
  std::map<std::string, double> last_use_;
};

// Failed logins, per client address: after `max_failures` within `window_s`, that client's
// attempts are refused (429) until the window ends, whether the password is right or not.
// The addresses remembered are bounded (the oldest window is forgotten first).
class login_throttle {
 public:
  explicit login_throttle(int max_failures = 5, double window_s = 60.0,
                          std::size_t max_clients = 4096)
      : max_failures_(max_failures), window_s_(window_s), max_clients_(max_clients) {}
  // Seconds to wait before `client` may try again; nullopt: it may try now.
  std::optional<double> blocked(const std::string& client, double now) const;
  void on_failure(const std::string& client, double now);
  void on_success(const std::string& client) { clients_.erase(client); }

 private:
  struct window {
    double start = 0;
    int failures = 0;
  };
  int max_failures_;
  double window_s_;
  std::size_t max_clients_;
  std::map<std::string, window> clients_;
};

}  // namespace corrent::daemon
