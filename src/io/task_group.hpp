// io::task_group — the coroutines one owner (a torrent, the session) runs: each spawned
// task is tracked, cancel() sends it terminal cancellation, join() waits until every task
// has ended. Nothing is spawned detached: an owner is destroyed only after its group is
// joined, so no task outlives what it uses.
//
// A cancelled task sees its pending operation fail with operation_aborted, and the next
// co_await of an asynchronous operation throws; exceptions that end a task are logged
// unless they are that cancellation. Single-threaded: used on the io_context's thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <list>
#include <string>

namespace corrent::io {

class task_group {
 public:
  task_group(boost::asio::any_io_executor ex, std::string name);
  ~task_group();
  task_group(const task_group&) = delete;
  task_group& operator=(const task_group&) = delete;

  void spawn(boost::asio::awaitable<void> task);
  // Terminal cancellation to every running task (spawn() still works afterwards).
  void cancel();
  // Until no task runs. The group must not be destroyed before this completes.
  boost::asio::awaitable<void> join();
  std::size_t size() const { return tasks_.size(); }
  bool empty() const { return tasks_.empty(); }

 private:
  struct entry {
    boost::asio::cancellation_signal signal;
    bool done = false;       // ended; erased at the next turn of the loop
    bool cancelled = false;  // cancel() reached it
  };
  void finish(std::list<entry>::iterator it);
  boost::asio::any_io_executor ex_;
  std::string name_;
  std::list<entry> tasks_;
  boost::asio::steady_timer idle_;
};

}  // namespace corrent::io
