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

// The web UI marks its requests (X-Requested-With), and an EventSource asks for
// text/event-stream: the page shows its own login, so these 401s carry no Basic challenge
// (which would make the browser prompt).
http_response unauthorized(const http_request& req, const std::string& why) {
  auto r = json_error(401, why);
  if (req.header("x-requested-with").empty() &&
      req.header("accept").find("text/event-stream") == std::string::npos)
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
  if (!creds_) return true;
  for (const char* name : {cookie_name, qbt_cookie_name}) {
    const auto sid = daemon::cookie_value(req.header("cookie"), name);
    if (sid && !sid->empty() && sessions_.touch(*sid, now_s())) return true;
  }
  return false;
}

void api_auth::end_session(const http_request& req) {
  for (const char* name : {cookie_name, qbt_cookie_name}) {
    if (const auto sid = daemon::cookie_value(req.header("cookie"), name)) sessions_.close(*sid);
  }
}

api_auth::login_result api_auth::try_login(const std::string& peer, const std::string& user,
                                           const std::string& password, std::string& sid,
                                           double& wait_s) {
  const double now = now_s();
  if (creds_) {
    if (const auto wait = throttle_.blocked(peer, now)) {
      wait_s = *wait;
      return login_result::throttled;
    }
    if (!creds_->matches(user, password)) {
      throttle_.on_failure(peer, now);
      spdlog::warn("api: failed login from {}", peer);
      return login_result::wrong;
    }
    throttle_.on_success(peer);
  }
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) return login_result::wrong;
  sid = crypto::to_hex(std::string_view(reinterpret_cast<char*>(raw), sizeof raw));
  sessions_.open(sid, now);
  return login_result::ok;
}

std::optional<http_response> api_auth::check(const http_request& req) {
  if (has_session(req)) return std::nullopt;
  const std::string authz = req.header("authorization");
  if (authz.empty())
    return unauthorized(req, "log in first (POST /api/v1/login) or use HTTP Basic");
  const double now = now_s();
  if (const auto wait = throttle_.blocked(req.peer, now)) return throttled(*wait);
  const auto basic = daemon::parse_basic_auth(authz);
  if (basic && creds_->matches(basic->first, basic->second)) {
    throttle_.on_success(req.peer);
    return std::nullopt;
  }
  throttle_.on_failure(req.peer, now);
  spdlog::warn("api: wrong credentials from {}", req.peer);
  return unauthorized(req, "wrong user name or password");
}

http_response api_auth::login(const http_request& req) {
  if (req.method != "POST") return json_error(405, "use POST");
  if (!creds_) return json_reply(200, json::object{{"ok", true}, {"required", false}});
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
  std::string sid;
  double wait = 0;
  switch (try_login(req.peer, user, password, sid, wait)) {
    case login_result::throttled:
      return throttled(wait);
    case login_result::wrong:
      return json_error(401, "wrong user name or password");
    case login_result::ok:
      break;
  }
  auto r = json_reply(200, json::object{{"ok", true}, {"required", true}});
  r.headers["Set-Cookie"] =
      std::string(cookie_name) + "=" + sid + "; Path=/; HttpOnly; SameSite=Strict";
  return r;
}

http_response api_auth::logout(const http_request& req) {
  if (req.method != "POST") return json_error(405, "use POST");
  end_session(req);
  auto r = json_reply(200, json::object{{"ok", true}});
  r.headers["Set-Cookie"] =
      std::string(cookie_name) + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict";
  return r;
}

http_response api_auth::status(const http_request& req) {
  const bool in = has_session(req);
  return json_reply(200, json::object{{"required", creds_.has_value()}, {"logged_in", in}});
}

}  // namespace corrent::io
