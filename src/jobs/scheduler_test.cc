// Scheduler: the schedule state machine of docs/architecture.md §8 driven tick by tick on a real
// system database: due schedules start one job, missed times run once, a full schedule's first
// success resumes its incremental, on_previous_running (wait/skip/start, incrementals always
// wait) and on_execution_failure (retry/reschedule/pause) for failed jobs and runs that could
// not start.
#include "jobs/scheduler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "util/status_matchers.h"

namespace cofre {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr int64_t kSecondUs = 1000000;
// 2026-12-04 17:10:30 UTC.
constexpr int64_t kNow = 1796404230LL * kSecondUs;

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("scheduler-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(path_);
    auto dir = DataDir::Open(path_.string());
    ASSERT_THAT(dir.status(), IsOk());
    dir_ = std::move(*dir);
    jobs_ = std::make_unique<JobRegistry>(dir_.get());
    ASSERT_THAT(jobs_->Init(), IsOk());
    schedules_ = std::make_unique<ScheduleRegistry>(dir_.get());
    ASSERT_THAT(schedules_->Init(), IsOk());
    SchedulerOptions o;
    o.data_dir = path_.string();
    o.retry_delay = std::chrono::milliseconds(5000);
    o.job_created = [this] { ++notified_; };
    auto s = Scheduler::Open(o, [this](const ScheduleRecord& r, JobRegistry* jobs) {
      if (!fail_start_.empty()) return StatusOr<int64_t>(UnavailableError(fail_start_));
      return jobs->CreatePending("BACKUP", r.description, r.owner, "spec");
    });
    ASSERT_THAT(s.status(), IsOk());
    scheduler_ = std::move(*s);
  }
  void TearDown() override {
    scheduler_.reset();
    schedules_.reset();
    jobs_.reset();
    dir_.reset();
    std::filesystem::remove_all(path_);
  }

  ScheduleRecord Record(const std::string& cron, int type = 0) {
    ScheduleRecord r;
    r.label = "nightly";
    r.owner = "root";
    r.backup_type = type;
    r.recurrence = cron;
    r.database = "defaultdb";
    r.sealed_statement = "sealed";
    r.description = type ? "BACKUP INTO LATEST IN 'x'" : "BACKUP INTO 'x'";
    return r;
  }
  ScheduleRecord Get(int64_t id) { return *schedules_->Get(id); }
  std::vector<int64_t> Jobs(int64_t id) { return *schedules_->Jobs(id); }
  void Tick(int64_t now) { ASSERT_THAT(scheduler_->Tick(now), IsOk()); }
  void Finish(int64_t job, bool ok) {
    ASSERT_THAT(jobs_->Claim(job, 1000).status(), IsOk());
    if (ok) {
      ASSERT_THAT(jobs_->Succeed(job, 1, 0, 10), IsOk());
    } else {
      ASSERT_THAT(jobs_->Fail(job, "storage unreachable"), IsOk());
    }
  }

  std::filesystem::path path_;
  std::unique_ptr<DataDir> dir_;
  std::unique_ptr<JobRegistry> jobs_;
  std::unique_ptr<ScheduleRegistry> schedules_;
  std::unique_ptr<Scheduler> scheduler_;
  std::string fail_start_;
  int notified_ = 0;
};

TEST_F(SchedulerTest, PairRunsFullThenResumesIncremental) {
  ScheduleRecord full = Record("0 * * * *"), inc = Record("*/5 * * * *", 1);
  full.next_run_us = kNow;
  inc.state = "Waiting for initial backup to complete";
  ASSERT_THAT(schedules_->CreatePair(&full, &inc), IsOk());
  EXPECT_EQ(Get(full.id).dependent_id, inc.id);
  EXPECT_EQ(Get(inc.id).dependent_id, full.id);
  EXPECT_EQ(Get(full.id).unpause_on_success, inc.id);

  Tick(kNow);
  ASSERT_THAT(Jobs(full.id), SizeIs(1));
  EXPECT_THAT(Jobs(inc.id), IsEmpty());
  EXPECT_EQ(notified_, 1);
  EXPECT_EQ(*Get(full.id).next_run_us, (1796407200LL) * kSecondUs);  // 18:00:00
  EXPECT_FALSE(Get(inc.id).next_run_us.has_value());

  Finish(Jobs(full.id)[0], true);
  Tick(kNow + 10 * kSecondUs);
  ScheduleRecord resumed = Get(inc.id);
  ASSERT_TRUE(resumed.next_run_us.has_value());
  EXPECT_EQ(*resumed.next_run_us, 1796404500LL * kSecondUs);  // 17:15:00
  EXPECT_EQ(resumed.state, "");
  EXPECT_EQ(Get(full.id).unpause_on_success, 0);

  Tick(*resumed.next_run_us);
  EXPECT_THAT(Jobs(inc.id), SizeIs(1));
}

TEST_F(SchedulerTest, MissedTimesRunOnce) {
  ScheduleRecord s = Record("* * * * * *");      // every second
  s.next_run_us = kNow - 3 * 86400 * kSecondUs;  // three days of missed runs
  ASSERT_THAT(schedules_->CreatePair(&s, nullptr), IsOk());
  Tick(kNow);
  Tick(kNow);
  EXPECT_THAT(Jobs(s.id), SizeIs(1));
  EXPECT_EQ(*Get(s.id).next_run_us, kNow + kSecondUs);
}

