// daemon::event_log — the daemon's recent events, numbered, for its push stream (Server-
// Sent Events). A client that reconnects with the last id it saw gets what it missed while
// that is still in the buffer, or learns that it must resynchronise. Bounded: the oldest
// events fall out. Pure: the caller formats the data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace corrent::daemon {

struct event {
  std::uint64_t id = 0;  // 1, 2, 3, ... in order
  std::string type;      // "added", "state", ...
  std::string data;      // one line of JSON
};

class event_log {
 public:
  explicit event_log(std::size_t capacity = 1024) : capacity_(capacity == 0 ? 1 : capacity) {}

  // Appends an event; returns its id.
  std::uint64_t push(std::string type, std::string data);

  // The events after `after`, oldest first. Empty: nothing new. nullopt: some of them are
  // gone (or `after` is one we never gave out): the client must resynchronise.
  std::optional<std::vector<event>> since(std::uint64_t after) const;

  std::uint64_t last_id() const { return next_id_ - 1; }
  std::size_t size() const { return events_.size(); }

 private:
  std::size_t capacity_;
  std::uint64_t next_id_ = 1;
  std::deque<event> events_;
};

}  // namespace corrent::daemon
