#include "jobs/cron.h"

#include <charconv>
#include <ctime>
#include <vector>

namespace cofre {

namespace {

struct FieldSpec {
  const char* name;
  int min, max;
  const char* const* names;  // names[i] is value min + i; nullptr: numbers only
  int names_count;
};

constexpr const char* kMonthNames[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                       "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* kDayNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

constexpr FieldSpec kSecond{"second", 0, 59, nullptr, 0};
constexpr FieldSpec kMinute{"minute", 0, 59, nullptr, 0};
constexpr FieldSpec kHour{"hour", 0, 23, nullptr, 0};
constexpr FieldSpec kDayOfMonth{"day-of-month", 1, 31, nullptr, 0};
constexpr FieldSpec kMonth{"month", 1, 12, kMonthNames, 12};
// 7 is Sunday too; folded into 0 after parsing.
constexpr FieldSpec kDayOfWeek{"day-of-week", 0, 7, kDayNames, 7};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Status FieldError(const FieldSpec& f, std::string_view field, const std::string& why) {
  return InvalidArgumentError("invalid crontab: " + std::string(f.name) + " field \"" +
                              std::string(field) + "\": " + why);
}

StatusOr<int> ParseValue(const FieldSpec& f, std::string_view field, std::string_view text) {
  if (f.names) {
    std::string lower = Lower(text);
    for (int i = 0; i < f.names_count; ++i) {
      if (lower == f.names[i]) return f.min + i;
    }
  }
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return FieldError(
        f, field, "\"" + std::string(text) + "\" is not a number" + (f.names ? " or a name" : ""));
  }
  if (v < f.min || v > f.max) {
    return FieldError(f, field,
                      std::to_string(v) + " is out of range " + std::to_string(f.min) + "-" +
                          std::to_string(f.max));
  }
  return v;
}

// Parses one field into the values it allows (bits[v] for v in [min, max]); `star` is set when
// the field is `*` or `*/1` (every value, for the day-of-month/day-of-week rule).
template <size_t N>
Status ParseField(const FieldSpec& f, std::string_view field, std::bitset<N>* bits, bool* star) {
  *star = false;
  if (field.empty()) return FieldError(f, field, "empty");
  size_t pos = 0;
  while (pos <= field.size()) {
    size_t comma = field.find(',', pos);
    if (comma == std::string_view::npos) comma = field.size();
    std::string_view item = field.substr(pos, comma - pos);
    if (item.empty()) return FieldError(f, field, "an empty list item");
    int step = 1;
    bool has_step = false;
    if (size_t slash = item.find('/'); slash != std::string_view::npos) {
      std::string_view s = item.substr(slash + 1);
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), step);
      if (s.empty() || ec != std::errc() || end != s.data() + s.size() || step <= 0) {
        return FieldError(f, field, "step \"" + std::string(s) + "\" is not a positive number");
      }
      if (step > f.max - f.min + 1) {
        return FieldError(f, field, "step " + std::to_string(step) + " is larger than the range");
      }
      has_step = true;
      item = item.substr(0, slash);
    }
    int lo, hi;
    if (item == "*" || item == "?") {
      lo = f.min;
      hi = f.max;
      if (step == 1) *star = true;
    } else if (size_t dash = item.find('-'); dash != std::string_view::npos) {
      ASSIGN_OR_RETURN(lo, ParseValue(f, field, item.substr(0, dash)));
      ASSIGN_OR_RETURN(hi, ParseValue(f, field, item.substr(dash + 1)));
      if (hi < lo) {
        return FieldError(f, field,
                          "range " + std::string(item) + " ends before it starts (" +
                              std::to_string(lo) + " > " + std::to_string(hi) + ")");
      }
    } else {
      ASSIGN_OR_RETURN(lo, ParseValue(f, field, item));
      hi = has_step ? f.max : lo;  // `5/10`: from 5 to the end by 10
    }
    for (int v = lo; v <= hi; v += step) bits->set(static_cast<size_t>(v));
    pos = comma + 1;
  }
  return Status::OK();
}

std::vector<std::string_view> SplitFields(std::string_view spec) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < spec.size()) {
    while (i < spec.size() && (spec[i] == ' ' || spec[i] == '\t')) ++i;
    size_t start = i;
    while (i < spec.size() && spec[i] != ' ' && spec[i] != '\t') ++i;
    if (i > start) out.push_back(spec.substr(start, i - start));
  }
  return out;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeap(year) ? 29 : kDays[month - 1];
}

// Day of week (0 = Sunday) of a civil date.
int DayOfWeek(int64_t year, int month, int day) {
  struct tm t = {};
  t.tm_year = static_cast<int>(year - 1900);
  t.tm_mon = month - 1;
  t.tm_mday = day;
  t.tm_hour = 12;
  time_t secs = timegm(&t);
  return static_cast<int>(((secs / 86400) % 7 + 7 + 4) % 7);  // 1970-01-01 was a Thursday
}

}  // namespace

