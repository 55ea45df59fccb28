// RowCodec: the byte encoding of SQLite values, keys and records in data files.
//
// A value is a tag byte and a payload (data_file_format.h). A key is a varint count and that
// many values. A record is a varint body length and a body: a kind byte, the key, and for rows
// a varint column count and the values. Encoding is bit-exact: REALs keep their IEEE bits,
// TEXT and BLOB keep their bytes. Decoding validates every length against the input and
// returns DataLoss for anything malformed.
// Thread-safety: free functions and plain values.
#ifndef COFRE_BACKUP_ROW_CODEC_H_
#define COFRE_BACKUP_ROW_CODEC_H_

#include <sqlite3.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "backup/data_file_format.h"
#include "util/status.h"

namespace cofre::rowcodec {

void PutVarint(std::string* out, uint64_t v);
// Writes the varint of `v` at `out` (room for kMaxVarintBytes); returns its length.
constexpr size_t kMaxVarintBytes = 10;
size_t PutVarint(uint64_t v, char* out);
// Reads a varint at *pos; false on truncation or overflow.
bool GetVarintSlow(std::string_view in, size_t* pos, uint64_t* v);
inline bool GetVarint(std::string_view in, size_t* pos, uint64_t* v) {
  // Most varints are lengths and small integers of one byte: read inline.
  if (*pos < in.size() && static_cast<uint8_t>(in[*pos]) < 0x80) {
    *v = static_cast<uint8_t>(in[(*pos)++]);
    return true;
  }
  return GetVarintSlow(in, pos, v);
}

// Appends column `col` of the current row of `stmt`.
void AppendColumn(std::string* out, sqlite3_stmt* stmt, int col);
// Appends the value `v` (e.g. from sqlite3_column_value) whose sqlite3_value_type is `type`:
// what AppendColumn does with one SQLite call per column instead of two or three.
void AppendValue(std::string* out, sqlite3_value* v, int type);
void AppendInteger(std::string* out, int64_t v);

// A decoded value that points into the decoded buffer (valid while that buffer lives).
struct ValueRef {
  uint8_t tag = 0;
  int64_t i = 0;
  double d = 0;
  std::string_view bytes;
};

inline int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

// Reads one value at *pos; false (*pos and *v then unspecified) for a truncated value or an
// unknown tag. A reference to the rowid (data_file_format::kRowidValue) is left for the caller to
// resolve. Inline: a restore reads every value of every row with it.
inline bool ReadValue(std::string_view in, size_t* pos, ValueRef* v) {
  namespace fmt = data_file_format;
  if (*pos >= in.size()) return false;
  v->tag = static_cast<uint8_t>(in[(*pos)++]);
  switch (v->tag) {
    case fmt::kNull:
    case fmt::kRowidValue:
      return true;
    case fmt::kInteger: {
      uint64_t u;
      if (!GetVarint(in, pos, &u)) return false;
      v->i = UnZigZag(u);
      return true;
    }
    case fmt::kReal: {
      if (in.size() - *pos < 8) return false;
      uint64_t bits = 0;
      for (int i = 0; i < 8; ++i) {
        bits |= static_cast<uint64_t>(static_cast<uint8_t>(in[*pos + i])) << (8 * i);
      }
      std::memcpy(&v->d, &bits, 8);
      *pos += 8;
      return true;
    }
    case fmt::kText:
    case fmt::kBlob: {
      uint64_t n;
      if (!GetVarint(in, pos, &n) || n > in.size() - *pos) return false;
      v->bytes = in.substr(*pos, n);
      *pos += n;
      return true;
    }
    default:
      return false;
  }
}

// ReadValue, with DataLoss saying what is wrong.
Status DecodeValue(std::string_view in, size_t* pos, ValueRef* v);
// Binds `v` as parameter `index` of `stmt` (bytes are copied by SQLite only if transient).
void BindValue(sqlite3_stmt* stmt, int index, const ValueRef& v);
// Renders a value for humans (SHOW BACKUP FILES start/end keys).
std::string ValueToText(const ValueRef& v);

// A decoded record body.
struct Record {
  uint8_t kind = 0;
  std::string_view body;  // the whole encoded body (what incrementals compare)
  std::string_view key;   // the encoded key (count + values)
  std::vector<ValueRef> key_values;
  std::vector<ValueRef> values;  // empty for tombstones
  uint64_t end_count = 0;        // for kRecordEnd
};

// Decodes a record body (without its length prefix). A row value stored as a reference to the
// rowid (data_file_format::kRowidValue) comes out as that integer.
Status DecodeRecord(std::string_view body, Record* rec);
// True when two record bodies hold the same kind, key and values bit for bit, however each was
// encoded (a value written out in full by an older cofre equals a reference to the rowid).
bool SameRow(std::string_view a, std::string_view b);
// Decodes an encoded key (count + values).
Status DecodeKey(std::string_view key, std::vector<ValueRef>* values);
// The encoded key of a rowid table's row: one INTEGER value.
std::string EncodeRowidKey(int64_t rowid);
// True when `key` is exactly one INTEGER value (a rowid table's key), stored in *rowid.
bool DecodeRowidKey(std::string_view key, int64_t* rowid);
// Renders an encoded key as "/v1/v2" (CockroachDB-like pretty keys); "" for an empty key.
std::string PrettyKey(std::string_view key);

}  // namespace cofre::rowcodec

#endif  // COFRE_BACKUP_ROW_CODEC_H_
