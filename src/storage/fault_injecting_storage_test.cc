// FaultInjectingStorage: rules fire on the right operations, failures are
// sticky for writers and publish nothing, after-effect failures take effect,
// and reads can be truncated or bit-flipped.
#include "storage/fault_injecting_storage.h"

#include <gtest/gtest.h>

#include "storage/local_storage.h"
#include "storage/memory_storage.h"
#include "storage/storage_test_helpers.h"

namespace cofre {
namespace {

using storage_testing::ListToStrings;
using storage_testing::TempDir;

class FaultInjectingStorageTest : public ::testing::Test {
 protected:
  MemoryStorage mem_{"mem://faults"};
  FaultInjectingStorage faulty_{&mem_};
};

TEST_F(FaultInjectingStorageTest, PassesThroughAndCountsWithoutRules) {
  ASSERT_TRUE(WriteSmallFile(faulty_, "a", "hello").ok());
  auto got = ReadSmallFile(faulty_, "a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "hello");
  ASSERT_TRUE(faulty_.Delete("a").ok());
  EXPECT_EQ(faulty_.OpCount(StorageOp::kNewWriter), 1u);
  EXPECT_EQ(faulty_.OpCount(StorageOp::kAppend), 1u);
  EXPECT_EQ(faulty_.OpCount(StorageOp::kClose), 1u);
  EXPECT_EQ(faulty_.OpCount(StorageOp::kNewReader), 1u);
  EXPECT_GE(faulty_.OpCount(StorageOp::kRead), 2u);
  EXPECT_EQ(faulty_.OpCount(StorageOp::kDelete), 1u);
  EXPECT_EQ(faulty_.InjectedFailureCount(), 0u);
  EXPECT_EQ(faulty_.RedactedUri(), "mem://faults");
}

TEST_F(FaultInjectingStorageTest, FailsTheNthAppendStickilyAndPublishesNothing) {
  FaultRule rule;
  rule.op = StorageOp::kAppend;
  rule.nth = 3;
  rule.error = UnavailableError("injected: connection reset");
  faulty_.AddRule(rule);
  auto writer = faulty_.NewWriter("data/1.cfd");
  ASSERT_TRUE(writer.ok());
  EXPECT_TRUE((*writer)->Append("1").ok());
  EXPECT_TRUE((*writer)->Append("2").ok());
  Status s = (*writer)->Append("3");
  EXPECT_TRUE(IsUnavailable(s));
  EXPECT_EQ(s.message(), "injected: connection reset");
  EXPECT_TRUE(IsUnavailable((*writer)->Append("4")));
  EXPECT_TRUE(IsUnavailable((*writer)->Close()));
  EXPECT_EQ(mem_.ObjectCount(), 0u);
  EXPECT_EQ(mem_.OpenWriterCount(), 0);
  EXPECT_EQ((*writer)->BytesAppended(), 2u);
  // The 4th append was refused before counting; a new writer works (nth fired
  // once).
  ASSERT_TRUE(WriteSmallFile(faulty_, "data/1.cfd", "ok").ok());
  EXPECT_EQ(faulty_.InjectedFailureCount(), 1u);
}

TEST_F(FaultInjectingStorageTest, FailsEveryNthOperationOnMatchingPathsUpToALimit) {
  FaultRule rule;
  rule.op = StorageOp::kClose;
  rule.every = 2;
  rule.max_failures = 2;
  rule.path_contains = "data/";
  rule.error = ResourceExhaustedError("injected: quota");
  faulty_.AddRule(rule);
  std::vector<StatusCode> codes;
  for (int i = 0; i < 6; ++i) {
    codes.push_back(WriteSmallFile(faulty_, "data/" + std::to_string(i), "x").code());
    ASSERT_TRUE(WriteSmallFile(faulty_, "other/" + std::to_string(i), "x").ok());
  }
  EXPECT_EQ(codes, (std::vector<StatusCode>{StatusCode::kOk, StatusCode::kResourceExhausted,
                                            StatusCode::kOk, StatusCode::kResourceExhausted,
                                            StatusCode::kOk, StatusCode::kOk}));
  EXPECT_EQ(ListToStrings(mem_, "data/", ""),
            (std::vector<std::string>{"data/0:1", "data/2:1", "data/4:1", "data/5:1"}));
  EXPECT_EQ(faulty_.OpCount(StorageOp::kClose), 12u);
}

TEST_F(FaultInjectingStorageTest, AfterEffectCloseHasPublishedTheObject) {
  FaultRule rule;
  rule.op = StorageOp::kClose;
  rule.after_effect = true;
  faulty_.AddRule(rule);
  EXPECT_TRUE(IsUnavailable(WriteSmallFile(faulty_, "BACKUP_MANIFEST", "m")));
  auto got = mem_.GetRaw("BACKUP_MANIFEST");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "m");
}

TEST_F(FaultInjectingStorageTest, FailsListsAndDeletesWithOrWithoutEffect) {
  ASSERT_TRUE(WriteSmallFile(faulty_, "a", "1").ok());
  ASSERT_TRUE(WriteSmallFile(faulty_, "b", "2").ok());
  FaultRule list_rule;
  list_rule.op = StorageOp::kList;
  list_rule.nth = 1;
  faulty_.AddRule(list_rule);
  int seen = 0;
  Status s = faulty_.List("", "", [&](const ListEntry&) {
    ++seen;
    return Status::OK();
  });
  EXPECT_TRUE(IsUnavailable(s));
  EXPECT_EQ(seen, 0);
  EXPECT_EQ(ListToStrings(faulty_, "", ""), (std::vector<std::string>{"a:1", "b:1"}));

  FaultRule del;
  del.op = StorageOp::kDelete;
  del.path_contains = "a";
  del.error = PermissionDeniedError("injected: access denied");
  faulty_.AddRule(del);
  EXPECT_EQ(faulty_.Delete("a").code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(mem_.GetRaw("a").ok());
  faulty_.ClearFaults();
  FaultRule lost_ack = del;
  lost_ack.after_effect = true;
  faulty_.AddRule(lost_ack);
  EXPECT_EQ(faulty_.Delete("a").code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(IsNotFound(mem_.GetRaw("a").status()));
}

TEST_F(FaultInjectingStorageTest, FailsReadersAndReadsWithoutConsumingBytes) {
  ASSERT_TRUE(WriteSmallFile(faulty_, "f", "0123456789").ok());
  FaultRule open_rule;
  open_rule.op = StorageOp::kNewReader;
  open_rule.nth = 1;
  open_rule.error = NotFoundError("injected: gone");
  faulty_.AddRule(open_rule);
  EXPECT_TRUE(IsNotFound(faulty_.NewReader("f").status()));

  FaultRule read_rule;
  read_rule.op = StorageOp::kRead;
  read_rule.nth = 2;
  faulty_.AddRule(read_rule);
  auto reader = faulty_.NewReader("f");
  ASSERT_TRUE(reader.ok());
  char buf[4];
  auto n = (*reader)->Read(buf, 4);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "0123");
  EXPECT_TRUE(IsUnavailable((*reader)->Read(buf, 4).status()));
  n = (*reader)->Read(buf, 4);  // retry after the transient failure resumes at the same place
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "4567");
}

TEST_F(FaultInjectingStorageTest, SizeFailureUsesTheChosenStatus) {
  ASSERT_TRUE(WriteSmallFile(faulty_, "f", "abc").ok());
  FaultRule rule;
  rule.op = StorageOp::kSize;
  rule.error = DataLossError("injected: checksum mismatch");
  faulty_.AddRule(rule);
  EXPECT_TRUE(IsDataLoss(faulty_.Size("f").status()));
  rule.op = StorageOp::kNewWriter;
  rule.error = ResourceExhaustedError("injected: too many writers");
  faulty_.AddRule(rule);
  EXPECT_EQ(faulty_.NewWriter("g").status().code(), StatusCode::kResourceExhausted);
}

TEST_F(FaultInjectingStorageTest, TruncatesAndFlipsBytesOnRead) {
  std::string data(100, 'a');
  ASSERT_TRUE(WriteSmallFile(faulty_, "data/1.cfd", data).ok());
  ASSERT_TRUE(WriteSmallFile(faulty_, "other", data).ok());
  ReadCorruption c;
  c.path_contains = "data/";
  c.truncate_to = 60;
  c.flip_offsets = {0, 59, 70};
  c.flip_mask = 0x80;
  faulty_.AddCorruption(c);

  auto got = ReadSmallFile(faulty_, "data/1.cfd");
  ASSERT_TRUE(got.ok());
  std::string want(60, 'a');
  want[0] = static_cast<char>('a' ^ 0x80);
  want[59] = static_cast<char>('a' ^ 0x80);
  EXPECT_EQ(*got, want);
  auto size = faulty_.Size("data/1.cfd");
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 60u);
  EXPECT_EQ(ListToStrings(faulty_, "", ""),
            (std::vector<std::string>{"data/1.cfd:60", "other:100"}));

