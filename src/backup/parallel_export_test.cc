#include "backup/parallel_export.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "backup/data_file_reader.h"
#include "engine/data_dir.h"
#include "storage/memory_storage.h"

namespace cofre {
namespace {

namespace fs = std::filesystem;

// A real SQLite file with a sparse rowid table, a WITHOUT ROWID table and an empty one, exported
// on several threads into memory storage.
class ParallelExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cofre-parallel-export-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    info_ = {"shop", (dir_ / "shop.db").string(), false};
    auto db = OpenDatabaseFile(info_.path);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE(
        db->Exec("CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT, price REAL, "
                 "data BLOB);"
                 "CREATE TABLE tags(k TEXT, n INT, v TEXT, PRIMARY KEY(k, n)) WITHOUT ROWID;"
                 "CREATE TABLE empty(x);"
                 "BEGIN;")
            .ok());
    // Rowids from -50 to ~40000 with gaps, so pieces are uneven and some are empty.
    for (int i = 0; i < 6000; ++i) {
      int64_t id = i < 50 ? -i : (i * 7) % 40000 + (i % 3 == 0 ? 40000 : 0);
      ASSERT_TRUE(db->Exec("INSERT OR REPLACE INTO items VALUES(" + std::to_string(id) +
                           ", 'item " + std::to_string(i) + "', " + std::to_string(i * 0.25) +
                           ", randomblob(" + std::to_string(i % 200) + "))")
                      .ok());
    }
    for (int i = 0; i < 500; ++i) {
      ASSERT_TRUE(db->Exec("INSERT INTO tags VALUES('k" + std::to_string(i % 17) + "', " +
                           std::to_string(i) + ", 'v')")
                      .ok());
    }
    ASSERT_TRUE(db->Exec("COMMIT").ok());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Exports every table with `threads` workers; returns the tables' manifest entries.
  std::vector<proto::Table> Export(int threads, uint64_t min_piece_rows, size_t frame_bytes) {
    auto snapshot = Snapshot::Take({info_}, SnapshotOptions{threads});
    EXPECT_TRUE(snapshot.ok()) << snapshot.status().ToString();
    auto schema = ReadDatabaseSchema((*snapshot)->reader("shop"), "main", {});
    EXPECT_TRUE(schema.ok()) << schema.status().ToString();
    std::vector<proto::Table> out(schema->tables.size());
    std::vector<TableToExport> tables;
    for (size_t i = 0; i < out.size(); ++i) tables.push_back({"shop", &schema->tables[i], &out[i]});
    ExportOptions options;
    options.layer_dir = "L" + std::to_string(threads);
    options.target_file_bytes = 16 << 10;  // several spans per piece too
    options.zstd.frame_bytes = frame_bytes;
    options.next_file_number = &next_file_;
    ParallelExportOptions parallel;
    parallel.threads = threads;
    parallel.min_piece_rows = min_piece_rows;
    std::vector<double> progress;
    Status st = ExportTablesInParallel(**snapshot, tables, storage_, {}, options, parallel,
                                       [&](double f) { progress.push_back(f); });
    EXPECT_TRUE(st.ok()) << st.ToString();
    for (size_t i = 1; i < progress.size(); ++i) EXPECT_GE(progress[i], progress[i - 1]);
    return out;
  }

  // Every record body of the table's spans, in span order; checks the spans tile the key space.
  std::vector<std::string> Rows(const proto::Table& table) {
    std::vector<std::string> rows;
    EXPECT_GT(table.spans_size(), 0);
    for (int s = 0; s < table.spans_size(); ++s) {
      const proto::Span& span = table.spans(s);
      EXPECT_EQ(span.id(), static_cast<uint64_t>(s + 1));
      if (s == 0) {
        EXPECT_EQ(span.start_key(), "");
      }
      if (s > 0) {
        EXPECT_EQ(span.start_key(), table.spans(s - 1).end_key());
      }
      if (s + 1 == table.spans_size()) {
        EXPECT_EQ(span.end_key(), "");
      }
      auto reader = DataFileReader::Open(storage_, span.files(0), {});
      EXPECT_TRUE(reader.ok()) << reader.status().ToString();
      rowcodec::Record rec;
      uint64_t n = 0;
      while (true) {
        auto more = (*reader)->Next(&rec);
        EXPECT_TRUE(more.ok()) << more.status().ToString();
        if (!more.ok() || !*more) break;
        rows.emplace_back(rec.body);
        ++n;
      }
      EXPECT_EQ(n, span.rows());
    }
    return rows;
  }

