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
  EXPECT_EQ(FormatProgress("BACKUP", {0.25}, 10), "BACKUP  25.0%  2.5 %/s  elapsed 10s  ETA 30s");
  EXPECT_EQ(FormatProgress("RESTORE", {0}, 0), "RESTORE   0.0%  0.0 %/s  elapsed 0s  ETA ?");
  EXPECT_EQ(FormatProgress("BACKUP", {0.5}, 3600),
            "BACKUP  50.0%  0.0 %/s  elapsed 1h00m  ETA 1h00m");
  EXPECT_EQ(FormatProgress("BACKUP", {0.1}, 90),
            "BACKUP  10.0%  0.1 %/s  elapsed 1m30s  ETA 13m30s");
}

TEST(ProgressLineTest, FormatWithRowsAndBytes) {
  EXPECT_EQ(FormatProgress("BACKUP", {0.42, 1204311, 126353408}, 4),
            "BACKUP  42.0%  1,204,311 rows  120.5 MiB  30.1 MiB/s  elapsed 4s  ETA 6s");
  EXPECT_EQ(FormatProgress("RESTORE", {0.001, 12, 900}, 0),
            "RESTORE   0.1%  12 rows  900 B  elapsed 0s  ETA ?");
}

}  // namespace
}  // namespace cofre::cli
