#include "cli/environment_settings.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace cofre {
namespace {

TEST(EnvironmentSettings, ReadsEachVariableAndKeepsDefaultsForBadValues) {
  ::setenv("COFRE_BACKUP_TARGET_FILE_BYTES", "65536", 1);
  ::setenv("COFRE_BACKUP_THREADS", "1000", 1);
  ::setenv("COFRE_BACKUP_MIN_PIECE_ROWS", "12x", 1);
  ::setenv("COFRE_BACKUP_FRAME_BYTES", "4096", 1);
  ::setenv("COFRE_RESTORE_BULK", "0", 1);
  ::setenv("COFRE_TEST_PAUSE_AT_CHECKPOINTS", "2,x,5", 1);
  ::setenv("COFRE_TEST_KILL_AFTER_COMMIT", "1", 1);
  ::setenv("COFRE_TEST_KILL_DURING_TABLE_COPY", "1", 1);
  sql::OperationSettings s = OperationSettingsFromEnvironment();
  EXPECT_EQ(s.backup_target_file_bytes, 65536u);
  EXPECT_EQ(s.backup_threads, 64);         // clamped
  EXPECT_EQ(s.backup_min_piece_rows, 0u);  // not a number: the default
  EXPECT_EQ(s.backup_frame_bytes, 4096u);
  EXPECT_FALSE(s.restore_bulk_pages);
  EXPECT_EQ(s.test_pause_at_checkpoints, (std::vector<uint64_t>{2, 5}));
  EXPECT_TRUE(s.test_kill_after_commit);
  EXPECT_TRUE(s.test_kill_during_table_copy);
  EXPECT_EQ(s.test_kill_at_checkpoint, 0u);
  for (const char* v :
       {"COFRE_BACKUP_TARGET_FILE_BYTES", "COFRE_BACKUP_THREADS", "COFRE_BACKUP_MIN_PIECE_ROWS",
        "COFRE_BACKUP_FRAME_BYTES", "COFRE_RESTORE_BULK", "COFRE_TEST_PAUSE_AT_CHECKPOINTS",
        "COFRE_TEST_KILL_AFTER_COMMIT", "COFRE_TEST_KILL_DURING_TABLE_COPY"}) {
    ::unsetenv(v);
  }
  sql::OperationSettings d = OperationSettingsFromEnvironment();
  EXPECT_TRUE(d.restore_bulk_pages);
  EXPECT_EQ(d.backup_threads, 0);
  EXPECT_FALSE(d.test_kill_after_commit);
  EXPECT_FALSE(d.test_kill_during_table_copy);
}

}  // namespace
}  // namespace cofre
