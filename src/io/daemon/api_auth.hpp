// io::api_auth — the daemon API's password (docs/DAEMON.md, "Passwords"): with one set,
// every request needs a login session cookie (from POST /api/v1/login) or HTTP Basic
// credentials; failed attempts are throttled per client address. Without one (the API is
// on loopback), every request passes. The rules are core/daemon/auth.
#pragma once

#include <optional>
#include <string>

#include "core/daemon/auth.hpp"
#include "io/rpc/http_server.hpp"

namespace corrent::io {

class api_auth {
 public:
  api_auth() = default;  // no password
  api_auth(const std::string& user, const std::string& password);

  bool enabled() const { return creds_.has_value(); }
  // Nothing: the request may go on. Otherwise the reply: 401 (with a Basic challenge) or
  // 429 (too many failed attempts from this client).
  std::optional<http_response> check(const http_request& req);
  // POST /api/v1/login: JSON {"username", "password"} or a form with those fields. 200 and
  // a session cookie, 401, or 429.
  http_response login(const http_request& req);
  // POST /api/v1/logout: ends the session of the request's cookie.
  http_response logout(const http_request& req);
  // GET /api/v1/auth: {"required": bool, "logged_in": bool} (for the web UI's login page).
  http_response status(const http_request& req);

  static constexpr const char* cookie_name = "corrent_sid";
  static constexpr const char* qbt_cookie_name = "SID";  // qBittorrent's, same sessions

  // A login attempt from `peer` (failures counted and throttled): on success a new session
  // id in `sid`; when throttled, the wait in `wait_s`. Without a password every attempt
  // succeeds.
  enum class login_result { ok, wrong, throttled };
  login_result try_login(const std::string& peer, const std::string& user,
                         const std::string& password, std::string& sid, double& wait_s);
  // The request carries a live session cookie (either name), or no password is set.
  bool has_session(const http_request& req);
  void end_session(const http_request& req);

 private:
  http_response throttled(double wait_s) const;

  std::optional<daemon::credentials> creds_;
  daemon::login_sessions sessions_;
  daemon::login_throttle throttle_;
};

}  // namespace corrent::io