TEST_F(SchedulerTest, PreviousRunningWaitSkipStart) {
  ScheduleRecord wait = Record("*/10 * * * * *"), skip = Record("*/10 * * * * *"),
                 start = Record("*/10 * * * * *"), inc = Record("*/10 * * * * *", 1);
  skip.on_previous_running = "skip";
  start.on_previous_running = "start";
  inc.on_previous_running = "start";  // ignored: incrementals always wait
  for (ScheduleRecord* s : {&wait, &skip, &start, &inc}) {
    s->next_run_us = kNow;
    ASSERT_THAT(schedules_->CreatePair(s, nullptr), IsOk());
  }
  Tick(kNow);
  for (ScheduleRecord* s : {&wait, &skip, &start, &inc}) ASSERT_THAT(Jobs(s->id), SizeIs(1));
  const int64_t later = kNow + 20 * kSecondUs;
  Tick(later);
  EXPECT_THAT(Jobs(wait.id), SizeIs(1));
  EXPECT_THAT(Get(wait.id).state, HasSubstr("waiting: job"));
  EXPECT_LE(*Get(wait.id).next_run_us, later);  // still due: runs once the job ends
  EXPECT_THAT(Jobs(skip.id), SizeIs(1));
  EXPECT_THAT(Get(skip.id).state, HasSubstr("skipped: job"));
  EXPECT_GT(*Get(skip.id).next_run_us, later);
  EXPECT_THAT(Jobs(start.id), SizeIs(2));
  EXPECT_THAT(Jobs(inc.id), SizeIs(1));

  Finish(Jobs(wait.id)[0], true);
  Tick(later + kSecondUs);
  EXPECT_THAT(Jobs(wait.id), SizeIs(2));
  EXPECT_EQ(Get(wait.id).state, "");
}

TEST_F(SchedulerTest, FailurePolicies) {
  ScheduleRecord retry = Record("0 0 * * *"), resched = Record("0 0 * * *"),
                 pause = Record("0 0 * * *");
  retry.on_execution_failure = "retry";
  pause.on_execution_failure = "pause";
  for (ScheduleRecord* s : {&retry, &resched, &pause}) {
    s->next_run_us = kNow;
    ASSERT_THAT(schedules_->CreatePair(s, nullptr), IsOk());
  }
  Tick(kNow);
  const int64_t midnight = 1796428800LL * kSecondUs;  // 2026-12-05 00:00:00
  for (ScheduleRecord* s : {&retry, &resched, &pause}) {
    ASSERT_THAT(Jobs(s->id), SizeIs(1));
    EXPECT_EQ(*Get(s->id).next_run_us, midnight);
    Finish(Jobs(s->id)[0], false);
  }
  const int64_t t = kNow + 60 * kSecondUs;
  Tick(t);
  EXPECT_EQ(*Get(retry.id).next_run_us, t + 5 * kSecondUs);
  EXPECT_THAT(Get(retry.id).state, HasSubstr("retrying: job"));
  EXPECT_THAT(Get(retry.id).state, HasSubstr("failed: storage unreachable"));
  EXPECT_EQ(*Get(resched.id).next_run_us, midnight);
  EXPECT_THAT(Get(resched.id).state, HasSubstr("reschedule: job"));
  EXPECT_FALSE(Get(pause.id).next_run_us.has_value());
  EXPECT_THAT(Get(pause.id).state, HasSubstr("paused: job"));
  // The retry runs after its delay, and a success clears the state.
  Tick(t + 5 * kSecondUs);
  ASSERT_THAT(Jobs(retry.id), SizeIs(2));
  Finish(Jobs(retry.id)[0], true);
  Tick(t + 6 * kSecondUs);
  EXPECT_EQ(Get(retry.id).state, "");
  EXPECT_EQ(*Get(retry.id).next_run_us, midnight);
}

TEST_F(SchedulerTest, RunThatCannotStartFollowsThePolicy) {
  ScheduleRecord pause = Record("0 0 * * *"), resched = Record("0 0 * * *");
  pause.on_execution_failure = "pause";
  for (ScheduleRecord* s : {&pause, &resched}) {
    s->next_run_us = kNow;
    ASSERT_THAT(schedules_->CreatePair(s, nullptr), IsOk());
  }
  fail_start_ = "the node key cannot open this schedule's statement";
  Tick(kNow);
  EXPECT_THAT(Jobs(pause.id), IsEmpty());
  EXPECT_FALSE(Get(pause.id).next_run_us.has_value());
  EXPECT_THAT(Get(pause.id).state, HasSubstr("paused: the node key"));
  EXPECT_EQ(*Get(resched.id).next_run_us, 1796428800LL * kSecondUs);
  EXPECT_THAT(Get(resched.id).state, HasSubstr("reschedule: the node key"));
  EXPECT_EQ(notified_, 0);
}

TEST_F(SchedulerTest, DroppedScheduleSettlesAndUnlinks) {
  ScheduleRecord full = Record("0 * * * *"), inc = Record("*/5 * * * *", 1);
  full.next_run_us = kNow;
  ASSERT_THAT(schedules_->CreatePair(&full, &inc), IsOk());
  Tick(kNow);
  ASSERT_THAT(Jobs(full.id), SizeIs(1));
  ASSERT_THAT(schedules_->Drop(full.id), IsOk());
  EXPECT_EQ(Get(inc.id).dependent_id, 0);
  EXPECT_THAT(schedules_->Get(full.id).status(), StatusIs(StatusCode::kNotFound));
  EXPECT_THAT(schedules_->Drop(full.id), StatusIs(StatusCode::kNotFound));
  Finish(Jobs(full.id)[0], false);
  Tick(kNow + kSecondUs);  // nothing left to settle against
  EXPECT_THAT(*schedules_->UnsettledFinishedJobs(), IsEmpty());
}

}  // namespace
}  // namespace cofre
