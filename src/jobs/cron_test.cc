// CronSchedule: the fields, lists, ranges and steps of cron, the seconds extension, the macros,
// the day-of-month/day-of-week OR rule, month ends and leap years, and clear errors.
#include "jobs/cron.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ctime>

#include "util/status_matchers.h"

namespace cofre {
namespace {

using ::testing::HasSubstr;

// "YYYY-MM-DD HH:MM:SS" UTC <-> Unix seconds.
int64_t T(const char* text) {
  struct tm t = {};
  EXPECT_NE(strptime(text, "%Y-%m-%d %H:%M:%S", &t), nullptr) << text;
  return static_cast<int64_t>(timegm(&t));
}
std::string S(int64_t secs) {
  time_t t = static_cast<time_t>(secs);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  return buf;
}

std::string NextOf(const char* spec, const char* after) {
  auto c = CronSchedule::Parse(spec);
  EXPECT_THAT(c.status(), IsOk()) << spec;
  if (!c.ok()) return "";
  auto n = c->Next(T(after));
  EXPECT_THAT(n.status(), IsOk()) << spec;
  return n.ok() ? S(*n) : "";
}

TEST(CronTest, Macros) {
  EXPECT_EQ(NextOf("@hourly", "2026-12-04 17:10:31"), "2026-12-04 18:00:00");
  EXPECT_EQ(NextOf("@daily", "2026-12-04 17:10:31"), "2026-12-05 00:00:00");
  EXPECT_EQ(NextOf("@midnight", "2026-12-31 23:59:59"), "2027-01-01 00:00:00");
  EXPECT_EQ(NextOf("@weekly", "2026-12-04 17:10:31"), "2026-12-06 00:00:00");  // a Sunday
  EXPECT_EQ(NextOf("@monthly", "2026-12-04 17:10:31"), "2027-01-01 00:00:00");
  EXPECT_EQ(NextOf("@yearly", "2026-12-04 17:10:31"), "2027-01-01 00:00:00");
  EXPECT_EQ(NextOf("@ANNUALLY", "2027-01-01 00:00:00"), "2028-01-01 00:00:00");
}

TEST(CronTest, StrictlyAfter) {
  EXPECT_EQ(NextOf("* * * * *", "2026-12-04 17:10:00"), "2026-12-04 17:11:00");
  EXPECT_EQ(NextOf("* * * * *", "2026-12-04 17:10:59"), "2026-12-04 17:11:00");
  EXPECT_EQ(NextOf("0 * * * *", "2026-12-04 17:00:00"), "2026-12-04 18:00:00");
}

TEST(CronTest, SecondsField) {
  auto c = CronSchedule::Parse("*/5 * * * * *");
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_TRUE(c->has_seconds());
  EXPECT_EQ(NextOf("*/5 * * * * *", "2026-12-04 17:10:31"), "2026-12-04 17:10:35");
  EXPECT_EQ(NextOf("*/5 * * * * *", "2026-12-04 17:10:55"), "2026-12-04 17:11:00");
  EXPECT_EQ(NextOf("30 0 12 * * *", "2026-12-04 17:10:31"), "2026-12-05 12:00:30");
  EXPECT_FALSE(CronSchedule::Parse("* * * * *")->has_seconds());
}

TEST(CronTest, ListsRangesSteps) {
  EXPECT_EQ(NextOf("5,35 * * * *", "2026-12-04 17:10:00"), "2026-12-04 17:35:00");
  EXPECT_EQ(NextOf("5,35 * * * *", "2026-12-04 17:40:00"), "2026-12-04 18:05:00");
  EXPECT_EQ(NextOf("0 9-17 * * *", "2026-12-04 17:10:00"), "2026-12-05 09:00:00");
  EXPECT_EQ(NextOf("10-50/20 * * * *", "2026-12-04 17:10:00"), "2026-12-04 17:30:00");
  EXPECT_EQ(NextOf("10-50/20 * * * *", "2026-12-04 17:50:00"), "2026-12-04 18:10:00");
  EXPECT_EQ(NextOf("7/20 * * * *", "2026-12-04 17:48:00"), "2026-12-04 18:07:00");
  EXPECT_EQ(NextOf("0 0 * 2-4,jun * ", "2026-12-04 17:10:00"), "2027-02-01 00:00:00");
  EXPECT_EQ(NextOf("0 0 * * MON-fri", "2026-12-05 10:00:00"), "2026-12-07 00:00:00");
  EXPECT_EQ(NextOf("0 0 * * 7", "2026-12-04 10:00:00"), "2026-12-06 00:00:00");  // 7 = Sunday
}

TEST(CronTest, MonthEndsAndLeapYears) {
  // The 31st only exists in some months.
  EXPECT_EQ(NextOf("0 0 31 * *", "2026-04-01 00:00:00"), "2026-05-31 00:00:00");
  EXPECT_EQ(NextOf("0 0 31 * *", "2026-05-31 00:00:00"), "2026-07-31 00:00:00");
  // February 29th: the next leap year.
  EXPECT_EQ(NextOf("0 0 29 2 *", "2026-03-01 00:00:00"), "2028-02-29 00:00:00");
  EXPECT_EQ(NextOf("0 12 28-31 2 *", "2100-02-27 00:00:00"), "2100-02-28 12:00:00");
  EXPECT_EQ(NextOf("0 12 29 2 *", "2096-03-01 00:00:00"), "2104-02-29 12:00:00");  // 2100: none
  EXPECT_EQ(NextOf("59 23 31 12 *", "2026-12-31 23:59:00"), "2027-12-31 23:59:00");
}

TEST(CronTest, DayOfMonthOrDayOfWeek) {
  // Both restricted: either matches. 2026-12-04 is a Friday.
  EXPECT_EQ(NextOf("0 0 15 * 1", "2026-12-04 10:00:00"), "2026-12-07 00:00:00");  // a Monday
  EXPECT_EQ(NextOf("0 0 5 * 1", "2026-12-04 10:00:00"), "2026-12-05 00:00:00");   // the 5th
  // One of them is *: both must match (here: the 13th only when it is a Friday).
  EXPECT_EQ(NextOf("0 0 13 * *", "2026-12-04 10:00:00"), "2026-12-13 00:00:00");
  EXPECT_EQ(NextOf("0 0 * * 5", "2026-12-04 10:00:00"), "2026-12-11 00:00:00");
  // */2 is a restriction (every other day), so the OR rule applies.
  EXPECT_EQ(NextOf("0 0 */2 * 0", "2026-12-05 10:00:00"), "2026-12-06 00:00:00");
  EXPECT_EQ(NextOf("0 0 */2 * 0", "2026-12-06 10:00:00"), "2026-12-07 00:00:00");
}

TEST(CronTest, NeverMatches) {
  auto c = CronSchedule::Parse("0 0 30 2 *");
  ASSERT_THAT(c.status(), IsOk());
  EXPECT_THAT(c->Next(T("2026-01-01 00:00:00")).status(), StatusIs(StatusCode::kNotFound));
}

TEST(CronTest, Errors) {
  struct Case {
    const char* spec;
    const char* message;
  } cases[] = {
      {"", "expected 5 fields"},
      {"* * * *", "got 4 fields"},
      {"* * * * * * *", "got 7 fields"},
      {"60 * * * *", "minute field \"60\": 60 is out of range 0-59"},
      {"0 24 * * *", "hour field \"24\": 24 is out of range 0-23"},
      {"0 0 0 * *", "day-of-month field \"0\": 0 is out of range 1-31"},
      {"0 0 * 13 *", "month field \"13\""},
      {"0 0 * * 8", "day-of-week field \"8\""},
      {"0 0 * foo *", "\"foo\" is not a number or a name"},
      {"*/0 * * * *", "step \"0\" is not a positive number"},
      {"*/x * * * *", "step \"x\""},
      {"30-10 * * * *", "ends before it starts"},
      {"1,,2 * * * *", "an empty list item"},
      {"@fortnightly", "unknown macro"},
      {"61 * * * * *", "second field \"61\""},
      {"-1 * * * *", "is not a number"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(CronSchedule::Parse(c.spec).status(),
                StatusIs(StatusCode::kInvalidArgument, HasSubstr(c.message)))
        << c.spec;
  }
}

}  // namespace
}  // namespace cofre
