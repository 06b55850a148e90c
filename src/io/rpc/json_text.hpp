// io::json_text — a JSON value as text, as boost::json::serialize writes it except for
// doubles: Boost.JSON 1.81 writes 0.5 as 5E-1 and 0 as 0E0 (valid JSON, but not what people
// reading `curl` output or clients comparing text expect). Here a double is its shortest
// round-trip form with a fraction or exponent (0.5, 1.0, 1e+20); NaN and infinities are
// null.
#pragma once

#include <boost/json/fwd.hpp>
#include <string>
#include <string_view>

namespace corrent::io {

std::string json_text(const boost::json::value& v);
std::string json_text(const boost::json::object& o);
std::string json_text(const boost::json::array& a);
void append_json_text(std::string& out, const boost::json::value& v);
void append_json_text(std::string& out, const boost::json::object& o);
void append_json_text(std::string& out, const boost::json::array& a);
// The pieces, for writers that build JSON text field by field.
void append_json_string(std::string& out, std::string_view s);
void append_json_double(std::string& out, double d);

}  // namespace corrent::io
