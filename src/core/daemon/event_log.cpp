#include "core/daemon/event_log.hpp"

#include <utility>

namespace corrent::daemon {

std::uint64_t event_log::push(std::string type, std::string data) {
  const std::uint64_t id = next_id_++;
  events_.push_back(event{id, std::move(type), std::move(data)});
  while (events_.size() > capacity_) events_.pop_front();
  return id;
}

std::optional<std::vector<event>> event_log::since(std::uint64_t after) const {
  if (after > last_id()) return std::nullopt;  // an id from another run
  std::vector<event> out;
  if (after == last_id()) return out;
  // The first event wanted is after + 1: it must still be here.
  if (events_.empty() || events_.front().id > after + 1) return std::nullopt;
  const std::size_t first = static_cast<std::size_t>(after + 1 - events_.front().id);
  out.assign(events_.begin() + static_cast<std::ptrdiff_t>(first), events_.end());
  return out;
}

}  // namespace corrent::daemon
