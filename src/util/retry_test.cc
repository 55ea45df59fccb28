#include "util/retry.h"

#include <gtest/gtest.h>

#include <chrono>

namespace cofre {
namespace {

RetrySettings Fast() {
  RetrySettings s;
  s.max_attempts = 5;
  s.initial_backoff = std::chrono::milliseconds(1);
  s.max_backoff = std::chrono::milliseconds(4);
  s.total_budget = std::chrono::milliseconds(5000);
  return s;
}

TEST(Retry, SucceedsAfterTransientFailures) {
  int calls = 0;
  Status s = Retry(Fast(), "test op", [&](int attempt) {
    EXPECT_EQ(attempt, ++calls);
    return calls < 3 ? UnavailableError("flaky") : Status::OK();
  });
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(calls, 3);
}

TEST(Retry, DoesNotRetryOtherErrors) {
  for (Status err : {NotFoundError("x"), PermissionDeniedError("x"), DataLossError("x"),
                     InvalidArgumentError("x")}) {
    int calls = 0;
    Status s = Retry(Fast(), "op", [&](int) {
      ++calls;
      return err;
    });
    EXPECT_EQ(s.code(), err.code());
    EXPECT_EQ(calls, 1);
  }
}

TEST(Retry, GivesUpAfterMaxAttemptsWithClearMessage) {
  int calls = 0;
  Status s = Retry(Fast(), "PUT s3://b/k", [&](int) {
    ++calls;
    return UnavailableError("503 SlowDown");
  });
  EXPECT_EQ(calls, 5);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("PUT s3://b/k failed after 5 attempts"), std::string::npos);
  EXPECT_NE(s.message().find("503 SlowDown"), std::string::npos);
}

TEST(Retry, StopsWhenTotalBudgetIsSpent) {
  RetrySettings s = Fast();
  s.max_attempts = 1000;
  s.initial_backoff = std::chrono::milliseconds(20);
  s.max_backoff = std::chrono::milliseconds(20);
  s.total_budget = std::chrono::milliseconds(150);
  int calls = 0;
  auto start = std::chrono::steady_clock::now();
  Status st = Retry(s, "op", [&](int) {
    ++calls;
    return UnavailableError("down");
  });
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_LT(calls, 1000);
  EXPECT_GE(calls, 2);
  EXPECT_LT(took, std::chrono::milliseconds(1000));
}

TEST(Retry, RejectsInvalidSettings) {
  RetrySettings s;
  s.max_attempts = 0;
  EXPECT_EQ(Retry(s, "op", [](int) { return Status::OK(); }).code(), StatusCode::kInvalidArgument);
}

TEST(RetryBackoff, CapDoublesUpToMaxAndSleepsStayUnderCap) {
  RetrySettings s;
  s.initial_backoff = std::chrono::milliseconds(100);
  s.max_backoff = std::chrono::milliseconds(1000);
  RetryBackoff b(s, 42);
  EXPECT_EQ(b.Cap(1).count(), 100);
  EXPECT_EQ(b.Cap(2).count(), 200);
  EXPECT_EQ(b.Cap(4).count(), 800);
  EXPECT_EQ(b.Cap(5).count(), 1000);
  EXPECT_EQ(b.Cap(60).count(), 1000);
  int64_t sum = 0;
  for (int i = 0; i < 1000; ++i) {
    auto d = b.Next(3);
    EXPECT_GE(d.count(), 0);
    EXPECT_LE(d.count(), 400);
    sum += d.count();
  }
  // Full jitter: uniform over [0, 400], so the mean is near 200.
  EXPECT_NEAR(sum / 1000.0, 200, 30);
}

}  // namespace
}  // namespace cofre
