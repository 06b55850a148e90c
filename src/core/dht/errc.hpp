// dht::errc — why a UDP datagram is not a KRPC message (BEP 5) the DHT can act on. The
// decoder is lenient about what real nodes get wrong (unknown keys, odd-sized node strings,
// a malformed error list); these are the cases it cannot make sense of.
#pragma once

#include <boost/system/error_code.hpp>
#include <type_traits>

namespace corrent::dht {

enum class errc {
  datagram_too_large = 1,  // longer than decode_limits::max_datagram_size
  not_a_dictionary,        // not bencode within the bounds, or a value that is not a dictionary
  bad_transaction,         // `t` missing, not a string, or longer than max_transaction_size
  bad_message_type,        // `y` missing, or not the string "q", "r" or "e"
  bad_query,               // a query whose `q` is not a string or whose `a` is not a dictionary
  bad_node_id,             // `a.id` (query) or `r.id` (response) missing or not 20 bytes
  bad_argument,            // a known query without a required argument, or with one of the
                           // wrong type, size or range (find_node `target`, announce `port`...)
  bad_response,            // a response whose `r` is missing or not a dictionary
};

const boost::system::error_category& category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), category()};
}

}  // namespace corrent::dht

template <>
struct boost::system::is_error_code_enum<corrent::dht::errc> : std::true_type {};
