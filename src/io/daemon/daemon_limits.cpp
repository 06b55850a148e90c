// The daemon's limits over the API: a torrent's own (rates, seed ratio and time) and the
// session's total rates, both kept in the state directory.
#include <boost/json.hpp>
#include <cmath>
#include <initializer_list>

#include "core/text/printable.hpp"
#include "io/daemon/api_json.hpp"
#include "io/daemon/daemon_api.hpp"

namespace corrent::io {
namespace json = boost::json;

// --- limits ----------------------------------------------------------------------------

namespace {

// Reads the limits a JSON body sets: each a non-negative number (0: none), absent ones
// unchanged. False, with `why`, when the body is not that.
bool read_limits(const std::string& body,
                 std::initializer_list<std::pair<const char*, double*>> fields, std::string& why) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    why = "the body is not a JSON object";
    return false;
  }
  for (const auto& [key, value] : v.as_object()) {
    bool known = false;
    for (const auto& [name, out] : fields) {
      if (key != name) continue;
      known = true;
      if (!value.is_number() || value.to_number<double>() < 0 ||
          !std::isfinite(value.to_number<double>()) || value.to_number<double>() > 1e15) {
        why = std::string(name) + " must be a number from 0 up";
        return false;
      }
      *out = value.to_number<double>();
    }
    if (!known) {
      why = "unknown field " + text::printable(std::string(key).substr(0, 64));
      return false;
    }
  }
  return true;
}

}  // namespace

http_response daemon_api::set_torrent_limits(const http_request& req, daemon::torrent_entry& e,
                                             torrent* t) {
  double down = static_cast<double>(e.max_download_rate);
  double up = static_cast<double>(e.max_upload_rate);
  double ratio = static_cast<double>(e.seed_ratio_milli) / 1000.0;
  double time = static_cast<double>(e.seed_time_s);
  std::string why;
  if (!read_limits(req.body,
                   {{"max_download_rate", &down},
                    {"max_upload_rate", &up},
                    {"seed_ratio", &ratio},
                    {"seed_time", &time}},
                   why)) {
    return json_error(400, why);
  }
  e.max_download_rate = static_cast<std::int64_t>(down);
  e.max_upload_rate = static_cast<std::int64_t>(up);
  e.seed_ratio_milli = static_cast<std::int64_t>(ratio * 1000.0 + 0.5);
  e.seed_time_s = static_cast<std::int64_t>(time);
  apply_limits(e, t);
  json::object o;
  o["max_download_rate"] = e.max_download_rate;
  o["max_upload_rate"] = e.max_upload_rate;
  o["seed_ratio"] = static_cast<double>(e.seed_ratio_milli) / 1000.0;
  o["seed_time"] = e.seed_time_s;
  return json_reply(200, o);
}

void daemon_api::apply_limits(daemon::torrent_entry& e, torrent* t) {
  save_list();
  if (t) {
    t->set_limits(static_cast<double>(e.max_download_rate), static_cast<double>(e.max_upload_rate),
                  static_cast<double>(e.seed_ratio_milli) / 1000.0,
                  static_cast<double>(e.seed_time_s));
  }
}

void daemon_api::apply_session_limits(std::int64_t max_download_rate,
                                      std::int64_t max_upload_rate) {
  state_.max_download_rate = max_download_rate;
  state_.max_upload_rate = max_upload_rate;
  save_list();
  session_.set_rate_limits(static_cast<double>(state_.max_download_rate),
                           static_cast<double>(state_.max_upload_rate));
}

http_response daemon_api::session_limits(const http_request& req) {
  if (req.method == "POST") {
    double down = static_cast<double>(state_.max_download_rate);
    double up = static_cast<double>(state_.max_upload_rate);
    std::string why;
    if (!read_limits(req.body, {{"max_download_rate", &down}, {"max_upload_rate", &up}}, why)) {
      return json_error(400, why);
    }
    apply_session_limits(static_cast<std::int64_t>(down), static_cast<std::int64_t>(up));
  } else if (req.method != "GET") {
    return json_error(405, "use GET or POST");
  }
  json::object o;
  o["max_download_rate"] = state_.max_download_rate;
  o["max_upload_rate"] = state_.max_upload_rate;
  return json_reply(200, o);
}

}  // namespace corrent::io
