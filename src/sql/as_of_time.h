// AS OF SYSTEM TIME: turns the expression a user gave into a point in time (microseconds since
// the epoch, UTC). Accepted, as CockroachDB accepts them: timestamps as SHOW BACKUP prints them
// ('2026-11-28 16:21:31.467243', also with 'T', a trailing 'Z' or '+00:00', or a date alone),
// decimal nanoseconds since the epoch ('1795450891467243000.0000000000'), and negative
// intervals relative to now ('-10s', '-5m', '-1h30m', '-250ms', '-2us').
// Thread-safety: pure functions.
#ifndef COFRE_SQL_AS_OF_TIME_H_
#define COFRE_SQL_AS_OF_TIME_H_

#include <cstdint>
#include <string_view>

#include "util/status.h"

namespace cofre::sql {

// A positive duration as a sum of parts: '30s', '2m', '1h30m', '7d', '1w', '250ms', '2us'
// (microseconds).
StatusOr<int64_t> ParseDurationMicros(std::string_view text);

StatusOr<int64_t> ParseAsOfSystemTime(std::string_view text, int64_t now_micros);

// How far back BACKUP ... AS OF SYSTEM TIME may ask: 5 minutes.
constexpr int64_t kBackupAsOfWindowMicros = 300'000'000;

// BACKUP ... AS OF SYSTEM TIME `text` (`is_string`: a string literal; else an expression such
// as follower_read_timestamp()): the time asked for. cofre's snapshot is always of now (SQLite
// keeps no history of rows), so it accepts what CockroachDB's docs put on every backup -- a
// time a little in the past ('-10s', follower_read_timestamp()), meant to keep the backup from
// contending with writes -- and backs up the data of now. InvalidArgument (naming the feature)
// for a time in the future or more than kBackupAsOfWindowMicros ago, which cofre cannot give.
StatusOr<int64_t> BackupAsOfTime(std::string_view text, bool is_string, int64_t now_micros);

// A UTC timestamp ("YYYY-MM-DD[ |T]HH:MM:SS[.ffffff][Z|+00[:00]]" or a date) in microseconds
// since the Unix epoch. InvalidArgument otherwise.
StatusOr<int64_t> ParseUtcTimestampMicros(std::string_view text);

}  // namespace cofre::sql

#endif  // COFRE_SQL_AS_OF_TIME_H_
