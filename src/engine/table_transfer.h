// Copying a table's rows between two schemas of one SQLite connection (`main` and an attached
// file) the way SQLite copies them fastest: `INSERT INTO to.t SELECT * FROM from.t` into an empty
// table whose definition and indexes match the source's runs as SQLite's transfer optimization.
// Each row's record and each index entry is copied as it is, in key order, appended to its
// b-tree: nothing is decoded, no constraint is checked, no index is searched.
// Thread-safety: as the connection's.
#ifndef COFRE_ENGINE_TABLE_TRANSFER_H_
#define COFRE_ENGINE_TABLE_TRANSFER_H_

#include <string_view>

#include "engine/sqlite.h"
#include "util/status.h"

namespace cofre {

// Copies every row of `from_schema`.`table` into the empty, same-named table of `to_schema`, and
// with them the entries of its indexes, inside the caller's transaction (if any), keeping every
// row's rowid. True: SQLite copied records as they are. When it cannot (the tables or their
// indexes differ, the destination has triggers, or foreign keys are on and it has some), or
// would give rows new rowids (a rowid table with neither an INTEGER PRIMARY KEY nor an index),
// rows are inserted one by one through
// `INSERT INTO to.t(columns) SELECT columns FROM from.t` and the result is false. `columns` is
// the quoted, comma-separated list of the rowid (rowid tables) and every stored column, so that
// rowids are kept and generated columns computed again on that path.
StatusOr<bool> TransferTableRows(const SqliteDb& db, std::string_view from_schema,
                                 std::string_view to_schema, std::string_view table,
                                 std::string_view columns);

}  // namespace cofre

#endif  // COFRE_ENGINE_TABLE_TRANSFER_H_