  fs::path dir_;
  DatabaseInfo info_;
  MemoryStorage storage_{"mem://parallel"};
  std::atomic<uint64_t> next_file_{1};
};

TEST_F(ParallelExportTest, SplitTablesExportTheSameRowsInKeyOrderAsOneThread) {
  std::vector<proto::Table> one = Export(1, 100, 4 << 20);
  // Small frames: every data file holds many zstd frames.
  std::vector<proto::Table> three = Export(3, 100, 1024);
  ASSERT_EQ(one.size(), three.size());
  for (size_t t = 0; t < one.size(); ++t) {
    SCOPED_TRACE(one[t].name());
    EXPECT_EQ(one[t].name(), three[t].name());
    EXPECT_EQ(one[t].rows(), three[t].rows());
    EXPECT_EQ(one[t].logical_bytes(), three[t].logical_bytes());
    EXPECT_EQ(Rows(one[t]), Rows(three[t]));
  }
  // The rowid table was cut into pieces (more spans than one thread wrote), losing no row.
  auto db = SqliteDb::Open(info_.path, false);
  ASSERT_TRUE(db.ok());
  auto count = db->QueryInt("SELECT count(*) FROM items");
  ASSERT_TRUE(count.ok() && count->has_value());
  for (size_t t = 0; t < three.size(); ++t) {
    if (three[t].name() != "items") continue;
    EXPECT_EQ(three[t].rows(), static_cast<uint64_t>(**count));
    EXPECT_GT(three[t].spans_size(), one[t].spans_size());
  }
}

TEST_F(ParallelExportTest, PlanCutsRowidTablesOnlyWhenLargeEnough) {
  auto snapshot = Snapshot::Take({info_}, SnapshotOptions{1});
  ASSERT_TRUE(snapshot.ok());
  auto schema = ReadDatabaseSchema((*snapshot)->reader("shop"), "main", {});
  ASSERT_TRUE(schema.ok());
  ParallelExportOptions options;
  options.threads = 2;
  options.pieces_per_thread = 4;
  options.min_piece_rows = 100;
  for (const TableSchema& t : schema->tables) {
    auto pieces = PlanPieces((*snapshot)->reader("shop"), t, 0, options);
    ASSERT_TRUE(pieces.ok()) << pieces.status().ToString();
    size_t want = t.name == "items" ? 8 : 1;  // tags: WITHOUT ROWID; empty: no rows
    ASSERT_EQ(pieces->size(), want) << t.name;
    EXPECT_EQ(pieces->front().start_key, "");
    EXPECT_EQ(pieces->back().end_key, "");
    for (size_t i = 1; i < pieces->size(); ++i) {
      EXPECT_EQ((*pieces)[i].start_key, (*pieces)[i - 1].end_key);
    }
  }
  options.min_piece_rows = 1 << 20;  // larger than the table's rowid range: one piece
  auto pieces = PlanPieces((*snapshot)->reader("shop"), schema->tables[0], 0, options);
  ASSERT_TRUE(pieces.ok());
  EXPECT_EQ(pieces->size(), 1u);
}

TEST(RunInParallelTest, RunsEveryItemOnceOnNumberedWorkers) {
  constexpr size_t kItems = 200;
  std::vector<std::atomic<int>> runs(kItems);
  std::atomic<int> bad_worker{0};
  std::vector<double> progress;
  Status st = RunInParallel(
      3, kItems,
      [&](int worker, size_t item) {
        if (worker < 0 || worker >= 3) ++bad_worker;
        ++runs[item];
        return Status::OK();
      },
      [&](double f) { progress.push_back(f); });
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(bad_worker.load(), 0);
  for (size_t i = 0; i < kItems; ++i) EXPECT_EQ(runs[i].load(), 1) << i;
  for (size_t i = 1; i < progress.size(); ++i) EXPECT_GE(progress[i], progress[i - 1]);
  if (!progress.empty()) {
    EXPECT_LE(progress.back(), 0.99);
  }
}

TEST(RunInParallelTest, FirstErrorStopsTheWorkersAndIsReturned) {
  std::atomic<size_t> ran{0};
  Status st = RunInParallel(
      2, 10000,
      [&](int, size_t item) {
        ++ran;
        return item == 5 ? DataLossError("item 5 is damaged") : Status::OK();
      },
      nullptr);
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.ToString().find("item 5 is damaged"), std::string::npos) << st.ToString();
  EXPECT_LT(ran.load(), 10000u);  // the rest of the queue was never taken
}

}  // namespace
}  // namespace cofre
