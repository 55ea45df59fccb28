#include "engine/table_transfer.h"

#include <algorithm>
#include <iterator>
#include <string>
#include <vector>

namespace cofre {

StatusOr<bool> TransferTableRows(const SqliteDb& db, std::string_view from_schema,
                                 std::string_view to_schema, std::string_view table,
                                 std::string_view columns) {
  const std::string to = QuoteIdent(to_schema) + "." + QuoteIdent(table);
  const std::string from = QuoteIdent(from_schema) + "." + QuoteIdent(table);
  const std::string transfer = "INSERT INTO " + to + " SELECT * FROM " + from;
  // SQLite decides when it prepares the statement whether it can be a transfer. Its program then
  // reads whole source records (RowData) in a loop that starts at a Rewind of the source; for a
  // rowid table without an INTEGER PRIMARY KEY and without indexes that loop gives each row a new
  // rowid (NewRowid), which a restore must not. Without a transfer, SELECT * would also renumber
  // rows and give generated columns' values to columns that take none: copy by columns instead.
  // A table with generated columns and an index cannot even be planned so (SQLite compiles the
  // row-by-row fallback of SELECT * too, which does not fit): the same copy by columns.
  std::vector<std::string> ops;
  if (StatusOr<SqliteStmt> explain = db.Prepare("EXPLAIN " + transfer); explain.ok()) {
    while (true) {
      ASSIGN_OR_RETURN(bool row, explain->Step());
      if (!row) break;
      ops.push_back(explain->ColumnText(1));
    }
  }
  bool copies_records = false;
  const auto row_data = std::find(ops.begin(), ops.end(), "RowData");
  if (row_data != ops.end()) {
    const auto rewind = std::find(std::make_reverse_iterator(row_data), ops.rend(), "Rewind");
    copies_records =
        rewind != ops.rend() && std::find(rewind.base(), row_data, "NewRowid") == row_data;
  }
  const std::string sql = copies_records ? transfer
                                         : "INSERT INTO " + to + "(" + std::string(columns) +
                                               ") SELECT " + std::string(columns) + " FROM " + from;
  ASSIGN_OR_RETURN(SqliteStmt insert, db.Prepare(sql));
  RETURN_IF_ERROR(insert.Run());
  return copies_records;
}

}  // namespace cofre
