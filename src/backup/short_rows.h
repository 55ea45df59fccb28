// ShortRows: rows a backup stored before an ALTER TABLE ADD COLUMN, and the values they read for
// the columns they lack.
//
// SQLite does not rewrite rows on ADD COLUMN: a record with fewer fields than its table has
// columns reads each missing column's default. Incremental backups do the same (see
// docs/format.md "Short rows"): the layer after an ADD COLUMN keeps the rows the chain already
// holds, with their fewer values; its manifest records how many columns every stored row holds
// at least (Table.short_row_columns) and the value each later column reads when a row lacks it
// (Column.short_row_default). Readers complete short rows with those values before using them.
// Thread-safety: plain values and free functions; a ShortRowDefaults reads the manifest Table it
// was made from, which must outlive it.
#ifndef COFRE_BACKUP_SHORT_ROWS_H_
#define COFRE_BACKUP_SHORT_ROWS_H_

#include <string>
#include <string_view>
#include <vector>

#include "backup/row_codec.h"
#include "backup/table_schema.h"
#include "engine/sqlite.h"
#include "proto/backup_manifest.pb.h"
#include "util/status.h"

namespace cofre {

// The values a table's short rows read, checked from its manifest entry.
class ShortRowDefaults {
 public:
  ShortRowDefaults() = default;
  // DataLoss naming the table when short_row_columns exceeds its columns or a default is not
  // exactly one value.
  static StatusOr<ShortRowDefaults> ForTable(const proto::Table& table);

  // Appends to *values the values of the columns a row with values->size() values lacks.
  // DataLoss, naming `where` and the table, when the row holds more values than the table has
  // columns or fewer than every stored row holds.
  Status Complete(std::vector<rowcodec::ValueRef>* values, const std::string& where) const;
  // OK when a row may hold `n` values; DataLoss as Complete otherwise.
  Status CheckCount(size_t n, const std::string& where) const;
  // The value column `column` reads in a row that lacks it (a row of CheckCount's `n` lacks the
  // columns n..columns()-1).
  const rowcodec::ValueRef& Missing(size_t column) const {
    return values_[column - short_columns_];
  }
  // A record body (row_codec) completed the same way, in *out; `body` unchanged when it is not a
  // row or holds every column. DataLoss as Complete, or for a malformed body.
  Status CompleteBody(std::string_view body, std::string* out) const;

  // Whether a row may lack columns at all.
  bool any() const { return short_columns_ < columns_; }
  size_t columns() const { return columns_; }

 private:
  std::string table_;
  size_t columns_ = 0;
  size_t short_columns_ = 0;                // rows hold at least this many values
  std::vector<rowcodec::ValueRef> values_;  // for columns short_columns_.. (into the manifest)
  std::vector<std::string_view> encoded_;   // the same, encoded
};

// Whether `now` is `before` with columns added by ALTER TABLE ADD COLUMN: now's CREATE statement
// is before's with ", <column definitions>" inserted at one place (as SQLite edits it) and its
// first columns are before's. Then fills the short-row fields of `*out` (now's manifest entry):
// rows stored as `before` describes them read, for each added column, the value SQLite reads
// for it in a record written before it was added (found by SQLite itself, on a scratch
// in-memory database; `db` is the snapshot connection `now` was read from), and before's own
// short rows keep their defaults. False, with `*out` unchanged, for any other change or when a
// default cannot be had that way: the table is then written in full.
StatusOr<bool> DescribeAddedColumns(const SqliteDb& db, const proto::Table& before,
                                    const TableSchema& now, proto::Table* out);

// Copies before's short-row fields to `*out`, a table of the same definition whose stored rows
// carry on from before's.
void CarryShortRows(const proto::Table& before, proto::Table* out);

}  // namespace cofre

#endif  // COFRE_BACKUP_SHORT_ROWS_H_