  auto reader = faulty_.NewReader("data/1.cfd");
  ASSERT_TRUE(reader.ok());
  char buf[10];
  auto n = (*reader)->ReadAt(55, buf, 10);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf, *n), "aaaa" + std::string(1, static_cast<char>('a' ^ 0x80)));

  // The stored object is untouched; unrelated paths read normally.
  EXPECT_EQ(*mem_.GetRaw("data/1.cfd"), data);
  EXPECT_EQ(*ReadSmallFile(faulty_, "other"), data);
}

TEST(FaultInjectingStorageOverLocalTest, InjectedCloseFailureLeavesNoFileBehind) {
  TempDir dir;
  auto local = LocalStorage::New(dir.path(), "nodelocal://1/f");
  ASSERT_TRUE(local.ok());
  FaultInjectingStorage faulty(std::move(*local));
  FaultRule rule;
  rule.op = StorageOp::kClose;
  faulty.AddRule(rule);
  EXPECT_TRUE(IsUnavailable(WriteSmallFile(faulty, "x/y", std::string(5000, 'q'))));
  EXPECT_TRUE(ListToStrings(faulty, "", "").empty());
  std::error_code ec;
  EXPECT_TRUE(std::filesystem::is_empty(dir.path() + "/x", ec));
}

}  // namespace
}  // namespace cofre
