// The benchmark dataset's schema and its row factory.
//
// Four tables model an online shop: customers, orders, order_items and an
// append-mostly events log with JSON text payloads and binary attachments.
// Every table has an INTEGER PRIMARY KEY `id` (its rowid) and one to three
// secondary indexes. A RowFactory draws realistic rows from a seeded Rng:
// repeated vocabularies, structured text and random tokens, mixed so that
// the logical row stream compresses about 3x with zstd -3.
// Thread-safety: TableSpecs are immutable; a RowFactory belongs to one thread.
#ifndef COFRE_BENCH_DATASET_ROWS_H_
#define COFRE_BENCH_DATASET_ROWS_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dataset_varied.h"
#include "rng.h"
#include "sqlite_util.h"

namespace cofre::bench {

// One SQL value; `text` holds both TEXT and BLOB bytes and keeps its
// capacity across rows so that steady-state generation does not allocate.
struct Value {
  enum class Type { kNull, kInt, kReal, kText, kBlob };
  Type type = Type::kNull;
  int64_t integer = 0;
  double real = 0;
  std::string text;

  void SetNull() { type = Type::kNull; }
  void SetInt(int64_t v) { type = Type::kInt, integer = v; }
  void SetReal(double v) { type = Type::kReal, real = v; }
  // Clears and returns the text buffer, to be appended to.
  std::string& Text() { return type = Type::kText, text.clear(), text; }
  std::string& Blob() { return type = Type::kBlob, text.clear(), text; }
};

// A row: one Value per column of its table; column 0 is the id.
using Row = std::vector<Value>;

// What the rows look like: kUniform is the original dataset (its events' JSON always has the
// same keys); kVaried draws events from VariedEvents (dataset_varied.h), data the backup was not
// tuned for (issue 14 §5). Customers, orders and order items are the same in both.
enum class DataShape { kUniform, kVaried };

struct IndexSpec {
  std::string_view name;
  std::vector<int> columns;  // positions in the table's column list
  bool unique = false;
};

struct TableSpec {
  std::string_view name;
  std::vector<std::string_view> columns;  // columns[0] is "id"
  std::vector<std::string_view> types;    // declared SQL types
  std::vector<IndexSpec> indexes;
  std::vector<int> updatable;  // columns a change may rewrite

  std::string CreateTableSql() const;
  std::string CreateIndexSql(const IndexSpec& index) const;
  std::string InsertSql() const;  // binds every column, id included
};

enum TableId { kCustomers = 0, kOrders = 1, kOrderItems = 2, kEvents = 3 };
inline constexpr int kTableCount = 4;

// The four tables, indexed by TableId.
const std::vector<TableSpec>& Tables();

// Binds `value` to parameter `index` (1-based) of `stmt`.
void BindValue(const Value& value, int index, Stmt& stmt);

// Binds `row` to `stmt` parameters 1..n in column order.
void BindRow(const Row& row, Stmt& stmt);

// Returns about how many bytes the SQLite B-tree cell of an index entry over
// `columns` of `row` (plus the rowid) takes on a leaf page, cell pointer
// included. Used to size the database before its indexes are built.
int64_t IndexCellBytes(const Row& row, const std::vector<int>& columns);

// Draws rows. Ids, foreign keys and timestamps are chosen by the caller so
// that a generation and a change script can place rows where they belong.
class RowFactory {
 public:
  explicit RowFactory(uint64_t seed, DataShape shape = DataShape::kUniform);
  ~RowFactory();

  void Customer(int64_t id, int64_t created_at, Row* row);
  void Order(int64_t id, int64_t customer_id, int64_t created_at, Row* row);
  void OrderItem(int64_t id, int64_t order_id, Row* row);
  // `customer_id` 0 makes an anonymous event (NULL customer).
  void Event(int64_t id, int64_t customer_id, int64_t ts, Row* row);

  Rng& rng() { return rng_; }

 private:
  void AppendSentence(std::string* out);
  void AppendJsonPayload(std::string_view kind, std::string* out);
  void AppendAttachment(std::string_view kind, std::string* out);

  Rng rng_;
  std::unique_ptr<VariedEvents> varied_;  // set for DataShape::kVaried
};

}  // namespace cofre::bench

#endif  // COFRE_BENCH_DATASET_ROWS_H_
