// Lets GoogleTest print a peer_address as "1.2.3.4:6881" in failure messages.
#pragma once

#include <ostream>

#include "core/net/peer_address.hpp"

namespace corrent::net {

inline void PrintTo(const peer_address& a, std::ostream* os) {
  *os << a.to_string() << (a.is_v6 ? " (v6)" : " (v4)");
}

}  // namespace corrent::net
