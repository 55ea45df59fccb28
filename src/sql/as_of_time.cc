#include "sql/as_of_time.h"

#include <cctype>
#include <ctime>
#include <string>

#include "sql/lexer.h"

namespace cofre::sql {

namespace {

Status Bad(std::string_view text) {
  return InvalidArgumentError("AS OF SYSTEM TIME: cannot parse '" + std::string(text) +
                              "'; use a timestamp such as '2026-11-28 16:21:31.467243' (as SHOW "
                              "BACKUP prints end_time), nanoseconds since the epoch, or a "
                              "negative interval such as '-10s'");
}

}  // namespace

StatusOr<int64_t> ParseDurationMicros(std::string_view s) {
  const Status bad =
      InvalidArgumentError("cannot parse the duration '" + std::string(s) +
                           "'; use e.g. '30s', '2m', '1h30m', '7d', '1w' or '250ms'");
  if (s.empty()) return bad;
  int64_t total = 0;
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (i == 0 || i > 15) return bad;
    double value = std::stod(std::string(s.substr(0, i)));
    s.remove_prefix(i);
    size_t j = 0;
    while (j < s.size() && std::isalpha(static_cast<unsigned char>(s[j]))) ++j;
    std::string unit(s.substr(0, j));
    s.remove_prefix(j);
    double micros;
    if (unit == "w")
      micros = 7 * 86400e6;
    else if (unit == "d")
      micros = 86400e6;
    else if (unit == "h")
      micros = 3600e6;
    else if (unit == "m")
      micros = 60e6;
    else if (unit == "s")
      micros = 1e6;
    else if (unit == "ms")
      micros = 1e3;
    else if (unit == "us" || unit == "µs")
      micros = 1;
    else if (unit == "ns")
      micros = 1e-3;
    else
      return bad;
    total += static_cast<int64_t>(value * micros);
  }
  return total;
}

namespace {

// "-1h30m", "-10s", "-250ms", "-2us": a sum of negative durations.
StatusOr<int64_t> ParseInterval(std::string_view s, std::string_view text) {
  if (s.size() < 3 || s[0] != '-') return Bad(text);
  auto d = ParseDurationMicros(s.substr(1));
  if (!d.ok()) return Bad(text);
  return -*d;
}

StatusOr<int64_t> ParseTimestamp(std::string s, std::string_view text) {
  if (s.ends_with("Z")) s.pop_back();
  if (s.ends_with("+00:00") || s.ends_with("+00")) s = s.substr(0, s.rfind('+'));
  std::tm tm{};
  int frac_micros = 0;
  int y, mo, d, h = 0, mi = 0, sec = 0;
  char sep = ' ';
  int n = std::sscanf(s.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d", &y, &mo, &d, &sep, &h, &mi, &sec);
  if (n != 3 && n != 7) return Bad(text);
  if (n == 7 && sep != ' ' && sep != 'T') return Bad(text);
  size_t dot = s.find('.');
  if (n == 7 && dot != std::string::npos) {
    std::string frac = s.substr(dot + 1);
    if (frac.empty() || frac.size() > 9) return Bad(text);
    for (char c : frac) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return Bad(text);
    }
    frac.resize(6, '0');
    frac_micros = std::stoi(frac.substr(0, 6));
  }
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  time_t secs = timegm(&tm);
  if (secs == static_cast<time_t>(-1)) return Bad(text);
  return static_cast<int64_t>(secs) * 1000000 + frac_micros;
}

}  // namespace

StatusOr<int64_t> ParseUtcTimestampMicros(std::string_view text) {
  return ParseTimestamp(std::string(text), text);
}

StatusOr<int64_t> BackupAsOfTime(std::string_view text, bool is_string, int64_t now_micros) {
  int64_t when = 0;
  std::string lower = AsciiLower(text);
  if (!is_string && lower.starts_with("follower_read_timestamp(")) {
    when = now_micros - 4'800'000;  // CockroachDB's default follower read lag
  } else {
    ASSIGN_OR_RETURN(when, ParseAsOfSystemTime(text, now_micros));
  }
  // A second of slack for clocks and the time the statement took to get here.
  if (when > now_micros + 1'000'000) {
    return InvalidArgumentError(
        "BACKUP ... AS OF SYSTEM TIME names a time in the future; a backup can only be of data "
        "that exists, e.g. AS OF SYSTEM TIME '-10s'");
  }
  if (when < now_micros - kBackupAsOfWindowMicros) {
    return InvalidArgumentError(
        "BACKUP ... AS OF SYSTEM TIME more than 5 minutes ago is not supported: cofre keeps no "
        "history of rows (SQLite has no MVCC) and always backs up the data of now; it takes a "
        "time up to 5 minutes back (such as '-10s') as CockroachDB's docs use it, to keep the "
        "backup from contending with writes");
  }
  return when;
}

StatusOr<int64_t> ParseAsOfSystemTime(std::string_view text, int64_t now_micros) {
  std::string s(text);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(s.begin());
  if (s.empty()) return Bad(text);
  if (s[0] == '-') {
    ASSIGN_OR_RETURN(int64_t delta, ParseInterval(s, text));
    return now_micros + delta;
  }
  bool decimal = true;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.') decimal = false;
  }
  if (decimal) {
    std::string nanos = s.substr(0, s.find('.'));
    if (nanos.size() < 10 || nanos.size() > 19) return Bad(text);
    return static_cast<int64_t>(std::stoll(nanos) / 1000);
  }
  return ParseTimestamp(s, text);
}

}  // namespace cofre::sql
