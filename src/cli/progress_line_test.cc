// ProgressLine: which statements get a line, and what the line says.
#include "cli/progress_line.h"

#include <gtest/gtest.h>

namespace cofre::cli {
namespace {

TEST(ProgressLineTest, JobKind) {
  EXPECT_EQ(JobKind("BACKUP INTO 'x'"), "BACKUP");
  EXPECT_EQ(JobKind("  \n restore FROM LATEST IN 'x'"), "RESTORE");
  EXPECT_EQ(JobKind("SELECT 1"), "");
  EXPECT_EQ(JobKind("backups"), "");
  EXPECT_EQ(JobKind(""), "");
}

TEST(ProgressLineTest, Format) {
  EXPECT_EQ(FormatProgress("BACKUP", 0.25, 10), "BACKUP  25.0%  elapsed 10s  2.5 %/s  ETA 30s");
  EXPECT_EQ(FormatProgress("RESTORE", 0, 0), "RESTORE   0.0%  elapsed 0s  0.0 %/s  ETA ?");
  EXPECT_EQ(FormatProgress("BACKUP", 0.5, 3600),
            "BACKUP  50.0%  elapsed 1h00m  0.0 %/s  ETA 1h00m");
  EXPECT_EQ(FormatProgress("BACKUP", 0.1, 90), "BACKUP  10.0%  elapsed 1m30s  0.1 %/s  ETA 13m30s");
}

}  // namespace
}  // namespace cofre::cli