StatusOr<CronSchedule> CronSchedule::Parse(std::string_view spec) {
  std::string text;
  {
    std::vector<std::string_view> words = SplitFields(spec);
    if (words.size() == 1 && words[0].front() == '@') {
      std::string macro = Lower(words[0]);
      if (macro == "@yearly" || macro == "@annually") {
        text = "0 0 1 1 *";
      } else if (macro == "@monthly") {
        text = "0 0 1 * *";
      } else if (macro == "@weekly") {
        text = "0 0 * * 0";
      } else if (macro == "@daily" || macro == "@midnight") {
        text = "0 0 * * *";
      } else if (macro == "@hourly") {
        text = "0 * * * *";
      } else {
        return InvalidArgumentError("invalid crontab: unknown macro \"" + std::string(words[0]) +
                                    "\"; use @yearly, @monthly, @weekly, @daily or @hourly");
      }
    } else {
      text = std::string(spec);
    }
  }
  std::vector<std::string_view> fields = SplitFields(text);
  if (fields.size() != 5 && fields.size() != 6) {
    return InvalidArgumentError(
        "invalid crontab: expected 5 fields (minute hour day-of-month month day-of-week), 6 with "
        "a leading seconds field, or @yearly/@monthly/@weekly/@daily/@hourly; got " +
        std::to_string(fields.size()) + " fields");
  }
  CronSchedule c;
  size_t i = 0;
  bool star = false;
  c.has_seconds_ = fields.size() == 6;
  if (c.has_seconds_) {
    RETURN_IF_ERROR(ParseField(kSecond, fields[i++], &c.seconds_, &star));
  } else {
    c.seconds_.set(0);
  }
  RETURN_IF_ERROR(ParseField(kMinute, fields[i++], &c.minutes_, &star));
  RETURN_IF_ERROR(ParseField(kHour, fields[i++], &c.hours_, &star));
  RETURN_IF_ERROR(ParseField(kDayOfMonth, fields[i++], &c.days_of_month_, &c.dom_star_));
  RETURN_IF_ERROR(ParseField(kMonth, fields[i++], &c.months_, &star));
  std::bitset<8> dow;
  RETURN_IF_ERROR(ParseField(kDayOfWeek, fields[i++], &dow, &c.dow_star_));
  for (int d = 0; d < 7; ++d) c.days_of_week_[d] = dow[d];
  if (dow[7]) c.days_of_week_.set(0);
  return c;
}

bool CronSchedule::DayMatches(int64_t year, int month, int day) const {
  bool dom = days_of_month_[day];
  bool dow = days_of_week_[DayOfWeek(year, month, day)];
  if (dom_star_ || dow_star_) return dom && dow;
  return dom || dow;
}

StatusOr<int64_t> CronSchedule::Next(int64_t after) const {
  time_t start = static_cast<time_t>(after + 1);
  struct tm tm_start;
  gmtime_r(&start, &tm_start);
  int64_t year = tm_start.tm_year + 1900;
  int month = tm_start.tm_mon + 1, day = tm_start.tm_mday;
  int hour = tm_start.tm_hour, minute = tm_start.tm_min, second = tm_start.tm_sec;
  if (!has_seconds_ && second != 0) {
    second = 60;  // the next whole minute
  }
  const int64_t last_year = year + 10;
  // Walk forward from the coarsest field that does not match, resetting the finer ones.
  while (year <= last_year) {
    if (second >= 60) {
      second = 0;
      ++minute;
    }
    if (minute >= 60) {
      minute = 0;
      ++hour;
    }
    if (hour >= 24) {
      hour = 0;
      ++day;
    }
    // The month first: a month skipped below may have stepped past December.
    if (month > 12) {
      month = 1;
      ++year;
      continue;
    }
    if (day > DaysInMonth(year, month)) {
      day = 1;
      ++month;
      continue;
    }
    if (!months_[month]) {
      ++month;
      day = 1;
      hour = minute = second = 0;
      continue;
    }
    if (!DayMatches(year, month, day)) {
      ++day;
      hour = minute = second = 0;
      continue;
    }
    if (!hours_[hour]) {
      ++hour;
      minute = second = 0;
      continue;
    }
    if (!minutes_[minute]) {
      ++minute;
      second = 0;
      continue;
    }
    if (!seconds_[second]) {
      ++second;
      continue;
    }
    struct tm t = {};
    t.tm_year = static_cast<int>(year - 1900);
    t.tm_mon = month - 1;
    t.tm_mday = day;
    t.tm_hour = hour;
    t.tm_min = minute;
    t.tm_sec = second;
    return static_cast<int64_t>(timegm(&t));
  }
  return NotFoundError("the crontab matches no time in the next ten years");
}

}  // namespace cofre
