#include "backup/row_codec.h"

#include <cstring>

#include "backup/data_file_format.h"

namespace cofre::rowcodec {

namespace fmt = data_file_format;

// Writes the varint of `v` at `buf` (room for 10 bytes); returns its length.
static inline int EncodeVarint(char* buf, uint64_t v) {
  int n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  return n;
}

size_t PutVarint(uint64_t v, char* out) { return static_cast<size_t>(EncodeVarint(out, v)); }

void PutVarint(std::string* out, uint64_t v) {
  if (v < 0x80) {
    out->push_back(static_cast<char>(v));
    return;
  }
  char buf[10];
  out->append(buf, EncodeVarint(buf, v));
}

bool GetVarintSlow(std::string_view in, size_t* pos, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63; shift += 7) {
    if (*pos >= in.size()) return false;
    uint8_t b = static_cast<uint8_t>(in[(*pos)++]);
    result |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *v = result;
      return true;
    }
  }
  return false;
}

static uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}

void AppendInteger(std::string* out, int64_t v) {
  char buf[11];
  buf[0] = static_cast<char>(fmt::kInteger);
  out->append(buf, 1 + EncodeVarint(buf + 1, ZigZag(v)));
}

// Appends a tag byte and a varint length (the header of a text or blob value).
static void AppendLengthHeader(std::string* out, uint8_t tag, uint64_t n) {
  char buf[11];
  buf[0] = static_cast<char>(tag);
  out->append(buf, 1 + EncodeVarint(buf + 1, n));
}

void AppendValue(std::string* out, sqlite3_value* v, int type) {
  switch (type) {
    case SQLITE_INTEGER:
      AppendInteger(out, sqlite3_value_int64(v));
      break;
    case SQLITE_FLOAT: {
      double d = sqlite3_value_double(v);
      uint64_t bits;
      std::memcpy(&bits, &d, 8);
      char b[9];
      b[0] = static_cast<char>(fmt::kReal);
      for (int i = 0; i < 8; ++i) b[1 + i] = static_cast<char>(bits >> (8 * i));
      out->append(b, 9);
      break;
    }
    case SQLITE_TEXT: {
      // Text before bytes: sqlite3_value_bytes then counts the UTF-8 form just produced.
      const char* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
      int n = sqlite3_value_bytes(v);
      AppendLengthHeader(out, fmt::kText, static_cast<uint64_t>(n));
      if (n) out->append(p, n);
      break;
    }
    case SQLITE_BLOB: {
      const char* p = static_cast<const char*>(sqlite3_value_blob(v));
      int n = sqlite3_value_bytes(v);
      AppendLengthHeader(out, fmt::kBlob, static_cast<uint64_t>(n));
      if (n) out->append(p, n);
      break;
    }
    default:
      out->push_back(static_cast<char>(fmt::kNull));
  }
}

void AppendColumn(std::string* out, sqlite3_stmt* stmt, int col) {
  sqlite3_value* v = sqlite3_column_value(stmt, col);
  AppendValue(out, v, sqlite3_value_type(v));
}

Status DecodeValue(std::string_view in, size_t* pos, ValueRef* v) {
  const size_t start = *pos;
  if (ReadValue(in, pos, v)) return Status::OK();
  if (start >= in.size()) return DataLossError("truncated value");
  switch (static_cast<uint8_t>(in[start])) {
    case fmt::kInteger:
      return DataLossError("truncated integer");
    case fmt::kReal:
      return DataLossError("truncated real");
    case fmt::kText:
    case fmt::kBlob:
      return DataLossError("truncated text or blob value");
    default:
      return DataLossError("unknown value tag " + std::to_string(static_cast<uint8_t>(in[start])));
  }
}

void BindValue(sqlite3_stmt* stmt, int index, const ValueRef& v) {
  switch (v.tag) {
    case fmt::kInteger:
      sqlite3_bind_int64(stmt, index, v.i);
      break;
    case fmt::kReal:
      sqlite3_bind_double(stmt, index, v.d);
      break;
    case fmt::kText:
      sqlite3_bind_text64(stmt, index, v.bytes.data(), v.bytes.size(), SQLITE_STATIC, SQLITE_UTF8);
      break;
    case fmt::kBlob:
      sqlite3_bind_blob64(stmt, index, v.bytes.data(), v.bytes.size(), SQLITE_STATIC);
      break;
    default:
      sqlite3_bind_null(stmt, index);
  }
}

std::string ValueToText(const ValueRef& v) {
  switch (v.tag) {
    case fmt::kInteger:
      return std::to_string(v.i);
    case fmt::kReal: {
      char buf[64];
      snprintf(buf, sizeof(buf), "%.17g", v.d);
      return buf;
    }
    case fmt::kText:
      return "'" + std::string(v.bytes) + "'";
    case fmt::kBlob:
      return "x'" + std::to_string(v.bytes.size()) + " bytes'";
    default:
      return "NULL";
  }
}

