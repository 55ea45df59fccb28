// IndexRecordOrder: compares SQLite records (the database file format, section 2.1 "Record
// Format": a header-size varint, one serial-type varint per field, then the field bodies) in the
// order SQLite keeps the entries of an index b-tree, so that index entries can be sorted outside
// SQLite and written to pages directly.
//
// Field by field: NULL < INTEGER and REAL (compared numerically with each other, exactly, as
// SQLite does: 2^53+1 > 2^53.0, INT64_MAX < 2^63.0) < TEXT (under the field's collation) < BLOB
// (memcmp, then shorter first). A descending field flips its comparison. A record whose fields all
// equal the first fields of a longer record sorts first. Collations are SQLite's built-ins:
// BINARY (memcmp, then shorter first), NOCASE (ASCII-only case folding, with SQLite's quirk of
// stopping at an embedded NUL), RTRIM (BINARY ignoring trailing spaces). A REAL holding a NaN bit
// pattern is a NULL (SQLite never stores NaN). Fields beyond the configured columns (normally the
// rowid) compare BINARY ascending.
//
// Corrupt records (truncated header or body, reserved serial types 10 and 11) never read out of
// bounds: at the first field that cannot be decoded the record holds a "corrupt" value that sorts
// after every valid value of that field, and two corrupt values compare by the records' bytes.
// The order therefore stays a total preorder over any bytes (safe for std::sort).
//
// Compare allocates nothing and decodes both headers incrementally, stopping at the first
// differing field. SortPrefix gives a 64-bit abbreviated key for prefix caches in sorters.
// Thread-safety: an immutable value; concurrent calls are safe.
#ifndef COFRE_ENGINE_INDEX_RECORD_ORDER_H_
#define COFRE_ENGINE_INDEX_RECORD_ORDER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/sort_order.h"

namespace cofre {

enum class Collation : uint8_t { kBinary, kNoCase, kRtrim };

// How one field of an index record is ordered.
struct IndexColumnOrder {
  Collation collation = Collation::kBinary;
  bool descending = false;
};

class IndexRecordOrder final : public SortOrder {
 public:
  // `columns[i]` orders field i of the records; extra fields compare BINARY ascending.
  explicit IndexRecordOrder(std::vector<IndexColumnOrder> columns);

  // <0, 0 or >0 as record `a` sorts before, with, or after record `b`.
  int Compare(std::string_view a, std::string_view b) const override;

  // Compare on the first `fields` fields only (a UNIQUE check compares the key without the
  // rowid). Records shorter than `fields` compare as in Compare.
  int ComparePrefix(std::string_view a, std::string_view b, size_t fields) const;

  // A 64-bit key of the first field such that SortPrefix(a) < SortPrefix(b) implies
  // Compare(a, b) < 0 (and so Compare(a, b) == 0 implies equal prefixes); equal prefixes say
  // nothing. A record with no fields has prefix 0.
  uint64_t SortPrefix(std::string_view record) const override;

  // Whether field `i` of `record` is NULL (serial type 0, or a NaN REAL). False when the record
  // has no field `i` or is corrupt before it. (UNIQUE: NULLs never collide.)
  static bool FieldIsNull(std::string_view record, size_t i);

 private:
  int CompareFields(std::string_view a, std::string_view b, size_t max_fields) const;

  std::vector<IndexColumnOrder> columns_;
};

}  // namespace cofre

#endif  // COFRE_ENGINE_INDEX_RECORD_ORDER_H_
