// PostgreSQL type OIDs for cofre's result columns and parameters, and the text/binary value
// encodings of the types cofre supports in binary: bool, int2/4/8, float4/8, bytea, text (and
// the text-like types), timestamp/timestamptz (UTC text in SQLite) and date. numeric is sent in
// text format only (a binary request gets 0A000).
// Thread-safety: pure functions.
#ifndef COFRE_SERVER_PG_TYPES_H_
#define COFRE_SERVER_PG_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sql/placeholders.h"
#include "util/result_set.h"
#include "util/status.h"

namespace cofre::server {

namespace oid {
inline constexpr int32_t kBool = 16, kBytea = 17, kInt8 = 20, kInt2 = 21, kInt4 = 23, kText = 25,
                         kJson = 114, kFloat4 = 700, kFloat8 = 701, kVarchar = 1043, kBpchar = 1042,
                         kDate = 1082, kTimestamp = 1114, kTimestampTz = 1184, kNumeric = 1700,
                         kUnknown = 705;
}  // namespace oid

int32_t TypeOid(ResultSet::Type type);

// The bytes of bytea text in hex format ("\x00ff"); text without the "\x" prefix is taken as
// the raw bytes. InvalidArgument for bad hex.
StatusOr<std::string> UnhexBytea(const std::string& text);
// The wire size of a type (-1: variable).
int16_t TypeSize(int32_t oid);

// Encodes one result value (cofre's text rendering) for the wire in `format` (0 text, 1
// binary). InvalidArgument (feature not supported) for binary of a type without a binary codec.
StatusOr<std::string> EncodeValue(ResultSet::Type type, const std::string& text, int16_t format);

// Decodes one parameter sent with type `oid` (0: unspecified) in `format` into a Param.
StatusOr<sql::Param> DecodeParam(int32_t oid, int16_t format,
                                 const std::optional<std::string>& value, int index);

}  // namespace cofre::server

#endif  // COFRE_SERVER_PG_TYPES_H_
