#include "engine/sqlite_record.h"

#include <bit>
#include <cstring>

#include "engine/sqlite_varint.h"

namespace cofre::sqlite_record {
namespace {

// Serial type of an integer other than 0 and 1, and its body length.
void IntegerSerialType(int64_t v, uint64_t* type, size_t* len) {
  if (v >= -128 && v <= 127) {
    *type = 1, *len = 1;
  } else if (v >= -32768 && v <= 32767) {
    *type = 2, *len = 2;
  } else if (v >= -8388608 && v <= 8388607) {
    *type = 3, *len = 3;
  } else if (v >= -2147483648LL && v <= 2147483647LL) {
    *type = 4, *len = 4;
  } else if (v >= -140737488355328LL && v <= 140737488355327LL) {
    *type = 5, *len = 6;
  } else {
    *type = 6, *len = 8;
  }
}

void SerialType(const Value& v, uint64_t* type, size_t* len) {
  switch (v.type) {
    case Type::kNull:
      *type = 0, *len = 0;
      return;
    case Type::kInteger:
      if (v.i == 0 || v.i == 1) {
        *type = 8 + static_cast<uint64_t>(v.i), *len = 0;
      } else {
        IntegerSerialType(v.i, type, len);
      }
      return;
    case Type::kReal:
      *type = 7, *len = 8;
      return;
    case Type::kText:
      *type = 13 + 2 * uint64_t{v.bytes.size()}, *len = v.bytes.size();
      return;
    case Type::kBlob:
      *type = 12 + 2 * uint64_t{v.bytes.size()}, *len = v.bytes.size();
      return;
  }
  *type = 0, *len = 0;
}

// Writes the low `len` (at most 8) bytes of `v` big-endian.
void PutBigEndian(uint64_t v, size_t len, char* out) {
  uint64_t big = v;
  if constexpr (std::endian::native == std::endian::little) big = __builtin_bswap64(v);
  std::memcpy(out, reinterpret_cast<const char*>(&big) + (8 - len), len);
}

// Body length of serial type `t`, or -1 for the reserved types 10 and 11.
int64_t BodyLength(uint64_t t) {
  static constexpr int64_t kFixed[12] = {0, 1, 2, 3, 4, 6, 8, 8, 0, 0, -1, -1};
  if (t < 12) return kFixed[t];
  return static_cast<int64_t>((t - 12) / 2);
}

// Size of a record's header whose serial types take `types_len` bytes: the header size counts
// its own varint.
uint64_t HeaderLength(size_t types_len) {
  uint64_t header_len = types_len + 1;
  while (sqlite_varint::Length(header_len) + types_len != header_len) {
    header_len = types_len + sqlite_varint::Length(header_len);
  }
  return header_len;
}

// Writes the body of `v`, `len` bytes as SerialType gives them, at `b`.
void PutBody(const Value& v, size_t len, char* b) {
  switch (v.type) {
    case Type::kNull:
      break;
    case Type::kInteger:
      PutBigEndian(static_cast<uint64_t>(v.i), len, b);
      break;
    case Type::kReal:
      PutBigEndian(std::bit_cast<uint64_t>(v.r), 8, b);
      break;
    case Type::kText:
    case Type::kBlob:
      if (len > 0) std::memcpy(b, v.bytes.data(), len);
      break;
  }
}

}  // namespace

void Append(std::span<const Value> values, std::string* out) {
  size_t types_len = 0;
  size_t body_len = 0;
  for (const Value& v : values) {
    uint64_t type;
    size_t len;
    SerialType(v, &type, &len);
    types_len += sqlite_varint::Length(type);
    body_len += len;
  }
  const uint64_t header_len = HeaderLength(types_len);
  const size_t start = out->size();
  out->resize(start + header_len + body_len);
  uint8_t* h = reinterpret_cast<uint8_t*>(out->data() + start);
  char* b = out->data() + start + header_len;
  h += sqlite_varint::Put(header_len, h);
  for (const Value& v : values) {
    uint64_t type;
    size_t len;
    SerialType(v, &type, &len);
    h += sqlite_varint::Put(type, h);
    PutBody(v, len, b);
    b += len;
  }
}

void RecordLayout::Reset(std::span<const Value> values) {
  values_ = values;
  const size_t n = values.size();
  types_.resize(n);
  lengths_.resize(n);
  type_bytes_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    size_t len;
    SerialType(values[i], &types_[i], &len);
    lengths_[i] = len;
    type_bytes_[i] = static_cast<uint8_t>(sqlite_varint::Length(types_[i]));
  }
  if (all_.size() != n) {
    all_.resize(n);
    for (size_t i = 0; i < n; ++i) all_[i] = static_cast<int>(i);
  }
}

