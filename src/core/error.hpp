// corrent::error — the error value every core parser returns: a category code a caller
// can test, plus a human detail naming where the problem is (byte offset, field, file).
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <string>

namespace corrent {

struct error {
  boost::system::error_code code;
  std::string detail;  // "at byte 17", "file 3 path component '..'", ...

  // "<category message>: <detail>" — one line fit for a user.
  std::string message() const {
    return detail.empty() ? code.message() : code.message() + ": " + detail;
  }
  friend bool operator==(const error& e, const boost::system::error_code& c) { return e.code == c; }
};

[[noreturn]] void throw_exception_from_error(const error& e, const boost::source_location& loc);

template <class T>
using result = boost::system::result<T, error>;

}  // namespace corrent
