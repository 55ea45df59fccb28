// CronSchedule: a crontab expression (what CREATE SCHEDULE ... RECURRING takes) and the times it
// names, in UTC.
//
// Accepted forms:
//   - five fields, "minute hour day-of-month month day-of-week" (CockroachDB's, as cron's);
//   - six fields, a leading "second" field before them: cofre's extension, so that a schedule
//     can run every few seconds (tests, demonstrations);
//   - @yearly (@annually), @monthly, @weekly, @daily (@midnight), @hourly.
// Each field is a comma-separated list of items: `*`, `n`, `a-b`, with an optional `/step`
// (`*/15`, `10-50/20`, `5/10` meaning 5-max/10). Months take JAN-DEC, days of week SUN-SAT
// (0-7, both 0 and 7 are Sunday); names are case-insensitive.
// Days: when both day-of-month and day-of-week are restricted (neither is `*` nor `*/1`), a day
// matches when either matches (cron's OR rule); otherwise both must match.
// Thread-safety: immutable once parsed.
#ifndef COFRE_JOBS_CRON_H_
#define COFRE_JOBS_CRON_H_

#include <bitset>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace cofre {

class CronSchedule {
 public:
  // InvalidArgument naming the bad field and why ("hour 24 is out of range 0-23").
  static StatusOr<CronSchedule> Parse(std::string_view spec);

  // The first matching time strictly after `after` (Unix seconds, UTC), at a whole second (six
  // fields) or a whole minute (five fields). NotFound when nothing matches within ten years
  // (e.g. "0 0 30 2 *": February 30th).
  StatusOr<int64_t> Next(int64_t after) const;

  // True when the expression has the seconds field (cofre's extension).
  bool has_seconds() const { return has_seconds_; }

 private:
  CronSchedule() = default;
  bool DayMatches(int64_t year, int month, int day) const;

  std::bitset<60> seconds_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_of_month_;  // 1-31
  std::bitset<13> months_;         // 1-12
  std::bitset<7> days_of_week_;    // 0 = Sunday
  bool dom_star_ = false;
  bool dow_star_ = false;
  bool has_seconds_ = false;
};

}  // namespace cofre

#endif  // COFRE_JOBS_CRON_H_
