#include "util/task_thread.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <vector>

namespace cofre {
namespace {

TEST(TaskThreadTest, RunsTasksInOrderOffTheCallingThread) {
  std::vector<int> order;
  const auto caller = std::this_thread::get_id();
  bool other_thread = true;
  {
    TaskThread worker(2);
    for (int i = 0; i < 50; ++i) {
      worker.Post([&, i] {
        other_thread = other_thread && std::this_thread::get_id() != caller;
        order.push_back(i);
        return Status::OK();
      });
    }
    ASSERT_TRUE(worker.Wait().ok());
    EXPECT_EQ(order.size(), 50u);
  }
  for (int i = 0; i < 50; ++i) EXPECT_EQ(order[i], i);
  EXPECT_TRUE(other_thread);
}

TEST(TaskThreadTest, KeepsTheFirstFailureAndDropsLaterTasks) {
  TaskThread worker;
  std::atomic<int> ran{0};
  worker.Post([&] {
    ++ran;
    return Status::OK();
  });
  worker.Post([&] {
    ++ran;
    return DataLossError("first");
  });
  worker.Post([&] {
    ++ran;
    return InternalError("second");
  });
  Status st = worker.Wait();
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.ToString().find("first"), std::string::npos);
  EXPECT_EQ(ran.load(), 2);
  EXPECT_TRUE(worker.failed());
}

TEST(TaskThreadTest, PostBlocksWhileTheQueueIsFull) {
  TaskThread worker(1);
  std::atomic<bool> release{false};
  std::atomic<int> done{0};
  worker.Post([&] {  // runs, blocking the thread
    while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ++done;
    return Status::OK();
  });
  worker.Post([&] {
    ++done;
    return Status::OK();
  });  // waits in the queue (1 pending)
  std::atomic<bool> third_posted{false};
  std::thread poster([&] {
    worker.Post([&] {
      ++done;
      return Status::OK();
    });
    third_posted = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(third_posted.load());
  release = true;
  poster.join();
  EXPECT_TRUE(worker.Wait().ok());
  EXPECT_EQ(done.load(), 3);
}

}  // namespace
}  // namespace cofre
