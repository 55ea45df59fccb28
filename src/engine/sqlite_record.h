// SQLite records (the database file format, section "Record Format"): a header-size varint, one
// serial-type varint per value, then the value bodies. This is the payload of a table b-tree
// entry and the key of an index b-tree entry; the bulk b-tree builders (bulk_btree.h) take
// records made here.
//
// Append encodes as SQLite 3.x does for file format 4: NULL is serial type 0, integers 0 and 1
// are serial types 8 and 9, other integers use the smallest of serial types 1..6 that holds
// them, reals are serial type 7 (8-byte big-endian IEEE 754), text is 13+2n and blobs 12+2n.
// Values are stored as given: applying column affinity (e.g. storing an integral REAL as an
// integer) is the caller's business.
// Thread-safety: pure functions.
#ifndef COFRE_ENGINE_SQLITE_RECORD_H_
#define COFRE_ENGINE_SQLITE_RECORD_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace cofre::sqlite_record {

enum class Type : uint8_t { kNull, kInteger, kReal, kText, kBlob };

// One value of a record. `i` is read for kInteger, `r` for kReal, `bytes` for kText (UTF-8)
// and kBlob; `bytes` must stay valid until Append returns.
struct Value {
  Type type = Type::kNull;
  int64_t i = 0;
  double r = 0;
  std::string_view bytes;

  static Value Integer(int64_t v) { return Value{Type::kInteger, v, 0, {}}; }
  static Value Real(double v) { return Value{Type::kReal, 0, v, {}}; }
  // Text and blobs refer to `bytes`, which must outlive the value.
  static Value Text(std::string_view bytes) { return Value{Type::kText, 0, 0, bytes}; }
  static Value Blob(std::string_view bytes) { return Value{Type::kBlob, 0, 0, bytes}; }
};

// Appends the record of `values` to `out` (existing contents are kept).
void Append(std::span<const Value> values, std::string* out);

// The serial types of a row's values, worked out once, to write the record of all of them and
// records of subsets of them (a restore writes a table's record and the projections its index
// sorters read) straight into a buffer sized beforehand: the same bytes as Append of the same
// values, without building a value list per record. Thread-safety: one layout per thread.
class RecordLayout {
 public:
  // Works out the serial types of `values`, which must outlive the calls below.
  void Reset(std::span<const Value> values);
  // Bytes of the record of all the values, or of those at `columns` (positions, in order).
  size_t Size() const { return Size(all_); }
  size_t Size(std::span<const int> columns) const;
  // Writes that record at `out`, which has room for Size() bytes; returns the end.
  char* Write(char* out) const { return Write(all_, out); }
  char* Write(std::span<const int> columns, char* out) const;

 private:
  std::span<const Value> values_;
  std::vector<uint64_t> types_;      // serial type of each value
  std::vector<size_t> lengths_;      // body bytes of each value
  std::vector<uint8_t> type_bytes_;  // varint bytes of each serial type
  std::vector<int> all_;             // 0 .. values_.size() - 1
};

// Checks that `record` is well formed: its header size is within the record, every serial type
// is a valid one (not 10 or 11), and the bodies exactly fill the rest. Returns InvalidArgument
// saying what is wrong otherwise. Does not check that text is valid UTF-8.
Status Validate(std::string_view record);

// Decodes `record` into `*values` (replacing their contents): the inverse of Append, so
// Parse(Append(v)) gives v back exactly (reals bit for bit). Text and blob values point into
// `record`. InvalidArgument as Validate for a malformed record.
Status Parse(std::string_view record, std::vector<Value>* values);

}  // namespace cofre::sqlite_record

#endif  // COFRE_ENGINE_SQLITE_RECORD_H_
