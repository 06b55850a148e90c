// The flags that say where to listen and whom to dial (`--listen HOST:PORT`,
// `--peer IP:PORT`) and how the DHT runs, shared by the commands that run a session. On bad input
// they print one line naming the flag to stderr and return false.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <string>
#include <vector>

#include "core/net/peer_address.hpp"
#include "io/session/options.hpp"

namespace corrent::cli {

bool parse_listen_flag(const std::string& text, io::session_options& so);

// --no-dht, --dht-bootstrap HOST:PORT (repeatable), --dht-read-only; and --encryption.
struct dht_flags {
  std::string encryption = "prefer";  // --encryption prefer|require|disable (MSE/PE)
  bool off = false;
  std::vector<std::string> bootstrap;
  bool read_only = false;
};
void add_dht_flags(CLI::App* cmd, dht_flags& f);
// Checks the flags and sets the session's DHT options (`state_file`: where the routing
// table is kept; empty: nowhere).
bool apply_dht_flags(const dht_flags& f, const std::filesystem::path& state_file,
                     io::session_options& so);
bool parse_peer_flags(const std::vector<std::string>& texts, std::vector<net::peer_address>& out);

}  // namespace corrent::cli
