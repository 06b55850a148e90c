#include "io/daemon/api_auth.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <chrono>
#include <cmath>

#include "core/crypto/sha1.hpp"
#include "io/daemon/api_json.hpp"

namespace corrent::io {
namespace json = boost::json;

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

http_response unauthorized(const std::string& why) {
  auto r = json_error(401, why);
  r.headers["WWW-Authenticate"] = "Basic realm=\"corrent\", charset=\"UTF-8\"";
  return r;
}

}  // namespace

api_auth::api_auth(const std::string& user, const std::string& password)
    : creds_(std::in_place, user, password) {}

http_response api_auth::throttled(double wait_s) const {
  auto r = json_error(429, "too many failed logins from this address: try again later");
  r.headers["Retry-After"] = std::to_string(static_cast<long>(std::ceil(wait_s)));
  return r;
}

bool api_auth::has_session(const http_request& req) {
  const auto sid = daemon::cookie_value(req.header("cookie"), cookie_name);
  return sid && !sid->empty() && sessions_.touch(*sid, now_s());
}

std::optional<http_response> api_auth::check(const http_request& req) {
  if (!creds_ || has_session(req)) return std::nullopt;
  const std::string authz = req.header("authorization");
  if (authz.empty()) return unauthorized("log in first (POST /api/v1/login) or use HTTP Basic");
  const double now = now_s();
  if (const auto wait = throttle_.blocked(req.peer, now)) return throttled(*wait);
  const auto basic = daemon::parse_basic_auth(authz);
  if (basic && creds_->matches(basic->first, basic->second)) {
    throttle_.on_success(req.peer);
    return std::nullopt;
  }
  throttle_.on_failure(req.peer, now);
  spdlog::warn("api: wrong credentials from {}", req.peer);
  return unauthorized("wrong user name or password");
}

http_response api_auth::login(const http_request& req) {
  if (req.method != "POST") return json_error(405, "use POST");
  if (!creds_) return json_reply(200, json::object{{"ok", true}, {"required", false}});
  const double now = now_s();
  if (const auto wait = throttle_.blocked(req.peer, now)) return throttled(*wait);
  std::string user, password;
  const std::string type = req.header("content-type");
  if (type.rfind("application/x-www-form-urlencoded", 0) == 0) {
    const auto form = parse_form(req.body);
    if (!form) return json_error(400, "malformed form body");
    if (auto it = form->find("username"); it != form->end()) user = it->second;
    if (auto it = form->find("password"); it != form->end()) password = it->second;
  } else {
    boost::system::error_code ec;
    const json::value v = json::parse(req.body, ec);
    const json::object* o = ec ? nullptr : v.if_object();
    const json::string* u =
        o ? (o->if_contains("username") ? o->at("username").if_string() : nullptr) : nullptr;
    const json::string* p =
        o ? (o->if_contains("password") ? o->at("password").if_string() : nullptr) : nullptr;
    if (!u || !p) return json_error(400, "expected {\"username\": ..., \"password\": ...}");
    user = std::string(*u);
    password = std::string(*p);
  }
  if (!creds_->matches(user, password)) {
    throttle_.on_failure(req.peer, now);
    spdlog::warn("api: failed login from {}", req.peer);
    return json_error(401, "wrong user name or password");
  }
  throttle_.on_success(req.peer);
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) return json_error(500, "no randomness for a session id");
  const std::string sid =
      crypto::to_hex(std::string_view(reinterpret_cast<char*>(raw), sizeof raw));
  sessions_.open(sid, now);
  auto r = json_reply(200, json::object{{"ok", true}, {"required", true}});
  r.headers["Set-Cookie"] =
      std::string(cookie_name) + "=" + sid + "; Path=/; HttpOnly; SameSite=Strict";
  return r;
}

http_response api_auth::logout(const http_request& req) {
  if (req.method != "POST") return json_error(405, "use POST");
  if (const auto sid = daemon::cookie_value(req.header("cookie"), cookie_name))
    sessions_.close(*sid);
  auto r = json_reply(200, json::object{{"ok", true}});
  r.headers["Set-Cookie"] =
      std::string(cookie_name) + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict";
  return r;
}

http_response api_auth::status(const http_request& req) {
  const bool in = !creds_ || has_session(req);
  return json_reply(200, json::object{{"required", creds_.has_value()}, {"logged_in", in}});
}

}  // namespace corrent::io
