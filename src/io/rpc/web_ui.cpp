#include "io/rpc/web_ui.hpp"

#include <fstream>
#include <iterator>
#include <map>
#include <string>

#include "core/crypto/sha1.hpp"
#include "io/rpc/web_assets.hpp"

namespace corrent::io {

namespace {

struct served {
  std::string_view body;
  std::string type;
  std::string etag;
};

const std::map<std::string, served, std::less<>>& files() {
  static const auto all = [] {
    std::map<std::string, served, std::less<>> m;
    for (const auto& a : web_assets()) {
      const std::string_view body(a.data, a.size);
      std::string type = "application/octet-stream";
      if (a.name.ends_with(".html")) type = "text/html; charset=utf-8";
      if (a.name.ends_with(".js")) type = "text/javascript; charset=utf-8";
      if (a.name.ends_with(".css")) type = "text/css; charset=utf-8";
      if (a.name.ends_with(".svg")) type = "image/svg+xml";
      m.emplace(std::string(a.name),
                served{body, type, "\"" + crypto::to_hex(crypto::sha1(body)).substr(0, 20) + "\""});
    }
    return m;
  }();
  return all;
}

}  // namespace

std::optional<http_response> serve_web(const http_request& req, const std::filesystem::path& root) {
  if (req.method != "GET" && req.method != "HEAD") return std::nullopt;
  std::string name;
  if (req.path == "/" || req.path == "/index.html") {
    name = "index.html";
  } else if (req.path.rfind("/ui/", 0) == 0) {
    name = req.path.substr(4);
  } else {
    return std::nullopt;
  }
  std::map<std::string, served, std::less<>> from_disk;
  std::string disk_body;
  if (!root.empty()) {
    // Only plain names (no '/' or ".."): nothing outside the directory.
    if (name.find('/') != std::string::npos || name.find("..") != std::string::npos)
      return json_error(404, "no such file");
    std::ifstream in(root / name, std::ios::binary);
    if (!in) return json_error(404, "no such file");
    disk_body.assign(std::istreambuf_iterator<char>(in), {});
    const auto type = files().count(name)      ? files().find(name)->second.type
                      : name.ends_with(".js")  ? std::string("text/javascript; charset=utf-8")
                      : name.ends_with(".css") ? std::string("text/css; charset=utf-8")
                                               : std::string("text/html; charset=utf-8");
    from_disk.emplace(name,
                      served{disk_body, type,
                             "\"" + crypto::to_hex(crypto::sha1(disk_body)).substr(0, 20) + "\""});
  }
  const auto& all = root.empty() ? files() : from_disk;
  const auto it = all.find(name);
  if (it == all.end()) return json_error(404, "no such file");
  http_response r;
  r.headers["Cache-Control"] = "no-cache";
  r.headers["ETag"] = it->second.etag;
  r.headers["X-Content-Type-Options"] = "nosniff";
  r.headers["X-Frame-Options"] = "DENY";
  r.headers["Referrer-Policy"] = "same-origin";
  r.headers["Content-Security-Policy"] =
      "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
      "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
  if (req.header("if-none-match") == it->second.etag) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  r.content_type = it->second.type;
  if (req.method == "GET") r.body = std::string(it->second.body);
  return r;
}

}  // namespace corrent::io
