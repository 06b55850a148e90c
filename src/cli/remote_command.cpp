// `corrent remote [--url URL | --state DIR] COMMAND`: a command-line client of a running
// `corrent daemon`'s HTTP API (docs/DAEMON.md): add, list, pause, resume, remove, stats, and
// watch (the Server-Sent Events stream, reconnecting with Last-Event-ID).
//
// One connection per request, each step an asynchronous Beast operation run to its end on a
// local io_context (tcp_stream applies its timeouts to asynchronous operations only), so
// that nothing waits forever and SIGINT/SIGTERM can cancel a `watch`.
#include "cli/remote_client.hpp"
#include "io/rpc/json_text.hpp"

namespace corrent::cli {
namespace remote {

std::vector<json::object> torrents(client& c, const std::string& target) {
  std::vector<json::object> all;
  const auto o = c.call_json(http::verb::get, target);
  if (const auto* a = o.if_contains("torrents"); a && a->is_array()) {
    for (const auto& t : a->as_array())
      if (t.is_object()) all.push_back(t.as_object());
  }
  return all;
}

// Full ids for what was typed: ids, or unique prefixes of at least 6 hex characters.
std::vector<std::string> resolve_ids(client& c, const std::vector<std::string>& typed) {
  std::vector<std::string> out;
  std::optional<std::vector<json::object>> all;
  for (const auto& text : typed) {
    std::string id = text;
    for (char& ch : id) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (id.size() < 6 || id.size() > 40 || id.find_first_not_of("0123456789abcdef") != id.npos)
      throw failure{exit_bad_input, shown(text) +
                                        ": expected a torrent id (40 hex characters) "
                                        "or its first 6 or more"};
    if (id.size() < 40) {
      if (!all) all = torrents(c, "/api/v1/torrents?fields=id");
      std::vector<std::string> hits;
      for (const auto& t : *all)
        if (str(t, "id").starts_with(id)) hits.push_back(str(t, "id"));
      if (hits.size() != 1)
        throw failure{exit_failure,
                      hits.empty() ? "no torrent's id starts with " + id
                                   : fmt::format("{} is ambiguous: {} torrents' ids start with it",
                                                 id, hits.size())};
      id = hits[0];
    }
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
  return out;
}

int do_add(client& c, const remote_options& o) {
  struct item {
    std::string label, target, type, body;
  };
  std::vector<item> items;  // every file is read before anything is sent
  for (const auto& arg : o.sources) {
    const std::string label = shown(arg.size() > 60 ? arg.substr(0, 57) + "..." : arg);
    if (metainfo::is_magnet(arg)) {
      json::object j{{"uri", arg}};
      if (!o.save_path.empty()) j["save_path"] = o.save_path;
      if (o.paused) j["paused"] = true;
      items.push_back({label, "/api/v1/torrents", "application/json", io::json_text(j)});
      continue;
    }
    std::error_code ec;
    const auto size = std::filesystem::file_size(arg, ec);
    if (ec) throw failure{exit_bad_input, label + ": " + ec.message()};
    if (size > static_cast<std::uintmax_t>(max_torrent_bytes))
      throw failure{exit_bad_input, label + ": over the API's limit of 16 MiB"};
    std::ifstream f(arg, std::ios::binary);
    std::ostringstream bytes;
    bytes << f.rdbuf();
    if (!f) throw failure{exit_bad_input, label + ": cannot read it"};
    // Every byte but the unreserved ones escaped: `+` would read as a space.
    std::string target = "/api/v1/torrents?paused=" + std::string(o.paused ? "true" : "false");
    if (!o.save_path.empty())
      target += "&save_path=" + urls::encode(o.save_path, urls::unreserved_chars);
    items.push_back({label, target, "application/x-bittorrent", bytes.str()});
  }
  int code = exit_ok;
  for (auto& it : items) {
    const reply r = c.call(http::verb::post, it.target, std::move(it.body), it.type);
    const auto t = object_of(r.body);
    if (r.status == 201) {
      fmt::print("{}  {}\n", str(t, "id"), shown(str(t, "name")));
      continue;
    }
    code = exit_failure;
    if (r.status == 409)
      fmt::print(stderr, "corrent: {}: already there (id {})\n", it.label, str(t, "id"));
    else
      fmt::print(stderr, "corrent: {}: {}\n", it.label, api_error(r));
  }
  return code;
}

int do_list(client& c, const remote_options& o) {
  const auto all = torrents(
      c, o.list_state.empty() ? "/api/v1/torrents" : "/api/v1/torrents?state=" + o.list_state);
  if (all.empty()) {
    fmt::print("no torrents{}\n", o.list_state.empty() ? "" : " in state " + o.list_state);
    return exit_ok;
  }
  static constexpr auto row = "{:<8}  {:<17}  {:>6}  {:>11}  {:>10}  {:>10}  {:>5}  {}\n";
  fmt::print(row, "ID", "STATE", "DONE", "SIZE", "DOWN", "UP", "PEERS", "NAME");
  for (const auto& t : all) {
    std::string name = shown(str(t, "name"));
    if (!str(t, "error").empty()) name += "  (" + shown(str(t, "error")) + ")";
    fmt::print(row, short_id(str(t, "id")), str(t, "state"),
               fmt::format("{:.1f}%", 100 * num(t, "progress")),
               whole(t, "size") > 0 ? human_size(whole(t, "size")) : "?",
               human_rate(num(t, "down_rate")), human_rate(num(t, "up_rate")), whole(t, "peers"),
               name);
  }
  return exit_ok;
}

int do_each(client& c, const remote_options& o, const std::string& action) {
  int code = exit_ok;
  for (const auto& id : resolve_ids(c, o.ids)) {
    const std::string at = "/api/v1/torrents/" + id;
    const reply r = action == "remove" ? c.call(http::verb::delete_,
                                                at + (o.delete_data ? "?delete_data=true" : ""))
                                       : c.call(http::verb::post, at + "/" + action);
    const auto t = object_of(r.body);
    if (r.status != 200) {
      fmt::print(stderr, "corrent: {}\n", api_error(r));
      code = exit_failure;
    } else if (action == "remove") {
      fmt::print("removed {}{}\n", id, o.delete_data ? " and its data" : "");
    } else {
      fmt::print("{} {}  {}  ({})\n", action == "pause" ? "paused" : "resumed", short_id(id),
                 shown(str(t, "name")), str(t, "state"));
    }
  }
  return code;
}

int do_stats(client& c) {
  const auto s = c.call_json(http::verb::get, "/api/v1/stats");
  const auto dht = whole(s, "dht_nodes");
  fmt::print(
      "torrents    {}\ndown        {}\nup          {}\ndownloaded  {}\nuploaded    {}\n"
      "peers       {}\ndht nodes   {}\n",
      whole(s, "torrents"), human_rate(num(s, "down_rate")), human_rate(num(s, "up_rate")),
      human_size(whole(s, "downloaded")), human_size(whole(s, "uploaded")), whole(s, "peers"),
      dht >= 0 ? std::to_string(dht) : "off");
  return exit_ok;
}

// Server-Sent Events out of a stream's bytes, as they come.

}  // namespace remote

using namespace remote;  // the subcommands

command_runner register_remote(CLI::App& app) {
  auto o = std::make_shared<remote_options>();
  auto* cmd = app.add_subcommand("remote", "drive a running `corrent daemon` over its HTTP API");
  cmd->add_option("--url", o->url, "the daemon's API (default http://127.0.0.1:9080/)");
  cmd->add_option("--state", o->state, "the daemon's state directory: use the URL in DIR/api-url");
  cmd->add_option("--user", o->user, "the API's user name (default admin)");
  cmd->add_option("--password-file", o->password_file,
                  "FILE whose first line is the API's password (sent as HTTP Basic)");
  cmd->require_subcommand(1);
  auto* add = cmd->add_subcommand("add", "add torrents: .torrent files (read here) or magnets");
  add->add_option("torrents", o->sources, "FILE.torrent or MAGNET")->required();
  add->add_option("--save-path", o->save_path, "where to save (inside the daemon's download dir)");
  add->add_flag("--paused", o->paused, "add without starting");
  auto* list = cmd->add_subcommand("list", "list the torrents");
  list->add_option("--state", o->list_state, "only the torrents in this state")
      ->check(CLI::IsMember({"fetching_metadata", "checking", "downloading", "seeding", "paused",
                             "finished", "error"}));
  const char* ids_help = "torrent ids, or unique prefixes of 6+ hex characters";
  auto* pause = cmd->add_subcommand("pause", "pause torrents");
  pause->add_option("ids", o->ids, ids_help)->required();
  auto* resume = cmd->add_subcommand("resume", "resume torrents");
  resume->add_option("ids", o->ids, ids_help)->required();
  auto* remove = cmd->add_subcommand("remove", "remove torrents");
  remove->add_option("ids", o->ids, ids_help)->required();
  remove->add_flag("--delete-data", o->delete_data, "also delete their downloaded data");
  auto* stats = cmd->add_subcommand("stats", "show the session's totals");
  auto* watch = cmd->add_subcommand("watch", "print the daemon's events until Ctrl-C");
  watch->add_flag("--stats", o->show_stats, "also print the once-a-second `stats` events");
  watch->add_option("--until-complete", o->until,
                    "exit 0 once this torrent completes (1 if it fails or is removed)");
  return [=] {
    try {
      const auto c = make_client(*o);
      if (add->parsed()) return do_add(*c, *o);
      if (list->parsed()) return do_list(*c, *o);
      if (pause->parsed()) return do_each(*c, *o, "pause");
      if (resume->parsed()) return do_each(*c, *o, "resume");
      if (remove->parsed()) return do_each(*c, *o, "remove");
      if (stats->parsed()) return do_stats(*c);
      if (watch->parsed()) return do_watch(*c, *o);
      return static_cast<int>(exit_bad_input);
    } catch (const failure& f) {
      fmt::print(stderr, "corrent: {}\n", f.message);
      return f.code;
    }
  };
}

}  // namespace corrent::cli
