// The benchmark's change script (see dataset_change.h).
#include "dataset_change.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <vector>

namespace cofre::bench {
namespace {

// Mixed into the seed so that a change draws values unlike the generation's.
constexpr uint64_t kChangeSeedSalt = 0x6368616e67652121ULL;

std::vector<int64_t> LoadIds(Db& db, const TableSpec& table) {
  std::vector<int64_t> ids;
  Stmt stmt(db, "SELECT id FROM " + std::string(table.name) + " ORDER BY id");
  while (stmt.Step()) ids.push_back(sqlite3_column_int64(stmt.handle(), 0));
  return ids;
}

std::string UpdateSql(const TableSpec& table) {
  std::string sql = "UPDATE " + std::string(table.name) + " SET ";
  for (size_t i = 0; i < table.updatable.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += std::string(table.columns[table.updatable[i]]) + " = ?";
  }
  return sql + " WHERE id = ?";
}

// Applies the change to one table; `max_customer` and `max_order` bound the
// foreign keys of new and rewritten rows.
class TableChanger {
 public:
  TableChanger(Db& db, TableId id, RowFactory& factory, int64_t* clock, int64_t max_customer,
               int64_t max_order)
      : table_(Tables()[id]),
        id_(id),
        factory_(factory),
        clock_(clock),
        max_customer_(max_customer),
        max_order_(max_order),
        insert_(db, table_.InsertSql()),
        update_(db, UpdateSql(table_)),
        delete_(db, "DELETE FROM " + std::string(table_.name) + " WHERE id = ?") {}

  void Apply(const std::vector<int64_t>& ids, double fraction, ChangeStats* stats) {
    const int64_t n = static_cast<int64_t>(ids.size());
    stats->rows_before[id_] = n;
    if (n == 0) return;
    const int64_t picks = std::max<int64_t>(1, std::llround(static_cast<double>(n) * fraction));
    int64_t next_id = ids.back() + 1;
    for (int64_t j = 0; j < picks; ++j) {
      const int64_t lo = j * n / picks;
      const int64_t hi = (j + 1) * n / picks;
      const int64_t id = ids[lo + factory_.rng().Below(hi - lo)];
      const uint64_t action = factory_.rng().Below(100);
      if (action < 80) {
        MakeRow(id);
        for (size_t i = 0; i < table_.updatable.size(); ++i) {
          BindValue(row_[table_.updatable[i]], static_cast<int>(i) + 1, update_);
        }
        update_.BindInt(static_cast<int>(table_.updatable.size()) + 1, id);
        update_.Run();
        ++stats->updated[id_];
      } else if (action < 90) {
        delete_.BindInt(1, id);
        delete_.Run();
        ++stats->deleted[id_];
      } else {
        MakeRow(next_id++);
        BindRow(row_, insert_);
        insert_.Run();
        ++stats->inserted[id_];
      }
    }
  }

 private:
  void MakeRow(int64_t id) {
    Rng& rng = factory_.rng();
    *clock_ += rng.Range(0, 3);
    switch (id_) {
      case kCustomers:
        factory_.Customer(id, *clock_, &row_);
        break;
      case kOrders:
        factory_.Order(id, rng.Range(1, max_customer_), *clock_, &row_);
        break;
      case kOrderItems:
        factory_.OrderItem(id, rng.Range(1, max_order_), &row_);
        break;
      case kEvents:
        factory_.Event(id, rng.Range(1, max_customer_), *clock_, &row_);
        break;
    }
  }

  const TableSpec& table_;
  TableId id_;
  RowFactory& factory_;
  int64_t* clock_;
  int64_t max_customer_;
  int64_t max_order_;
  Stmt insert_;
  Stmt update_;
  Stmt delete_;
  Row row_;
};

}  // namespace

ChangeStats ApplyChange(const std::string& path, double fraction, uint64_t seed) {
  const auto start = std::chrono::steady_clock::now();
  ChangeStats stats;
  {
    Db db(path, SQLITE_OPEN_READWRITE);
    db.Exec(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
        "PRAGMA cache_size = -65536");
    RowFactory factory(seed ^ kChangeSeedSalt);
    int64_t clock = db.QueryInt("SELECT coalesce(max(ts), 0) FROM events") + 1;
    const int64_t max_customer = db.QueryInt("SELECT coalesce(max(id), 1) FROM customers");
    const int64_t max_order = db.QueryInt("SELECT coalesce(max(id), 1) FROM orders");
    db.Exec("BEGIN");
    for (int t = 0; t < kTableCount; ++t) {
      const TableId id = static_cast<TableId>(t);
      const std::vector<int64_t> ids = LoadIds(db, Tables()[id]);
      TableChanger changer(db, id, factory, &clock, max_customer, max_order);
      changer.Apply(ids, fraction, &stats);
    }
    db.Exec("COMMIT");
    db.Exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return stats;
}

}  // namespace cofre::bench
