// GoogleTest matchers for Status and StatusOr<T> (tests only):
//   EXPECT_THAT(s, IsOk());
//   EXPECT_THAT(s, StatusIs(StatusCode::kDataLoss));
//   EXPECT_THAT(s, StatusIs(StatusCode::kDataLoss, HasSubstr("ENCRYPTION-INFO")));
//   EXPECT_THAT(F(), IsOkAndHolds(42));  // a StatusOr<T> that is OK and whose value matches
//   ASSERT_OK_AND_ASSIGN(auto v, F());   // fails the test (ASSERT) unless F() is OK
// Thread-safety: as GoogleTest's.
#ifndef COFRE_UTIL_STATUS_MATCHERS_H_
#define COFRE_UTIL_STATUS_MATCHERS_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "util/status.h"

namespace cofre {

inline const Status& GetStatus(const Status& s) { return s; }
template <typename T>
Status GetStatus(const StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  Status s = ::cofre::GetStatus(arg);
  if (!s.ok()) *result_listener << "which is " << s.ToString();
  return s.ok();
}

MATCHER_P(StatusIs, code, "has code " + std::string(StatusCodeName(code))) {
  Status s = ::cofre::GetStatus(arg);
  *result_listener << "which is " << s.ToString();
  return s.code() == code;
}

MATCHER_P2(StatusIs, code, message_matcher, "has code " + std::string(StatusCodeName(code))) {
  Status s = ::cofre::GetStatus(arg);
  *result_listener << "which is " << s.ToString();
  return s.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, s.message(), result_listener);
}

MATCHER_P(IsOkAndHolds, value_matcher, "is OK and holds a value that matches") {
  if (!arg.ok()) {
    *result_listener << "which is " << arg.status().ToString();
    return false;
  }
  return ::testing::ExplainMatchResult(value_matcher, *arg, result_listener);
}

}  // namespace cofre

#define COFRE_ASSERT_OK_AND_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                     \
  ASSERT_TRUE(tmp.ok()) << tmp.status().ToString();      \
  lhs = std::move(tmp).value()
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  COFRE_ASSERT_OK_AND_ASSIGN_IMPL_(COFRE_CONCAT_(_cofre_assert_, __LINE__), lhs, expr)

#endif  // COFRE_UTIL_STATUS_MATCHERS_H_
