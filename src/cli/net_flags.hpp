// The flags that say where to listen and whom to dial (`--listen HOST:PORT`,
// `--peer IP:PORT`), shared by the commands that run a session. On bad input they print
// one line naming the flag to stderr and return false.
#pragma once

#include <string>
#include <vector>

#include "core/net/peer_address.hpp"
#include "io/session/options.hpp"

namespace corrent::cli {

bool parse_listen_flag(const std::string& text, io::session_options& so);
bool parse_peer_flags(const std::vector<std::string>& texts, std::vector<net::peer_address>& out);

}  // namespace corrent::cli
