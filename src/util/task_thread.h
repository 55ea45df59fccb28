// TaskThread: one background thread that runs posted tasks in order, so that a producer can hand
// off finished work (e.g. building an index once its table is loaded) and go on.
//
// Post() blocks while `max_pending` tasks already wait, which bounds the memory the waiting
// tasks hold. The first task that fails keeps its Status; tasks after it are dropped unrun.
// Wait() returns once every posted task ran (or was dropped) with that first failure, or OK.
// The destructor waits too, so tasks may reference the poster's locals that outlive the thread.
// Thread-safety: Post, failed and first_failure may be called from several producer threads;
// Wait from one of them.
#ifndef COFRE_UTIL_TASK_THREAD_H_
#define COFRE_UTIL_TASK_THREAD_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "util/status.h"

namespace cofre {

class TaskThread {
 public:
  using Task = std::function<Status()>;

  // `name`: the thread's name (util/thread_name.h).
  explicit TaskThread(size_t max_pending = 1, const char* name = "cofre-task");
  ~TaskThread();
  TaskThread(const TaskThread&) = delete;
  TaskThread& operator=(const TaskThread&) = delete;

  // Queues `task`, waiting while `max_pending` tasks are queued and not started.
  void Post(Task task);
  // Waits until the queue is drained; the first failure, or OK.
  Status Wait();
  // True once a task failed (the producer may stop early).
  bool failed();
  // The first failure so far, or OK; does not wait.
  Status first_failure();

 private:
  void Run();

  const size_t max_pending_;
  const char* const name_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Task> queue_;
  bool busy_ = false;
  bool stop_ = false;
  Status status_;
  std::thread thread_;
};

}  // namespace cofre

#endif  // COFRE_UTIL_TASK_THREAD_H_