static Status DecodeKeyAt(std::string_view in, size_t* pos, std::vector<ValueRef>* out) {
  uint64_t n;
  // Every value takes at least one byte: a count beyond the bytes left is a forged one.
  if (!GetVarint(in, pos, &n) || n > 2000 || n > in.size() - *pos) {
    return DataLossError("malformed key");
  }
  out->resize(n);
  for (uint64_t i = 0; i < n; ++i) {
    RETURN_IF_ERROR(DecodeValue(in, pos, &(*out)[i]));
    if ((*out)[i].tag == fmt::kRowidValue) return DataLossError("a key refers to itself");
  }
  return Status::OK();
}

Status DecodeRecord(std::string_view body, Record* rec) {
  if (body.empty()) return DataLossError("empty record");
  rec->body = body;
  size_t pos = 0;
  rec->kind = static_cast<uint8_t>(body[pos++]);
  rec->values.clear();
  if (rec->kind == fmt::kRecordEnd) {
    if (!GetVarint(body, &pos, &rec->end_count)) return DataLossError("malformed end record");
    return pos == body.size() ? Status::OK() : DataLossError("trailing bytes in end record");
  }
  if (rec->kind != fmt::kRecordRow && rec->kind != fmt::kRecordTombstone) {
    return DataLossError("unknown record kind " + std::to_string(rec->kind));
  }
  size_t key_start = pos;
  RETURN_IF_ERROR(DecodeKeyAt(body, &pos, &rec->key_values));
  rec->key = body.substr(key_start, pos - key_start);
  if (rec->kind == fmt::kRecordRow) {
    uint64_t n;
    if (!GetVarint(body, &pos, &n) || n > 100000 || n > body.size() - pos) {
      return DataLossError("malformed row");
    }
    rec->values.resize(n);
    for (uint64_t i = 0; i < n; ++i) {
      ValueRef& v = rec->values[i];
      RETURN_IF_ERROR(DecodeValue(body, &pos, &v));
      if (v.tag != fmt::kRowidValue) continue;
      if (rec->key_values.size() != 1 || rec->key_values[0].tag != fmt::kInteger) {
        return DataLossError("a row refers to a rowid its key does not have");
      }
      v.tag = fmt::kInteger;
      v.i = rec->key_values[0].i;
    }
  }
  if (pos != body.size()) return DataLossError("trailing bytes in record");
  return Status::OK();
}

bool SameRow(std::string_view a, std::string_view b) {
  if (a == b) return true;
  Record ra, rb;
  if (!DecodeRecord(a, &ra).ok() || !DecodeRecord(b, &rb).ok()) return false;
  if (ra.kind != rb.kind || ra.key != rb.key || ra.values.size() != rb.values.size()) return false;
  for (size_t i = 0; i < ra.values.size(); ++i) {
    const ValueRef& x = ra.values[i];
    const ValueRef& y = rb.values[i];
    if (x.tag != y.tag) return false;
    switch (x.tag) {
      case fmt::kInteger:
        if (x.i != y.i) return false;
        break;
      case fmt::kReal:
        if (std::memcmp(&x.d, &y.d, sizeof x.d) != 0) return false;
        break;
      case fmt::kText:
      case fmt::kBlob:
        if (x.bytes != y.bytes) return false;
        break;
      default:
        break;
    }
  }
  return true;
}

std::string EncodeRowidKey(int64_t rowid) {
  std::string key;
  PutVarint(&key, 1);
  AppendInteger(&key, rowid);
  return key;
}

bool DecodeRowidKey(std::string_view key, int64_t* rowid) {
  size_t pos = 0;
  uint64_t n = 0;
  ValueRef v;
  if (!GetVarint(key, &pos, &n) || n != 1 || !DecodeValue(key, &pos, &v).ok() ||
      v.tag != data_file_format::kInteger || pos != key.size()) {
    return false;
  }
  *rowid = v.i;
  return true;
}

Status DecodeKey(std::string_view key, std::vector<ValueRef>* values) {
  size_t pos = 0;
  RETURN_IF_ERROR(DecodeKeyAt(key, &pos, values));
  if (pos != key.size()) return DataLossError("trailing bytes in key");
  return Status::OK();
}

std::string PrettyKey(std::string_view key) {
  if (key.empty()) return "";
  std::vector<ValueRef> values;
  size_t pos = 0;
  if (!DecodeKeyAt(key, &pos, &values).ok()) return "<malformed key>";
  std::string out;
  for (const auto& v : values) out += "/" + ValueToText(v);
  return out;
}

}  // namespace cofre::rowcodec