size_t RecordLayout::Size(std::span<const int> columns) const {
  size_t types_len = 0;
  size_t body_len = 0;
  for (int c : columns) {
    types_len += type_bytes_[c];
    body_len += lengths_[c];
  }
  return HeaderLength(types_len) + body_len;
}

char* RecordLayout::Write(std::span<const int> columns, char* out) const {
  size_t types_len = 0;
  for (int c : columns) types_len += type_bytes_[c];
  const uint64_t header_len = HeaderLength(types_len);
  uint8_t* h = reinterpret_cast<uint8_t*>(out);
  char* b = out + header_len;
  h += sqlite_varint::Put(header_len, h);
  for (int c : columns) {
    h += sqlite_varint::Put(types_[c], h);
    PutBody(values_[c], lengths_[c], b);
    b += lengths_[c];
  }
  return b;
}

Status Validate(std::string_view record) {
  const uint8_t* p = reinterpret_cast<const uint8_t*>(record.data());
  const size_t n = record.size();
  uint64_t header_len;
  size_t used = sqlite_varint::Get(p, n, &header_len);
  if (used == 0) return InvalidArgumentError("record is empty or its header size is truncated");
  if (header_len < used || header_len > n) {
    return InvalidArgumentError("record header size " + std::to_string(header_len) +
                                " does not fit the record of " + std::to_string(n) + " bytes");
  }
  uint64_t body = 0;
  size_t pos = used;
  while (pos < header_len) {
    uint64_t t;
    size_t k = sqlite_varint::Get(p + pos, header_len - pos, &t);
    if (k == 0) return InvalidArgumentError("record header ends inside a serial type");
    pos += k;
    const int64_t len = BodyLength(t);
    if (len < 0) {
      return InvalidArgumentError("record has the reserved serial type " + std::to_string(t));
    }
    body += static_cast<uint64_t>(len);
    if (body > n) break;
  }
  if (header_len + body != n) {
    return InvalidArgumentError("record of " + std::to_string(n) + " bytes has a header of " +
                                std::to_string(header_len) + " bytes describing " +
                                std::to_string(body) + " bytes of values");
  }
  return Status::OK();
}

Status Parse(std::string_view record, std::vector<Value>* values) {
  // One pass that checks as it decodes; whatever it finds wrong, Validate then says what.
  auto malformed = [&]() -> Status {
    Status st = Validate(record);
    return st.ok() ? InternalError("record parse and validation disagree") : st;
  };
  values->clear();
  const uint8_t* p = reinterpret_cast<const uint8_t*>(record.data());
  const size_t n = record.size();
  uint64_t header_len = 0;
  size_t pos = sqlite_varint::Get(p, n, &header_len);
  if (pos == 0 || header_len < pos || header_len > n) return malformed();
  size_t body = header_len;
  while (pos < header_len) {
    uint64_t t = 0;
    const size_t k = sqlite_varint::Get(p + pos, header_len - pos, &t);
    const int64_t body_len = k == 0 ? -1 : BodyLength(t);
    if (body_len < 0 || static_cast<uint64_t>(body_len) > n - body) return malformed();
    pos += k;
    const size_t len = static_cast<size_t>(body_len);
    Value v;
    if (t == 0) {
      v.type = Type::kNull;
    } else if (t == 8 || t == 9) {
      v.type = Type::kInteger;
      v.i = static_cast<int64_t>(t - 8);
    } else if (t <= 7) {
      uint64_t bits = 0;
      for (size_t b = 0; b < len; ++b) bits = bits << 8 | p[body + b];
      if (t == 7) {
        v.type = Type::kReal;
        v.r = std::bit_cast<double>(bits);
      } else {
        // Sign-extends the big-endian integer of `len` bytes.
        const unsigned shift = 64 - 8 * static_cast<unsigned>(len);
        v.type = Type::kInteger;
        v.i = static_cast<int64_t>(bits << shift) >> shift;
      }
    } else {
      v.type = t % 2 ? Type::kText : Type::kBlob;
      v.bytes = record.substr(body, len);
    }
    body += len;
    values->push_back(v);
  }
  if (body != n) return malformed();
  return Status::OK();
}

}  // namespace cofre::sqlite_record
