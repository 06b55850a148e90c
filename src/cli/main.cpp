// corrent — a BitTorrent client. Entry point: subcommand dispatch and exit codes.
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <exception>
#include <map>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  using namespace corrent::cli;
  CLI::App app{"corrent — a BitTorrent client", "corrent"};
  app.set_version_flag("--version", "corrent " CORRENT_VERSION);
  app.require_subcommand(1);
  std::map<std::string, command_runner> runners;
  runners["info"] = register_info(app);
  runners["create"] = register_create(app);
  runners["download"] = register_download(app);
  runners["verify"] = register_verify(app);
  runners["seed"] = register_seed(app);
  runners["daemon"] = register_daemon(app);
  runners["remote"] = register_remote(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : static_cast<int>(exit_bad_input);
  }
  try {
    for (auto* sub : app.get_subcommands()) return runners.at(sub->get_name())();
  } catch (const std::exception& e) {
    fmt::print(stderr, "corrent: internal error: {}\n", e.what());
    return exit_failure;
  }
  return exit_bad_input;
}
