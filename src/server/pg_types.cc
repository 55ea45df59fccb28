#include "server/pg_types.h"

#include <cstdio>
#include <cstring>
#include <ctime>

#include "sql/as_of_time.h"
#include "util/sha256.h"

namespace cofre::server {

namespace {

std::string BigEndian(uint64_t v, int bytes) {
  std::string out(bytes, '\0');
  for (int i = 0; i < bytes; ++i) out[i] = static_cast<char>((v >> (8 * (bytes - 1 - i))) & 0xff);
  return out;
}

uint64_t ReadBigEndian(std::string_view s) {
  uint64_t v = 0;
  for (unsigned char c : s) v = (v << 8) | c;
  return v;
}

}  // namespace

StatusOr<std::string> UnhexBytea(const std::string& text) {
  if (!text.starts_with("\\x")) return text;  // not hex-rendered: the raw bytes
  if (text.size() % 2 != 0) return InvalidArgumentError("invalid bytea value");
  std::string out;
  out.reserve((text.size() - 2) / 2);
  auto nib = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 2; i < text.size(); i += 2) {
    int hi = nib(text[i]), lo = nib(text[i + 1]);
    if (hi < 0 || lo < 0) return InvalidArgumentError("invalid bytea value");
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

namespace {

// PostgreSQL's binary timestamps count microseconds (dates: days) from 2000-01-01 00:00 UTC.
constexpr int64_t kPgEpochUnixSeconds = 946684800;

// A timestamp's text (SQLite keeps UTC text) in microseconds since the PostgreSQL epoch.
bool ParseTimestamp(const std::string& text, int64_t* micros) {
  auto unix_micros = sql::ParseUtcTimestampMicros(text);
  if (!unix_micros.ok()) return false;
  *micros = *unix_micros - kPgEpochUnixSeconds * 1000000;
  return true;
}

std::string FormatTimestamp(int64_t micros, bool date_only) {
  int64_t seconds = micros / 1000000 + kPgEpochUnixSeconds;
  int64_t frac = micros % 1000000;
  if (frac < 0) {
    frac += 1000000;
    seconds -= 1;
  }
  time_t t = static_cast<time_t>(seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  if (date_only) {
    std::strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
    return buf;
  }
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  std::string out = buf;
  if (frac) {
    char f[16];
    std::snprintf(f, sizeof(f), ".%06lld", static_cast<long long>(frac));
    out += f;
    while (out.back() == '0') out.pop_back();
  }
  return out;
}

Status Unsupported(std::string_view what) {
  return UnimplementedError("binary format for " + std::string(what) +
                            " is not supported; use the text format")
      .WithDetail(ErrorDetail::kDataException);
}

}  // namespace

int32_t TypeOid(ResultSet::Type type) {
  switch (type) {
    case ResultSet::Type::kInt:
      return oid::kInt8;
    case ResultSet::Type::kFloat:
      return oid::kFloat8;
    case ResultSet::Type::kNumeric:
      return oid::kNumeric;
    case ResultSet::Type::kBytes:
      return oid::kBytea;
    case ResultSet::Type::kBool:
      return oid::kBool;
    case ResultSet::Type::kTimestamp:
      return oid::kTimestamp;
    case ResultSet::Type::kTimestampTz:
      return oid::kTimestampTz;
    case ResultSet::Type::kDate:
      return oid::kDate;
    case ResultSet::Type::kJson:
      return oid::kJson;
    case ResultSet::Type::kText:
    case ResultSet::Type::kUnknown:
      return oid::kText;
  }
  return oid::kText;
}

int16_t TypeSize(int32_t o) {
  switch (o) {
    case oid::kBool:
      return 1;
    case oid::kInt2:
      return 2;
    case oid::kInt4:
    case oid::kFloat4:
    case oid::kDate:
      return 4;
    case oid::kInt8:
    case oid::kFloat8:
    case oid::kTimestamp:
    case oid::kTimestampTz:
      return 8;
    default:
      return -1;
  }
}

StatusOr<std::string> EncodeValue(ResultSet::Type type, const std::string& text, int16_t format) {
  if (format == 0) {
    if (type == ResultSet::Type::kBool) {
      if (text == "1") return std::string("t");
      if (text == "0") return std::string("f");
    }
    if (type == ResultSet::Type::kBytes && !text.starts_with("\\x")) {
      // A text value in a BLOB column: show its bytes as bytea does.
      return "\\x" + ToHex(text);
    }
    return text;
  }
  switch (type) {
    case ResultSet::Type::kInt: {
      char* end = nullptr;
      long long v = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0')
        return InvalidArgumentError("integer column holds \"" + text + "\"");
      return BigEndian(static_cast<uint64_t>(v), 8);
    }
    case ResultSet::Type::kFloat: {
      char* end = nullptr;
      double d = std::strtod(text.c_str(), &end);
      if (text.empty() || *end != '\0')
        return InvalidArgumentError("float column holds a non-number");
      uint64_t bits;
      std::memcpy(&bits, &d, 8);
      return BigEndian(bits, 8);
    }
    case ResultSet::Type::kBool:
      return std::string(1, (text == "1" || text == "t" || text == "true") ? '\1' : '\0');
    case ResultSet::Type::kBytes:
      return UnhexBytea(text);
    case ResultSet::Type::kText:
    case ResultSet::Type::kUnknown:
    case ResultSet::Type::kJson:
      return text;
    case ResultSet::Type::kNumeric:
      return Unsupported("numeric");
    case ResultSet::Type::kTimestamp:
    case ResultSet::Type::kTimestampTz: {
      int64_t micros;
      if (!ParseTimestamp(text, &micros)) {
        return InvalidArgumentError("timestamp column holds \"" + text +
                                    "\", which has no binary form; use the text format")
            .WithDetail(ErrorDetail::kDataException);
      }
      return BigEndian(static_cast<uint64_t>(micros), 8);
    }
    case ResultSet::Type::kDate: {
      int64_t micros;
      if (!ParseTimestamp(text, &micros)) {
        return InvalidArgumentError("date column holds \"" + text +
                                    "\", which has no binary form; use the text format")
            .WithDetail(ErrorDetail::kDataException);
      }
      int64_t days =
          micros >= 0 ? micros / 86400000000LL : -((-micros + 86400000000LL - 1) / 86400000000LL);
      return BigEndian(static_cast<uint64_t>(static_cast<int32_t>(days)), 4);
    }
  }
  return text;
}

StatusOr<sql::Param> DecodeParam(int32_t o, int16_t format, const std::optional<std::string>& value,
                                 int index) {
  sql::Param p;
  switch (o) {
    case oid::kBool:
      p.type = sql::Param::Type::kBool;
      break;
    case oid::kInt2:
    case oid::kInt4:
    case oid::kInt8:
      p.type = sql::Param::Type::kInt;
      break;
    case oid::kFloat4:
    case oid::kFloat8:
    case oid::kNumeric:
      p.type = sql::Param::Type::kFloat;
      break;
    case oid::kBytea:
      p.type = sql::Param::Type::kBytes;
      break;
    case 0:
    case oid::kUnknown:
      p.type = sql::Param::Type::kUnknown;
      break;
    default:
      p.type = sql::Param::Type::kText;
      break;
  }
  if (!value) return p;
  auto bad = [&] {
    return InvalidArgumentError("parameter $" + std::to_string(index) +
                                " has an invalid binary value for its type")
        .WithDetail(ErrorDetail::kDataException);
  };
  if (format == 0) {
    if (p.type == sql::Param::Type::kBytes) {
      ASSIGN_OR_RETURN(p.value, UnhexBytea(*value));
    } else {
      p.value = *value;
    }
    return p;
  }
  const std::string& v = *value;
  switch (o) {
    case oid::kBool:
      if (v.size() != 1) return bad();
      p.value = v[0] ? "1" : "0";
      break;
    case oid::kInt2:
      if (v.size() != 2) return bad();
      p.value = std::to_string(static_cast<int16_t>(ReadBigEndian(v)));
      break;
    case oid::kInt4:
      if (v.size() != 4) return bad();
      p.value = std::to_string(static_cast<int32_t>(ReadBigEndian(v)));
      break;
    case oid::kInt8:
      if (v.size() != 8) return bad();
      p.value = std::to_string(static_cast<int64_t>(ReadBigEndian(v)));
      break;
    case oid::kFloat4: {
      if (v.size() != 4) return bad();
      uint32_t bits = static_cast<uint32_t>(ReadBigEndian(v));
      float f;
      std::memcpy(&f, &bits, 4);
      char buf[64];
      snprintf(buf, sizeof(buf), "%.9g", f);
      p.value = buf;
      break;
    }
    case oid::kFloat8: {
      if (v.size() != 8) return bad();
      uint64_t bits = ReadBigEndian(v);
      double d;
      std::memcpy(&d, &bits, 8);
      char buf[64];
      snprintf(buf, sizeof(buf), "%.17g", d);
      p.value = buf;
      break;
    }
    case oid::kTimestamp:
    case oid::kTimestampTz:
      if (v.size() != 8) return bad();
      p.value = FormatTimestamp(static_cast<int64_t>(ReadBigEndian(v)), false);
      p.type = sql::Param::Type::kText;
      break;
    case oid::kDate:
      if (v.size() != 4) return bad();
      p.value = FormatTimestamp(
          static_cast<int64_t>(static_cast<int32_t>(ReadBigEndian(v))) * 86400000000LL, true);
      p.type = sql::Param::Type::kText;
      break;
    case oid::kBytea:
    case oid::kText:
    case oid::kVarchar:
    case oid::kBpchar:
    case oid::kJson:
    case oid::kUnknown:
    case 0:
      p.value = v;
      if (o == 0 || o == oid::kUnknown) p.type = sql::Param::Type::kText;
      break;
    default:
      return UnimplementedError("binary format for parameter $" + std::to_string(index) +
                                " of type " + std::to_string(o) + " is not supported")
          .WithDetail(ErrorDetail::kDataException);
  }
  return p;
}

}  // namespace cofre::server
