// What transmission_rpc.cpp and transmission_torrent_get.cpp share: a call's outcome, a
// torrent's outer metainfo fields, and small helpers.
#pragma once

#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/text/percent.hpp"
#include "core/torrent/torrent_logic.hpp"
#include "io/daemon/transmission_rpc.hpp"

namespace corrent::io {
namespace json = boost::json;

struct transmission_rpc::outcome {
  std::string result = "success";
  json::object arguments;
};

struct transmission_rpc::extras {
  std::string comment, creator;
  std::int64_t date_created = 0;
};

namespace trpc_detail {

using outcome = transmission_rpc::outcome;

inline constexpr std::int64_t kilo = 1000;  // Transmission's speed unit: 1 kB/s = 1000 bytes/s

inline outcome fail(std::string why) {
  outcome o;
  o.result = std::move(why);
  return o;
}

// "http://host:port" of a tracker URL (trackerStats' `host`).
inline std::string tracker_host(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const auto end = url.find('/', scheme + 3);
  return url.substr(0, end);
}

inline std::optional<bool> bool_arg(const json::object& args, const char* key) {
  const auto* v = args.if_contains(key);
  if (!v) return std::nullopt;
  if (v->is_bool()) return v->as_bool();
  if (v->is_int64()) return v->as_int64() != 0;
  if (v->is_uint64()) return v->as_uint64() != 0;
  return std::nullopt;
}

inline std::optional<double> number_arg(const json::object& args, const char* key) {
  const auto* v = args.if_contains(key);
  if (!v || !v->is_number()) return std::nullopt;
  const double d = v->to_number<double>();
  if (!std::isfinite(d) || d < 0 || d > 1e15) return std::nullopt;
  return d;
}

inline const json::string* string_arg(const json::object& args, const char* key) {
  const auto* v = args.if_contains(key);
  return v ? v->if_string() : nullptr;
}

}  // namespace trpc_detail
}  // namespace corrent::io
