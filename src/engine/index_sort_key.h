// IndexSortKey: encodes the fields of an index entry into a byte string whose plain byte order
// (memcmp, shorter first) is the order SQLite gives the index (IndexRecordOrder), so that sorting
// millions of entries compares bytes instead of decoding two records per comparison.
//
// Per field, then inverted byte by byte for a DESC column (every field encoding is prefix-free,
// so inversion reverses its order):
//   NULL     0x01
//   number   0x02, the value rounded to a double (8 bytes, order-preserving), then the exact
//            remainder of an integer against that double (4 bytes, biased): ints and reals
//            interleave exactly as SQLite compares them; -0.0 is 0.0
//   text     0x03, the collated bytes (NOCASE: ASCII folded to lower case; RTRIM: trailing
//            spaces dropped) with 0x00 escaped as 0x00 0xFF, then 0x00 0x00
//   blob     0x04, the bytes escaped the same way, then 0x00 0x00
// Fields past `order`'s length sort BINARY ascending (the trailing rowid).
// Append returns false (and leaves `out` unspecified) for what this encoding cannot reproduce:
// NOCASE text containing a NUL byte (SQLite stops comparing it there).
// Thread-safety: pure functions.
#ifndef COFRE_ENGINE_INDEX_SORT_KEY_H_
#define COFRE_ENGINE_INDEX_SORT_KEY_H_

#include <span>
#include <string>

#include "engine/index_record_order.h"
#include "engine/sqlite_record.h"

namespace cofre::index_sort_key {

bool Append(std::span<const sqlite_record::Value> fields, std::span<const IndexColumnOrder> order,
            std::string* out);

}  // namespace cofre::index_sort_key

#endif  // COFRE_ENGINE_INDEX_SORT_KEY_H_
