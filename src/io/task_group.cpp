#include "io/task_group.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

namespace corrent::io {
namespace asio = boost::asio;

task_group::task_group(asio::any_io_executor ex, std::string name)
    : ex_(ex), name_(std::move(name)), idle_(ex) {
  // Never re-armed: cancel() wakes every joiner, and a new wait waits again.
  idle_.expires_at(asio::steady_timer::time_point::max());
}

task_group::~task_group() {
  if (!tasks_.empty()) spdlog::error("internal error: task group {} destroyed with {} tasks", name_,
                                     tasks_.size());
}

// Tasks start from the event loop, never inline inside spawn(): a task started inline
// runs inside its caller, and if the caller then cancels the group (a torrent's end
// stopping it) Asio 1.81 throws out of the finished task's entry point. (An executor
// with blocking.never did the same for the start, but also made every resumption of
// every task a post: 4,000 more epoll_wait calls per GiB downloaded.) A task cancelled
// before it started never starts.
void task_group::spawn(asio::awaitable<void> task) {
  auto it = tasks_.emplace(tasks_.end());
  asio::post(ex_, [this, it, task = std::move(task)]() mutable {
    if (it->cancelled) {
      finish(it);
      return;
    }
    asio::co_spawn(ex_, std::move(task),
                   asio::bind_cancellation_slot(it->signal.slot(), [this, it](std::exception_ptr e) {
                     if (e) {
                       try {
                         std::rethrow_exception(e);
                       } catch (const boost::system::system_error& ex) {
                         if (ex.code() != asio::error::operation_aborted)
                           spdlog::error("internal error in {}: {}", name_, ex.what());
                       } catch (const std::exception& ex) {
                         spdlog::error("internal error in {}: {}", name_, ex.what());
                       }
                     }
                     // Erased once co_spawn has unwound: its cancellation handler lives
                     // in the entry's signal until then.
                     asio::post(ex_, [this, it] { finish(it); });
                     it->done = true;
                   }));
  });
}

void task_group::finish(std::list<entry>::iterator it) {
  tasks_.erase(it);
  if (tasks_.empty()) idle_.cancel();
}

void task_group::cancel() {
  for (auto& t : tasks_) {
    if (t.done) continue;
    t.cancelled = true;  // not started yet: it never will
    t.signal.emit(asio::cancellation_type::terminal);
  }
}

asio::awaitable<void> task_group::join() {
  while (!tasks_.empty()) co_await idle_.async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace corrent::io
