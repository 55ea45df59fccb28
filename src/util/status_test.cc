#include "util/status.h"

#include <gtest/gtest.h>

namespace cofre {
namespace {

StatusOr<int> Half(int x) {
  if (x % 2) return InvalidArgumentError("odd");
  return x / 2;
}

Status UseHalf(int x, int* out) {
  ASSIGN_OR_RETURN(*out, Half(x));
  return Status::OK();
}

TEST(StatusTest, OkAndErrors) {
  EXPECT_TRUE(Status::OK().ok());
  Status s = NotFoundError("backup 'x' not found").WithHint("run SHOW BACKUPS");
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.hint(), "run SHOW BACKUPS");
  EXPECT_EQ(s.Annotate("restore").message(), "restore: backup 'x' not found");
  EXPECT_EQ(s.ToString(), "NOT_FOUND: backup 'x' not found");
}

TEST(StatusTest, AssignOrReturn) {
  int v = 0;
  EXPECT_TRUE(UseHalf(8, &v).ok());
  EXPECT_EQ(v, 4);
  Status s = UseHalf(3, &v);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cofre
