// JobRegistry's status machine for runner jobs: claim, pause/resume/cancel requests, adoption of
// a previous server's jobs, and the refusal to control a job run inside a statement.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "jobs/job_registry.h"

namespace cofre {
namespace {

class JobControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("job-control-test-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(path_);
    auto dir = DataDir::Open(path_.string());
    ASSERT_TRUE(dir.ok()) << dir.status().message();
    dir_ = std::move(*dir);
    jobs_ = std::make_unique<JobRegistry>(dir_.get());
    ASSERT_TRUE(jobs_->Init().ok());
  }
  void TearDown() override {
    jobs_.reset();
    dir_.reset();
    std::filesystem::remove_all(path_);
  }
  std::string Status(int64_t id) { return jobs_->Get(id)->status; }
  std::string Control(int64_t id, JobRegistry::Control c) {
    auto r = jobs_->RequestControl(id, c);
    return r.ok() ? *r : "error: " + r.status().message();
  }

  std::filesystem::path path_;
  std::unique_ptr<DataDir> dir_;
  std::unique_ptr<JobRegistry> jobs_;
};

using C = JobRegistry::Control;

TEST_F(JobControlTest, PauseResumeCancelTransitions) {
  auto id = jobs_->CreatePending("BACKUP", "BACKUP INTO 'x'", "alice", "spec");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(jobs_->Get(*id)->user, "alice");
  EXPECT_EQ(jobs_->Get(*id)->spec, "spec");
  EXPECT_EQ(Control(*id, C::kPause), "paused");  // pending: paused at once
  EXPECT_FALSE(*jobs_->Claim(*id, 1000));        // a paused job is not claimed
  EXPECT_EQ(Control(*id, C::kResume), "pending");
  EXPECT_TRUE(*jobs_->Claim(*id, 1000));
  EXPECT_EQ(Status(*id), "running");
  EXPECT_EQ(Control(*id, C::kPause), "pause-requested");
  EXPECT_EQ(Control(*id, C::kResume), "pending");  // still pausing: runs again once stopped
  EXPECT_TRUE(*jobs_->Claim(*id, 1000));
  EXPECT_EQ(Control(*id, C::kCancel), "cancel-requested");
  EXPECT_TRUE(*jobs_->Transition(*id, {"cancel-requested"}, "canceled"));
  EXPECT_EQ(Control(*id, C::kResume),
            "error: job " + std::to_string(*id) + " with status canceled cannot be resumed");
  EXPECT_EQ(Control(*id, C::kCancel), "canceled");
}

TEST_F(JobControlTest, AdoptsWhatAPreviousServerLeft) {
  auto running = jobs_->CreatePending("BACKUP", "a", "root", "s");
  auto pausing = jobs_->CreatePending("BACKUP", "b", "root", "s");
  auto canceling = jobs_->CreatePending("RESTORE", "c", "root", "s");
  for (auto id : {*running, *pausing, *canceling}) ASSERT_TRUE(*jobs_->Claim(id, 60000));
  ASSERT_EQ(Control(*pausing, C::kPause), "pause-requested");
  ASSERT_EQ(Control(*canceling, C::kCancel), "cancel-requested");
  auto adopted = jobs_->AdoptOrphans();
  ASSERT_TRUE(adopted.ok());
  EXPECT_EQ(*adopted, 2);
  EXPECT_EQ(Status(*running), "pending");
  EXPECT_EQ(Status(*pausing), "paused");
  // A job being canceled stays so: the runner claims it to remove what it wrote, then it is
  // canceled; claiming it neither runs it again nor counts a run.
  EXPECT_EQ(Status(*canceling), "cancel-requested");
  EXPECT_EQ(*jobs_->Pending(), (std::vector<int64_t>{*running, *canceling}));
  ASSERT_TRUE(*jobs_->Claim(*canceling, 60000));
  EXPECT_EQ(Status(*canceling), "cancel-requested");
}

TEST_F(JobControlTest, CancelingAPausedJobGoesThroughTheRunner) {
  auto id = jobs_->CreatePending("BACKUP", "b", "root", "s");
  ASSERT_TRUE(*jobs_->Claim(*id, 60000));
  ASSERT_EQ(Control(*id, C::kPause), "pause-requested");
  ASSERT_TRUE(*jobs_->Transition(*id, {"pause-requested"}, "paused"));
  ASSERT_TRUE(jobs_->SaveCheckpoint(*id, "finished spans").ok());
  EXPECT_EQ(*jobs_->Checkpoint(*id), "finished spans");
  EXPECT_EQ(Control(*id, C::kCancel), "cancel-requested");
  EXPECT_EQ(*jobs_->Pending(), std::vector<int64_t>{*id});
  EXPECT_TRUE(*jobs_->Transition(*id, {"cancel-requested"}, "canceled"));
  EXPECT_EQ(*jobs_->Checkpoint(*id), "");  // an ended job keeps no checkpoint
}

TEST_F(JobControlTest, AStatementsJobIsNotControlledHere) {
  auto id = jobs_->Start("BACKUP", "BACKUP INTO 'x'", "root");
  ASSERT_TRUE(id.ok());
  EXPECT_NE(Control(*id, C::kPause).find("runs inside a statement"), std::string::npos);
  EXPECT_EQ(*jobs_->AdoptOrphans(), 0);  // its liveness is its process, not a lease
  EXPECT_EQ(Status(*id), "running");
  auto shown = jobs_->ShowJobs(std::string("bob"));
  ASSERT_TRUE(shown.ok());
  EXPECT_TRUE(shown->rows.empty());
  EXPECT_EQ(jobs_->ShowJobs()->rows.size(), 1u);
}

}  // namespace
}  // namespace cofre
