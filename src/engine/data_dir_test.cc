// DataDir under concurrent opens: every Open sweeps databases/ for files the catalog does not
// name (what a killed restore left); a database being created or published by another
// connection at that moment must survive the sweep.
#include "engine/data_dir.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "util/status_matchers.h"

namespace cofre {
namespace {

namespace fs = std::filesystem;

class DataDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cofre-datadir-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(DataDirTest, OpeningNeverSweepsADatabaseBeingCreatedOrPublished) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<DataDir> writer, DataDir::Open(dir_.string()));
  std::atomic<bool> done{false};
  std::thread opener([&] {
    while (!done) {
      auto d = DataDir::Open(dir_.string());
      EXPECT_TRUE(d.ok()) << d.status().ToString();
    }
  });
  struct Join {
    std::atomic<bool>* done;
    std::thread* t;
    ~Join() {
      *done = true;
      t->join();
    }
  } join{&done, &opener};
  for (int i = 0; i < 150; ++i) {
    ASSERT_OK_AND_ASSIGN(DatabaseInfo created, writer->CreateDatabase("d"));
    EXPECT_TRUE(fs::exists(created.path)) << "created database swept, round " << i;
    // A restore's publication: a staging file moved into place and named in one step.
    ASSERT_OK_AND_ASSIGN(std::string staging, writer->NewStagingPath());
    {
      ASSERT_OK_AND_ASSIGN(SqliteDb db, OpenDatabaseFile(staging));
      ASSERT_THAT(db.Close(), IsOk());
    }
    ASSERT_THAT(writer->PublishDatabases({{"r", staging, false}}), IsOk());
    ASSERT_OK_AND_ASSIGN(DatabaseInfo published, writer->GetDatabase("r"));
    EXPECT_TRUE(fs::exists(published.path)) << "published database swept, round " << i;
    ASSERT_THAT(writer->DropDatabase("d", true), IsOk());
    ASSERT_THAT(writer->DropDatabase("r", true), IsOk());
  }
}

}  // namespace
}  // namespace cofre
