// tracker::errc — why a tracker's answer is unusable.
#pragma once

#include <boost/system/error_code.hpp>
#include <type_traits>

namespace corrent::tracker {

enum class errc {
  not_a_dictionary = 1,  // the body is not a bencoded dictionary
  body_too_large,        // above response_limits::max_body
  bad_peers,             // `peers`/`peers6` of the wrong type or length
  missing_field,         // neither failure reason nor peers/interval
  bad_packet,            // UDP: too short, wrong action or transaction id
  not_in_scrape,         // scrape answer lacks our info-hash
  tracker_error,         // the tracker answered with an error (UDP action 3, scrape failure)
};

const boost::system::error_category& category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

}  // namespace corrent::tracker

template <>
struct boost::system::is_error_code_enum<corrent::tracker::errc> : std::true_type {};
