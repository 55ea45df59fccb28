#include "util/task_thread.h"

#include "util/thread_name.h"

namespace cofre {

TaskThread::TaskThread(size_t max_pending, const char* name)
    : max_pending_(max_pending == 0 ? 1 : max_pending), name_(name), thread_([this] { Run(); }) {}

TaskThread::~TaskThread() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    changed_.wait(lock, [this] { return queue_.empty() && !busy_; });
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void TaskThread::Post(Task task) {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [this] { return queue_.size() < max_pending_; });
  queue_.push_back(std::move(task));
  changed_.notify_all();
}

Status TaskThread::Wait() {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [this] { return queue_.empty() && !busy_; });
  return status_;
}

bool TaskThread::failed() {
  std::lock_guard<std::mutex> lock(mu_);
  return !status_.ok();
}

Status TaskThread::first_failure() {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

void TaskThread::Run() {
  NameThisThread(name_);
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    changed_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop_ with nothing left
    Task task = std::move(queue_.front());
    queue_.pop_front();
    const bool skip = !status_.ok();
    busy_ = true;
    changed_.notify_all();  // room in the queue
    lock.unlock();
    Status st = skip ? Status::OK() : task();
    task = nullptr;  // release what the task held before reporting idle
    lock.lock();
    if (status_.ok() && !st.ok()) status_ = std::move(st);
    busy_ = false;
    changed_.notify_all();
  }
}

}  // namespace cofre
