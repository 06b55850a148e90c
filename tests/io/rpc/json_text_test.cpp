// io::json_text: the API's JSON as boost::json::serialize writes it, but doubles in their
// shortest plain form (Boost.JSON 1.81 writes 0.5 as 5E-1).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <limits>

#include "io/rpc/json_text.hpp"

namespace corrent::io {
namespace {

namespace json = boost::json;

TEST(JsonText, DoublesAreShortAndStayReal) {
  EXPECT_EQ(json_text(json::value(0.0)), "0.0");
  EXPECT_EQ(json_text(json::value(0.5)), "0.5");
  EXPECT_EQ(json_text(json::value(1.0)), "1.0");
  EXPECT_EQ(json_text(json::value(-2.25)), "-2.25");
  EXPECT_EQ(json_text(json::value(0.1)), "0.1");
  EXPECT_EQ(json_text(json::value(1e21)), "1e+21");
  EXPECT_EQ(json_text(json::value(std::numeric_limits<double>::quiet_NaN())), "null");
  EXPECT_EQ(json_text(json::value(std::numeric_limits<double>::infinity())), "null");
  // Every double reads back as itself.
  for (double d : {1.0 / 3, 123456.789, 5e-324, 1.7976931348623157e308, 0.30000000000000004}) {
    EXPECT_EQ(json::parse(json_text(json::value(d))).as_double(), d) << d;
  }
}

TEST(JsonText, EverythingElseIsAsBoostJsonWritesIt) {
  const auto v =
      json::parse(R"({"s":"q\"b\\s\n\t\u0001é","i":-42,"u":18446744073709551615,"b":true,"n":null,)"
                  R"("a":[1,[],{},"x"],"o":{"k":{"z":[false]}}})");
  EXPECT_EQ(json_text(v), json::serialize(v));
  EXPECT_EQ(json_text(v.as_object()), json::serialize(v));
  EXPECT_EQ(json_text(v.at("a").as_array()), json::serialize(v.at("a")));
  // And it parses back to the same value, doubles included.
  json::object o{{"ratio", 1.5}, {"progress", 0.0}, {"rates", json::array{0.25, 3.0}}};
  EXPECT_EQ(json_text(o), R"({"ratio":1.5,"progress":0.0,"rates":[0.25,3.0]})");
  EXPECT_EQ(json::parse(json_text(o)), json::value(o));
}

TEST(JsonText, ControlCharactersAreEscaped) {
  std::string s;
  for (int c = 0; c < 0x20; ++c) s += static_cast<char>(c);
  const auto text = json_text(json::value(json::string(s)));
  for (char c : text) EXPECT_GE(static_cast<unsigned char>(c), 0x20u);
  EXPECT_EQ(json::parse(text).as_string(), s);
}

}  // namespace
}  // namespace corrent::io
