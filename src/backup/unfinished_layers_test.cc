#include "backup/unfinished_layers.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "backup/collection.h"
#include "storage/memory_storage.h"

namespace cofre {
namespace {

constexpr char kMine[] = "0123456789abcdef0123456789abcdef";
constexpr char kOther[] = "fedcba9876543210fedcba9876543210";
constexpr char kDir[] = "2026/11/28-145137.12";
constexpr char kIncDir[] = "incrementals/2026/11/28-145137.12/20261129/101010.00";

std::string Lock(const std::string& data_dir_id, int64_t job_id) {
  return EncodeBackupLock({data_dir_id, job_id, 4242, "host-a", 1795000000000000});
}

// A layer directory as a killed backup leaves it: lock, ENCRYPTION-INFO, some data files.
void PlantUnfinished(MemoryStorage& s, const std::string& dir, const std::string& lock) {
  if (!lock.empty()) s.PutRaw(dir + "/BACKUP-LOCK", lock);
  s.PutRaw(dir + "/ENCRYPTION-INFO", "info");
  s.PutRaw(dir + "/data/1.cfd", std::string(1000, 'x'));
  s.PutRaw(dir + "/data/2.cfd", std::string(500, 'y'));
}

class UnfinishedLayersTest : public ::testing::Test {
 protected:
  UnfinishedLayersTest() {
    storage_.collection = &coll_;
    // A complete backup that nothing may touch.
    coll_.PutRaw("LATEST", "/2026/11/27-101010.00");
    coll_.PutRaw("2026/11/27-101010.00/BACKUP_MANIFEST", "m");
    coll_.PutRaw("2026/11/27-101010.00/data/1.cfd", "d");
  }
  std::vector<std::string> Kept() const {
    return {"2026/11/27-101010.00/BACKUP_MANIFEST", "2026/11/27-101010.00/data/1.cfd", "LATEST"};
  }
  MemoryStorage coll_{"mem://coll"};
  ChainStorage storage_;
};

TEST_F(UnfinishedLayersTest, LockRoundTrips) {
  BackupLock lock{kMine, -7, 99, "my host\n", 123};
  StatusOr<BackupLock> back = ParseBackupLock(EncodeBackupLock(lock));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->data_dir_id, kMine);
  EXPECT_EQ(back->job_id, -7);
  EXPECT_EQ(back->pid, 99);
  EXPECT_EQ(back->host, "my_host_");
  EXPECT_EQ(back->started_micros, 123);
  EXPECT_FALSE(ParseBackupLock("").ok());
  EXPECT_FALSE(ParseBackupLock("cofre-backup-lock 2\ndata_dir_id a\njob_id 1\n").ok());
  EXPECT_FALSE(ParseBackupLock("cofre-backup-lock 1\njob_id 1\n").ok());
  EXPECT_FALSE(ParseBackupLock("cofre-backup-lock 1\ndata_dir_id a\njob_id x\n").ok());
  // Unknown keys are ignored.
  EXPECT_TRUE(ParseBackupLock("cofre-backup-lock 1\ndata_dir_id a\njob_id 1\nnew_key v\n").ok());
}

TEST_F(UnfinishedLayersTest, RemovesTheOwnersAbandonedDirectory) {
  PlantUnfinished(coll_, kDir, Lock(kMine, 7));
  auto outcome = RemoveAbandonedLayer(storage_, LayerKind::kFull, kDir, kMine, 7);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  EXPECT_EQ(*outcome, AbandonedLayer::kRemoved);
  EXPECT_EQ(coll_.ObjectPaths(), Kept());
  // Again: nothing left to do, still fine.
  outcome = RemoveAbandonedLayer(storage_, LayerKind::kFull, kDir, kMine, 7);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(*outcome, AbandonedLayer::kRemoved);
}

TEST_F(UnfinishedLayersTest, LeavesDirectoriesOfOtherOwnersAlone) {
  // Another data directory's in-progress backup, another job of ours, a malformed lock, no lock.
  for (const std::string& lock :
       {Lock(kOther, 7), Lock(kMine, 8), std::string("garbage"), std::string()}) {
    MemoryStorage coll("mem://coll");
    ChainStorage storage;
    storage.collection = &coll;
    PlantUnfinished(coll, kDir, lock);
    const std::vector<std::string> before = coll.ObjectPaths();
    auto outcome = RemoveAbandonedLayer(storage, LayerKind::kFull, kDir, kMine, 7);
    ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
    EXPECT_EQ(*outcome, AbandonedLayer::kNotOwned) << lock;
    EXPECT_EQ(coll.ObjectPaths(), before) << lock;
  }
}

TEST_F(UnfinishedLayersTest, NeverTouchesACommittedDirectory) {
  PlantUnfinished(coll_, kDir, Lock(kMine, 7));
  coll_.PutRaw(std::string(kDir) + "/BACKUP_MANIFEST", "m");
  std::vector<std::string> before = coll_.ObjectPaths();
  // Another owner's lock beside a manifest: nothing at all is touched.
  coll_.PutRaw(std::string(kDir) + "/BACKUP-LOCK", Lock(kOther, 7));
  auto outcome = RemoveAbandonedLayer(storage_, LayerKind::kFull, kDir, kMine, 7);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(*outcome, AbandonedLayer::kCommitted);
  EXPECT_EQ(coll_.ObjectPaths(), before);
  // The owner's stale lock (killed between the commit and its deletion) goes, nothing else.
  coll_.PutRaw(std::string(kDir) + "/BACKUP-LOCK", Lock(kMine, 7));
  outcome = RemoveAbandonedLayer(storage_, LayerKind::kFull, kDir, kMine, 7);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(*outcome, AbandonedLayer::kCommitted);
  before.erase(std::find(before.begin(), before.end(), std::string(kDir) + "/BACKUP-LOCK"));
  EXPECT_EQ(coll_.ObjectPaths(), before);
}

TEST_F(UnfinishedLayersTest, IncrementalLayersInTheirLocationAndLocalities) {
  MemoryStorage incloc("mem://incloc"), west("mem://west");
  // In an incremental_location: the layer directory is there, not in the collection.
  storage_.incremental_location = &incloc;
  const std::string dir = "2026/11/28-145137.12/20261129/101010.00";
  PlantUnfinished(incloc, dir, Lock(kMine, 9));
  // The collection holds a full backup under the same subdir: never touched.
  coll_.PutRaw("2026/11/28-145137.12/BACKUP_MANIFEST", "m");
  const std::vector<std::string> coll_before = coll_.ObjectPaths();
  auto outcome = RemoveAbandonedLayer(storage_, LayerKind::kIncremental, dir, kMine, 9);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(*outcome, AbandonedLayer::kRemoved);
  EXPECT_EQ(incloc.ObjectCount(), 0u);
  EXPECT_EQ(coll_.ObjectPaths(), coll_before);

  // Locality-aware: data files went to another locality's collection, same relative path.
  ChainStorage loc;
  loc.collection = &coll_;
  loc.localities["region=west"] = &west;
  coll_.PutRaw(std::string(kIncDir) + "/BACKUP-LOCK", Lock(kMine, 10));
  west.PutRaw(std::string(kIncDir) + "/data/1.cfd", "d");
  west.PutRaw("2026/11/27-101010.00/data/2.cfd", "kept");
  outcome = RemoveAbandonedLayer(loc, LayerKind::kIncremental, kIncDir, kMine, 10);
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(*outcome, AbandonedLayer::kRemoved);
  EXPECT_EQ(west.ObjectPaths(), std::vector<std::string>{"2026/11/27-101010.00/data/2.cfd"});
  EXPECT_EQ(coll_.ObjectPaths(), coll_before);
}

TEST_F(UnfinishedLayersTest, GuardRemovesWhatAFailedBackupWrote) {
  LayerOwnership ownership;
  ownership.lock = {kMine, 11, 1, "h", 2};
  std::vector<std::string> claimed;
  ownership.claim = [&](LayerKind kind, const std::string& dir) {
    EXPECT_EQ(kind, LayerKind::kFull);
    claimed.push_back(dir);
    return Status::OK();
  };
  ASSERT_TRUE(ClaimLayer(storage_, LayerKind::kFull, kDir, ownership).ok());
  EXPECT_EQ(claimed, std::vector<std::string>{kDir});
  auto lock = ReadSmallFile(coll_, std::string(kDir) + "/BACKUP-LOCK");
  ASSERT_TRUE(lock.ok());
  EXPECT_EQ(*ParseBackupLock(*lock), ownership.lock);
  {
    UnfinishedLayerGuard guard(storage_, LayerKind::kFull, kDir);
    PlantUnfinished(coll_, kDir, "");
    coll_.PutRaw(std::string(kDir) + "/BACKUP_MANIFEST", "m");  // LATEST then failed
  }
  EXPECT_EQ(coll_.ObjectPaths(), Kept());

  // A committed layer keeps its files and loses its lock.
  ASSERT_TRUE(ClaimLayer(storage_, LayerKind::kFull, kDir, ownership).ok());
  {
    UnfinishedLayerGuard guard(storage_, LayerKind::kFull, kDir);
    PlantUnfinished(coll_, kDir, "");
    coll_.PutRaw(std::string(kDir) + "/BACKUP_MANIFEST", "m");
    guard.Commit();
  }
  EXPECT_FALSE(coll_.GetRaw(std::string(kDir) + "/BACKUP-LOCK").ok());
  EXPECT_TRUE(coll_.GetRaw(std::string(kDir) + "/BACKUP_MANIFEST").ok());
  EXPECT_EQ(coll_.ObjectCount(), Kept().size() + 4);
}

TEST_F(UnfinishedLayersTest, AFailedClaimWritesNothing) {
  LayerOwnership ownership;
  ownership.lock = {kMine, 12, 1, "h", 2};
  ownership.claim = [](LayerKind, const std::string&) {
    return InternalError("the job record could not be written");
  };
  EXPECT_FALSE(ClaimLayer(storage_, LayerKind::kFull, kDir, ownership).ok());
  EXPECT_EQ(coll_.ObjectPaths(), Kept());
}

}  // namespace
}  // namespace cofre
