#include "backup/key_order.h"

#include <strings.h>

#include <algorithm>
#include <cstring>

#include "backup/data_file_format.h"
#include "backup/row_codec.h"

namespace cofre {

namespace fmt = data_file_format;

namespace {

// One decoded key value; `bytes` points into the key.
struct Value {
  uint8_t tag = fmt::kNull;
  int64_t i = 0;
  double d = 0;
  std::string_view bytes;
};

// Reads the value at *pos; false when malformed.
bool ReadValue(std::string_view in, size_t* pos, Value* v) {
  if (*pos >= in.size()) return false;
  v->tag = static_cast<uint8_t>(in[(*pos)++]);
  uint64_t u;
  switch (v->tag) {
    case fmt::kNull:
      return true;
    case fmt::kInteger:
      if (!rowcodec::GetVarint(in, pos, &u)) return false;
      v->i = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
      return true;
    case fmt::kReal: {
      if (in.size() - *pos < 8) return false;
      uint64_t bits = 0;
      for (int k = 0; k < 8; ++k) bits |= uint64_t{static_cast<uint8_t>(in[*pos + k])} << (8 * k);
      std::memcpy(&v->d, &bits, 8);
      *pos += 8;
      return true;
    }
    case fmt::kText:
    case fmt::kBlob:
      if (!rowcodec::GetVarint(in, pos, &u) || u > in.size() - *pos) return false;
      v->bytes = in.substr(*pos, u);
      *pos += u;
      return true;
    default:
      return false;
  }
}

int Sign(int64_t x) { return (x > 0) - (x < 0); }

// Whether `in` starts with a key of one INTEGER value (a rowid table's key, by far the most
// common), whose varint then starts at in[2].
bool StartsWithOneInteger(std::string_view in) {
  return in.size() >= 3 && in[0] == 1 && static_cast<uint8_t>(in[1]) == fmt::kInteger;
}

// The value of `key` when it is exactly one INTEGER value: what the general walk of Compare()
// would read, without it.
bool ReadOneInteger(std::string_view key, int64_t* v) {
  if (!StartsWithOneInteger(key)) return false;
  size_t pos = 2;
  uint64_t u;
  if (!rowcodec::GetVarint(key, &pos, &u) || pos != key.size()) return false;
  *v = static_cast<int64_t>((u >> 1) ^ (~(u & 1) + 1));
  return true;
}

// SQLite's comparison of an INTEGER with a REAL (exact for every int64 and finite double).
int CompareIntReal(int64_t i, double r) {
  if (r < -9223372036854775808.0) return 1;
  if (r >= 9223372036854775808.0) return -1;
  int64_t y = static_cast<int64_t>(r);
  if (i != y) return i < y ? -1 : 1;
  double s = static_cast<double>(i);
  return (s < r) ? -1 : (s > r) ? 1 : 0;
}

int CompareBytes(std::string_view a, std::string_view b) {
  int c = std::memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
  if (c != 0) return c;
  return Sign(static_cast<int64_t>(a.size()) - static_cast<int64_t>(b.size()));
}

int CompareText(std::string_view a, std::string_view b, KeyOrder::Collation coll) {
  switch (coll) {
    case KeyOrder::Collation::kBinary:
      return CompareBytes(a, b);
    case KeyOrder::Collation::kNoCase: {
      size_t n = std::min(a.size(), b.size());
      for (size_t k = 0; k < n; ++k) {
        unsigned char x = static_cast<unsigned char>(a[k]), y = static_cast<unsigned char>(b[k]);
        if (x < 0x80) x = static_cast<unsigned char>(tolower(x));
        if (y < 0x80) y = static_cast<unsigned char>(tolower(y));
        if (x != y) return x < y ? -1 : 1;
      }
      return Sign(static_cast<int64_t>(a.size()) - static_cast<int64_t>(b.size()));
    }
    case KeyOrder::Collation::kRtrim:
      while (!a.empty() && a.back() == ' ') a.remove_suffix(1);
      while (!b.empty() && b.back() == ' ') b.remove_suffix(1);
      return CompareBytes(a, b);
  }
  return 0;
}

// Storage class rank: NULL, numbers, TEXT, BLOB.
int Rank(uint8_t tag) {
  switch (tag) {
    case fmt::kNull:
      return 0;
    case fmt::kInteger:
    case fmt::kReal:
      return 1;
    case fmt::kText:
      return 2;
    default:
      return 3;
  }
}

int CompareValues(const Value& a, const Value& b, KeyOrder::Collation coll) {
  int ra = Rank(a.tag), rb = Rank(b.tag);
  if (ra != rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return 0;
    case 1:
      if (a.tag == fmt::kInteger && b.tag == fmt::kInteger) return a.i < b.i ? -1 : a.i > b.i;
      if (a.tag == fmt::kReal && b.tag == fmt::kReal) return a.d < b.d ? -1 : a.d > b.d;
      if (a.tag == fmt::kInteger) return CompareIntReal(a.i, b.d);
      return -CompareIntReal(b.i, a.d);
    case 2:
      return CompareText(a.bytes, b.bytes, coll);
    default:
      return CompareBytes(a.bytes, b.bytes);
  }
}

std::optional<KeyOrder::Collation> ParseCollation(const char* name) {
  if (name == nullptr || strcasecmp(name, "BINARY") == 0) return KeyOrder::Collation::kBinary;
  if (strcasecmp(name, "NOCASE") == 0) return KeyOrder::Collation::kNoCase;
  if (strcasecmp(name, "RTRIM") == 0) return KeyOrder::Collation::kRtrim;
  return std::nullopt;
}

}  // namespace

size_t EncodedKeyLength(std::string_view in) {
  size_t pos = 0;
  uint64_t n;
  if (StartsWithOneInteger(in)) {
    pos = 2;
    return rowcodec::GetVarint(in, &pos, &n) ? pos : 0;
  }
  if (!rowcodec::GetVarint(in, &pos, &n) || n > in.size()) return 0;
  Value v;
  for (uint64_t k = 0; k < n; ++k) {
    if (!ReadValue(in, &pos, &v)) return 0;
  }
  return pos;
}

int KeyOrder::Compare(std::string_view a, std::string_view b) const {
  // The same bytes are the same values (the common case of an incremental's unchanged row).
  if (a == b) return 0;
  int64_t x, y;
  if (ReadOneInteger(a, &x) && ReadOneInteger(b, &y)) return x < y ? -1 : x > y;
  size_t pa = 0, pb = 0;
  uint64_t na, nb;
  if (!rowcodec::GetVarint(a, &pa, &na) || !rowcodec::GetVarint(b, &pb, &nb)) {
    return CompareBytes(a, b);
  }
  uint64_t n = std::min(na, nb);
  Value va, vb;
  for (uint64_t k = 0; k < n; ++k) {
    if (!ReadValue(a, &pa, &va) || !ReadValue(b, &pb, &vb)) return CompareBytes(a, b);
    Collation coll = k < collations_.size() ? collations_[k] : Collation::kBinary;
    int c = CompareValues(va, vb, coll);
    if (c != 0) return c;
  }
  return na < nb ? -1 : na > nb;
}

StatusOr<std::optional<KeyOrder>> KeyOrder::ForTable(const SqliteDb& db,
                                                     const TableSchema& schema) {
  if (!schema.without_rowid) return std::optional<KeyOrder>(KeyOrder());
  ASSIGN_OR_RETURN(auto encoding, db.QueryText("PRAGMA main.encoding"));
  if (!encoding || strcasecmp(encoding->c_str(), "UTF-8") != 0) return std::nullopt;
  // The PRIMARY KEY's collations decide which keys are the same row.
  ASSIGN_OR_RETURN(SqliteStmt list, db.Prepare("SELECT name FROM pragma_index_list(?, 'main') "
                                               "WHERE origin = 'pk'"));
  list.Bind(1, schema.name);
  ASSIGN_OR_RETURN(bool found, list.Step());
  if (!found) return std::nullopt;
  std::string pk_index = list.ColumnText(0);
  ASSIGN_OR_RETURN(SqliteStmt info, db.Prepare("SELECT name, coll FROM pragma_index_xinfo(?, "
                                               "'main') WHERE key = 1 ORDER BY seqno"));
  info.Bind(1, pk_index);
  std::vector<Collation> collations;
  for (size_t k = 0;; ++k) {
    ASSIGN_OR_RETURN(bool row, info.Step());
    if (!row) {
      if (k != schema.key_columns.size()) return std::nullopt;
      break;
    }
    if (k >= schema.key_columns.size() || info.ColumnText(0) != schema.key_columns[k]) {
      return std::nullopt;
    }
    std::string index_coll = info.ColumnText(1);
    // The scan orders by the column's own collation; both must agree.
    const char* column_coll = nullptr;
    if (sqlite3_table_column_metadata(db.get(), "main", schema.name.c_str(),
                                      schema.key_columns[k].c_str(), nullptr, &column_coll, nullptr,
                                      nullptr, nullptr) != SQLITE_OK) {
      return std::nullopt;
    }
    auto a = ParseCollation(index_coll.c_str());
    auto b = ParseCollation(column_coll);
    if (!a || !b || *a != *b) return std::nullopt;
    collations.push_back(*a);
  }
  return std::optional<KeyOrder>(KeyOrder(std::move(collations)));
}

}  // namespace cofre
