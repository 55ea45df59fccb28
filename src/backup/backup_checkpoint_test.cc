// BackupCheckpointer: what a resumed run does with the spans an interrupted one finished.
#include "backup/backup_checkpoint.h"

#include <gtest/gtest.h>

#include "backup/row_codec.h"
#include "storage/memory_storage.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

TableSchema Schema(const std::string& sql = "CREATE TABLE t(a)") {
  TableSchema s;
  s.name = "t";
  s.create_sql = sql;
  return s;
}

proto::BackupCheckpoint WithSpans(const std::vector<std::pair<int64_t, int64_t>>& ranges) {
  proto::BackupCheckpoint cp;
  cp.set_layer_dir("2026/12/04-170000.00");
  for (auto [lo, hi] : ranges) {
    auto* f = cp.add_spans();
    f->set_database("db");
    f->set_table("t");
    f->set_create_sql("CREATE TABLE t(a)");
    f->mutable_span()->set_start_key(lo < 0 ? "" : rowcodec::EncodeRowidKey(lo));
    f->mutable_span()->set_end_key(hi < 0 ? "" : rowcodec::EncodeRowidKey(hi));
  }
  return cp;
}

// The pieces as [lo, hi) rowids (-1: unbounded), finished ones marked with 'f'.
std::vector<std::string> Describe(const std::vector<ExportPiece>& pieces) {
  std::vector<std::string> out;
  auto bound = [](const std::string& k) {
    return k.empty() ? std::string("-") : std::to_string(static_cast<unsigned char>(k.back()) / 2);
  };
  for (const auto& p : pieces) {
    out.push_back((p.finished ? "f" : "") + bound(p.start_key) + ".." + bound(p.end_key));
  }
  return out;
}

std::vector<ExportPiece> Planned(const std::vector<std::pair<int64_t, int64_t>>& ranges) {
  std::vector<ExportPiece> out;
  for (auto [lo, hi] : ranges)
    out.push_back({0, lo < 0 ? "" : rowcodec::EncodeRowidKey(lo),
                   hi < 0 ? "" : rowcodec::EncodeRowidKey(hi), 1});
  return out;
}

TEST(BackupCheckpointTest, FinishedSpansAreBroughtAndTheRestExported) {
  BackupCheckpointer cp(WithSpans({{10, 20}, {40, 50}}), nullptr);
  EXPECT_TRUE(cp.resuming());
  auto pieces = cp.Pieces("db", Schema(), KeyOrder(), Planned({{-1, 30}, {30, -1}}));
  EXPECT_EQ(Describe(pieces),
            (std::vector<std::string>{"-..10", "f10..20", "20..30", "30..40", "f40..50", "50..-"}));
}

TEST(BackupCheckpointTest, UnboundedFinishedSpansLeaveNoGapBeyond) {
  BackupCheckpointer cp(WithSpans({{-1, 5}, {5, -1}}), nullptr);
  auto pieces = cp.Pieces("db", Schema(), KeyOrder(), Planned({{-1, -1}}));
  EXPECT_EQ(Describe(pieces), (std::vector<std::string>{"f-..5", "f5..-"}));
}

TEST(BackupCheckpointTest, ARedefinedTableOrOverlappingRecordIsExportedAgain) {
  BackupCheckpointer cp(WithSpans({{10, 20}}), nullptr);
  EXPECT_EQ(
      Describe(cp.Pieces("db", Schema("CREATE TABLE t(a, b)"), KeyOrder(), Planned({{-1, -1}}))),
      std::vector<std::string>{"-..-"});
  EXPECT_EQ(Describe(cp.Pieces("db", Schema(), std::nullopt, Planned({{-1, -1}}))),
            std::vector<std::string>{"-..-"});
  BackupCheckpointer overlapping(WithSpans({{10, 30}, {20, 40}}), nullptr);
  EXPECT_EQ(Describe(overlapping.Pieces("db", Schema(), KeyOrder(), Planned({{-1, -1}}))),
            std::vector<std::string>{"-..-"});
}

