// Bulk generation of the benchmark dataset (see dataset_generate.h).
#include "dataset_generate.h"

#include <chrono>
#include <cstdio>
#include <memory>

namespace cofre::bench {
namespace {

constexpr int kCustomersPerBlock = 64;
constexpr int kOrdersPerBlock = 256;
constexpr int kEventsPerBlock = 800;
constexpr int kBlocksPerTransaction = 64;
constexpr int64_t kPageBytes = 4096;
// Index B-trees built by sorting fill their leaves almost completely; the
// factor covers page headers, the unused tail of each page and interior pages.
constexpr double kIndexOverhead = 1.06;
// 2021-01-01T00:00:00Z.
constexpr int64_t kEpoch = 1609459200;

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void RemoveDatabaseFiles(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
    std::remove((path + suffix).c_str());
  }
}

// Inserts rows table by table and keeps the running size estimate.
class Generator {
 public:
  Generator(Db& db, uint64_t seed, DataShape shape) : db_(db), factory_(seed, shape) {
    for (const TableSpec& table : Tables()) {
      inserts_.push_back(std::make_unique<Stmt>(db, table.InsertSql()));
    }
  }

  // Appends one block of customers with their orders, items and events.
  void AddBlock() {
    for (int i = 0; i < kCustomersPerBlock; ++i) {
      clock_ += factory_.rng().Range(1, 40);
      factory_.Customer(++stats_.rows[kCustomers], clock_, &row_);
      Insert(kCustomers);
    }
    const int64_t customers = stats_.rows[kCustomers];
    for (int i = 0; i < kOrdersPerBlock; ++i) {
      clock_ += factory_.rng().Range(0, 10);
      const int64_t order_id = ++stats_.rows[kOrders];
      factory_.Order(order_id, factory_.rng().Range(1, customers), clock_, &row_);
      Insert(kOrders);
      for (int64_t n = factory_.rng().Range(1, 5); n > 0; --n) {
        factory_.OrderItem(++stats_.rows[kOrderItems], order_id, &row_);
        Insert(kOrderItems);
      }
    }
    for (int i = 0; i < kEventsPerBlock; ++i) {
      clock_ += factory_.rng().Range(0, 3);
      const int64_t customer = factory_.rng().Percent(10) ? 0 : factory_.rng().Range(1, customers);
      factory_.Event(++stats_.rows[kEvents], customer, clock_, &row_);
      Insert(kEvents);
    }
  }

  // The file size once the indexes are built, estimated.
  int64_t EstimatedBytes() {
    const int64_t pages = db_.QueryInt("PRAGMA page_count");
    return pages * kPageBytes + static_cast<int64_t>(index_bytes_ * kIndexOverhead);
  }

  GenerateStats& stats() { return stats_; }

 private:
  void Insert(TableId table) {
    Stmt& stmt = *inserts_[table];
    BindRow(row_, stmt);
    stmt.Run();
    for (const IndexSpec& index : Tables()[table].indexes) {
      index_bytes_ += IndexCellBytes(row_, index.columns);
    }
  }

  Db& db_;
  RowFactory factory_;
  std::vector<std::unique_ptr<Stmt>> inserts_;
  Row row_;
  int64_t clock_ = kEpoch;
  double index_bytes_ = 0;
  GenerateStats stats_;
};

}  // namespace

GenerateStats Generate(const std::string& path, int64_t target_bytes, uint64_t seed,
                       DataShape shape) {
  const auto start = std::chrono::steady_clock::now();
  RemoveDatabaseFiles(path);
  GenerateStats stats;
  {
    Db db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX);
    // No journal, no syncs: a crash leaves a file to regenerate. A moderate
    // cache makes CREATE INDEX sort in several runs, which worker threads
    // sort while the main thread scans (temp files must stay on disk: an
    // in-memory temp store turns the worker threads off).
    db.Exec(
        "PRAGMA page_size = 4096; PRAGMA journal_mode = OFF;"
        "PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE;"
        "PRAGMA cache_size = -32768; PRAGMA threads = 2;");
    for (const TableSpec& table : Tables()) db.Exec(table.CreateTableSql());
    {
      Generator generator(db, seed, shape);
      db.Exec("BEGIN");
      for (int block = 1;; ++block) {
        generator.AddBlock();
        if (generator.EstimatedBytes() >= target_bytes) break;
        if (block % kBlocksPerTransaction == 0) db.Exec("COMMIT; BEGIN");
      }
      db.Exec("COMMIT");
      stats = generator.stats();
    }
    const auto index_start = std::chrono::steady_clock::now();
    db.Exec("BEGIN");
    for (const TableSpec& table : Tables()) {
      for (const IndexSpec& index : table.indexes) {
        db.Exec(table.CreateIndexSql(index));
      }
    }
    db.Exec("COMMIT");
    stats.index_seconds = SecondsSince(index_start);
    db.Exec(
        "PRAGMA locking_mode = NORMAL; PRAGMA journal_mode = WAL;"
        "PRAGMA synchronous = NORMAL");
    stats.file_bytes = db.QueryInt("PRAGMA page_count") * kPageBytes;
  }
  stats.seconds = SecondsSince(start);
  return stats;
}

}  // namespace cofre::bench
