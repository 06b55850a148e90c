// The corrent subcommands. Each registers its options on the app and returns the
// process exit code when run: 0 success, 1 failure at run time, 2 bad input.
#pragma once

#include <CLI/App.hpp>
#include <functional>

namespace corrent::cli {

enum exit_code : int { exit_ok = 0, exit_failure = 1, exit_bad_input = 2 };

using command_runner = std::function<int()>;

command_runner register_info(CLI::App& app);
command_runner register_create(CLI::App& app);
command_runner register_download(CLI::App& app);
command_runner register_verify(CLI::App& app);
command_runner register_seed(CLI::App& app);
command_runner register_daemon(CLI::App& app);
command_runner register_remote(CLI::App& app);

}  // namespace corrent::cli
