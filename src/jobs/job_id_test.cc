// JobIdGenerator: CockroachDB's unique_rowid layout, strict monotonicity under
// stalled and backwards clocks, uniqueness across threads.
#include "jobs/job_id.h"

#include <gtest/gtest.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace cofre {
namespace {

constexpr int64_t kSecondNs = 1000000000LL;

// Unix nanoseconds of a UTC calendar time, computed independently of the
// generator.
int64_t UtcNanos(int year, int mon, int day, int hour, int min, int sec, int64_t frac_nanos) {
  struct tm tm = {};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  return static_cast<int64_t>(timegm(&tm)) * kSecondNs + frac_nanos;
}

TEST(JobIdTest, EpochIsStartOf2015Utc) {
  EXPECT_EQ(JobIdGenerator::kEpochUnixNanos, UtcNanos(2015, 1, 1, 0, 0, 0, 0));
}

TEST(JobIdTest, LayoutIsTicksOf10MicrosecondsShiftedOverNodeId) {
  const int64_t t = UtcNanos(2026, 11, 28, 14, 51, 37, 120000000);
  JobIdGenerator gen(1, [t] { return t; });
  const int64_t id = gen.Next();
  const int64_t ticks = (t - UtcNanos(2015, 1, 1, 0, 0, 0, 0)) / 10000;
  EXPECT_EQ(id, (ticks << 15) | 1);
  EXPECT_GT(id, 0);
  EXPECT_EQ(JobIdGenerator::NodeIdOf(id), 1);
  EXPECT_EQ(JobIdGenerator::WallTimeNanosOf(id), t);
  // Same order of magnitude as CockroachDB job ids of the 2020s (19 decimal
  // digits).
  EXPECT_EQ(std::to_string(id).size(), 19u);
}

TEST(JobIdTest, SubTickTimesTruncateToTheTick) {
  const int64_t base = UtcNanos(2025, 6, 1, 0, 0, 0, 0);
  JobIdGenerator a(1, [base] { return base + 9999; });
  JobIdGenerator b(1, [base] { return base; });
  EXPECT_EQ(a.Next(), b.Next());
}

TEST(JobIdTest, OtherNodeIdsFillTheLow15Bits) {
  const int64_t t = UtcNanos(2025, 1, 1, 0, 0, 0, 0);
  JobIdGenerator gen(JobIdGenerator::kMaxNodeId, [t] { return t; });
  int64_t id = gen.Next();
  EXPECT_EQ(JobIdGenerator::NodeIdOf(id), 32767);
  EXPECT_EQ(JobIdGenerator::WallTimeNanosOf(id), t);
}

TEST(JobIdTest, StalledClockStillYieldsIncreasingIds) {
  const int64_t t = UtcNanos(2025, 3, 3, 3, 3, 3, 0);
  JobIdGenerator gen(1, [t] { return t; });
  int64_t prev = gen.Next();
  for (int i = 0; i < 10000; ++i) {
    int64_t id = gen.Next();
    ASSERT_EQ(id, prev + (int64_t{1} << 15));
    prev = id;
  }
}

TEST(JobIdTest, BackwardsClockStillYieldsIncreasingIds) {
  std::atomic<int64_t> now{UtcNanos(2025, 3, 3, 3, 3, 3, 0)};
  JobIdGenerator gen(1, [&] { return now.load(); });
  int64_t before = gen.Next();
  now -= 3600 * kSecondNs;  // an NTP step back by an hour
  int64_t after = gen.Next();
  EXPECT_GT(after, before);
  EXPECT_EQ(after, before + (int64_t{1} << 15));
  // Once the clock passes the old high-water mark, ids follow the clock again.
  now += 7200 * kSecondNs;
  int64_t later = gen.Next();
  EXPECT_EQ(JobIdGenerator::WallTimeNanosOf(later), now.load());
}

TEST(JobIdTest, ClockBeforeEpochCountsFromTheEpoch) {
  JobIdGenerator gen(1, [] { return int64_t{0}; });
  int64_t a = gen.Next(), b = gen.Next();
  EXPECT_GT(a, 0);
  EXPECT_GT(b, a);
}

TEST(JobIdTest, AdvancePastSkipsAheadButNeverBack) {
  const int64_t t = UtcNanos(2025, 1, 1, 0, 0, 0, 0);
  JobIdGenerator gen(1, [t] { return t; });
  int64_t first = gen.Next();
  int64_t collided = first + (int64_t{100} << 15);
  gen.AdvancePast(collided);
  int64_t next = gen.Next();
  EXPECT_GT(next, collided);
  gen.AdvancePast(first);  // behind us: no effect
  EXPECT_GT(gen.Next(), next);
}

TEST(JobIdTest, RealClockIdsAreNearNowAndUniqueAcrossThreads) {
  JobIdGenerator gen(1);
  const int64_t start = JobIdGenerator::SystemWallClockNanos();
  constexpr int kThreads = 4, kPerThread = 20000;
  std::vector<std::vector<int64_t>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      ids[t].reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i) ids[t].push_back(gen.Next());
    });
  }
  for (auto& th : threads) th.join();
  std::set<int64_t> all;
  for (const auto& v : ids) {
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
    EXPECT_EQ(std::adjacent_find(v.begin(), v.end()), v.end());
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(all.size(), size_t{kThreads * kPerThread});
  // 80 000 ids need 0.8 s of ticks at most; they may run ahead of the clock by
  // that much.
  const int64_t first_time = JobIdGenerator::WallTimeNanosOf(*all.begin());
  const int64_t last_time = JobIdGenerator::WallTimeNanosOf(*all.rbegin());
  EXPECT_GE(first_time, start - 10000);
  EXPECT_LE(last_time, JobIdGenerator::SystemWallClockNanos() + kSecondNs);
}

TEST(JobIdTest, DefaultGeneratorIsSharedAndIncreasing) {
  EXPECT_EQ(&JobIdGenerator::Default(), &JobIdGenerator::Default());
  int64_t a = NextJobId();
  int64_t b = JobIdGenerator::Default().Next();
  int64_t c = NextJobId();
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(JobIdGenerator::NodeIdOf(c), 1);
}

}  // namespace
}  // namespace cofre