// An incremental's work item (a span of the previous layer) counts as finished only when the
// recorded spans tile its key range exactly.
TEST(BackupCheckpointTest, CoveringFindsSpansThatTileARangeExactly) {
  auto covering = [](const BackupCheckpointer& cp, int64_t lo, int64_t hi,
                     const std::string& sql = "CREATE TABLE t(a)") {
    std::vector<ExportPiece> as_pieces;
    for (const proto::Span* s :
         cp.Covering("db", Schema(sql), KeyOrder(), lo < 0 ? "" : rowcodec::EncodeRowidKey(lo),
                     hi < 0 ? "" : rowcodec::EncodeRowidKey(hi))) {
      as_pieces.push_back({0, s->start_key(), s->end_key(), 1});
    }
    return Describe(as_pieces);
  };
  BackupCheckpointer cp(WithSpans({{-1, 10}, {10, 15}, {15, 20}, {30, 35}, {40, -1}}), nullptr);
  EXPECT_EQ(covering(cp, -1, 20), (std::vector<std::string>{"-..10", "10..15", "15..20"}));
  EXPECT_EQ(covering(cp, 10, 20), (std::vector<std::string>{"10..15", "15..20"}));
  EXPECT_EQ(covering(cp, 40, -1), (std::vector<std::string>{"40..-"}));
  // A gap, a range ending before the item's end, an unrecorded range, another definition.
  EXPECT_TRUE(covering(cp, 20, 40).empty());
  EXPECT_TRUE(covering(cp, 30, 40).empty());
  EXPECT_TRUE(covering(cp, 10, 17).empty());
  EXPECT_TRUE(covering(cp, -1, 20, "CREATE TABLE t(a, b)").empty());
  // Overlapping records (a stale span of an earlier run) are not used.
  BackupCheckpointer overlapping(WithSpans({{10, 20}, {15, 20}}), nullptr);
  EXPECT_TRUE(covering(overlapping, 10, 20).empty());
  BackupCheckpointer after_unbounded(WithSpans({{-1, -1}, {5, -1}}), nullptr);
  EXPECT_TRUE(covering(after_unbounded, -1, -1).empty());
}

TEST(BackupCheckpointTest, FinishedReplacesAndFlushSavesOnlyChanges) {
  std::vector<std::string> saved;
  BackupCheckpointer cp(WithSpans({{10, 20}}), [&](const std::string& bytes) {
    saved.push_back(bytes);
    return Status::OK();
  });
  ASSERT_THAT(cp.Flush(), IsOk());
  ASSERT_THAT(cp.Flush(), IsOk());
  ASSERT_EQ(saved.size(), 1u);
  proto::Table out;
  auto* span = out.add_spans();
  span->set_start_key(rowcodec::EncodeRowidKey(10));
  span->set_end_key(rowcodec::EncodeRowidKey(20));
  span->add_files()->set_path("d/data/7.cfd");
  out.add_spans()->set_start_key(rowcodec::EncodeRowidKey(20));
  cp.Finished("db", Schema(), out);
  ASSERT_THAT(cp.Flush(), IsOk());
  ASSERT_EQ(saved.size(), 2u);
  proto::BackupCheckpoint got;
  ASSERT_TRUE(got.ParseFromString(saved.back()));
  EXPECT_EQ(got.format_version(), kCheckpointFormatVersion);
  EXPECT_EQ(got.runs(), 1u);
  ASSERT_EQ(got.spans_size(), 2);
  EXPECT_EQ(got.spans(0).span().files(0).path(), "d/data/7.cfd");
}

// A resumed run numbers its files after every file the interrupted one left, dropped ones
// included: a path never names two different files.
TEST(BackupCheckpointTest, ResumedRunsNeverReuseADroppedFilesNumber) {
  MemoryStorage storage;
  const std::string dir = "2026/12/04-170000.00";
  for (const char* n : {"1.cfd", "2.cfd", "7.cfd", "12.cfd"}) {
    storage.PutRaw(dir + "/data/" + n, "x");
  }
  ASSERT_OK_AND_ASSIGN(
      uint64_t highest,
      RemoveUnreferencedDataFiles(storage, dir, {dir + "/data/1.cfd", dir + "/data/7.cfd"}));
  EXPECT_EQ(highest, 12u);
  EXPECT_THAT(storage.GetRaw(dir + "/data/1.cfd").status(), IsOk());
  EXPECT_THAT(storage.GetRaw(dir + "/data/7.cfd").status(), IsOk());
  EXPECT_FALSE(storage.GetRaw(dir + "/data/2.cfd").ok());
  EXPECT_FALSE(storage.GetRaw(dir + "/data/12.cfd").ok());
}

}  // namespace
}  // namespace cofre
