// KeyOrder: compares encoded keys (row_codec: a varint count, then tagged values) in the order
// SQLite gives a table's primary key, so that streams of keys written in scan order can be merged
// without SQLite: value by value, NULL < INTEGER and REAL (compared numerically, as SQLite does
// across the two) < TEXT (under the key column's collation) < BLOB (memcmp), then shorter first.
// Only SQLite's built-in collations BINARY, NOCASE and RTRIM are known; a WITHOUT ROWID table
// whose key uses another one, or whose scan order (column collation) differs from its key
// uniqueness (PRIMARY KEY collation), has no KeyOrder (ForTable returns nullopt), and callers
// fall back to work that needs no ordering of their own.
// Equal keys under Compare() are the same row for SQLite (NOCASE: 'a' and 'A'), whatever their
// bytes. Malformed keys compare by their bytes (callers validate keys they read from files).
// Thread-safety: an immutable value.
#ifndef COFRE_BACKUP_KEY_ORDER_H_
#define COFRE_BACKUP_KEY_ORDER_H_

#include <optional>
#include <string_view>
#include <vector>

#include "backup/table_schema.h"
#include "engine/sqlite.h"

namespace cofre {

class KeyOrder {
 public:
  enum class Collation { kBinary, kNoCase, kRtrim };

  // Every column BINARY: rowid tables and most WITHOUT ROWID tables.
  KeyOrder() = default;
  // `collations[i]` applies to TEXT values of key column i (missing: BINARY).
  explicit KeyOrder(std::vector<Collation> collations) : collations_(std::move(collations)) {}

  // The order of `schema`'s key on `db` (schema "main"); nullopt when it cannot be reproduced
  // (see the file comment). Errors only when SQLite cannot answer.
  static StatusOr<std::optional<KeyOrder>> ForTable(const SqliteDb& db, const TableSchema& schema);

  // <0, 0 or >0 as `a` sorts before, with, or after `b`.
  int Compare(std::string_view a, std::string_view b) const;

 private:
  std::vector<Collation> collations_;
};

// The length of the encoded key at the start of `in` (a record body after its kind byte),
// validating every value; 0 when `in` does not start with a well-formed key.
size_t EncodedKeyLength(std::string_view in);

}  // namespace cofre

#endif  // COFRE_BACKUP_KEY_ORDER_H_
