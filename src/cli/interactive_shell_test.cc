#include "cli/interactive_shell.h"

#include <gtest/gtest.h>

namespace cofre::cli {
namespace {

// What the shell writes to ~/.cofre_history for an input: secrets hidden as in SHOW JOBS.
TEST(HistoryEntryTest, HidesSecretsAsJobDescriptionsDo) {
  const std::string entry = HistoryEntry(
      "BACKUP INTO 's3://bkt/p?AWS_ACCESS_KEY_ID=AKIAX&AWS_SECRET_ACCESS_KEY=hist-S3-secret'\n"
      "  WITH encryption_passphrase = 'hist-passphrase',\n"
      "       kms = 'aws:///key?AUTH=specified&AWS_SECRET_ACCESS_KEY=hist-kms-secret';");
  for (const char* secret : {"hist-S3-secret", "hist-passphrase", "hist-kms-secret"}) {
    EXPECT_EQ(entry.find(secret), std::string::npos) << entry;
  }
  EXPECT_EQ(entry,
            "BACKUP INTO 's3://bkt/p?AWS_ACCESS_KEY_ID=redacted&AWS_SECRET_ACCESS_KEY=redacted' "
            "WITH "
            "OPTIONS (encryption_passphrase = '*****', kms = "
            "'aws:///key?AUTH=specified&AWS_SECRET_ACCESS_KEY=redacted');");
}

TEST(HistoryEntryTest, KeepsOrdinarySqlAndJoinsLines) {
  EXPECT_EQ(HistoryEntry("  SELECT a,\n  b FROM t;  "), "SELECT a,   b FROM t;");
  EXPECT_EQ(HistoryEntry("SHOW JOBS;"), "SHOW JOBS;");
}

TEST(HistoryEntryTest, HidesSecretsOfStatementsThatFailToParse) {
  const std::string entry = HistoryEntry(
      "RESTORE DATABASE d FROM LATEST IN 'nodelocal://1/b'\n"
      "WITH encryption_passphrase = 'hist-typo-pass', new_db_name = ;");
  EXPECT_EQ(entry.find("hist-typo-pass"), std::string::npos) << entry;
  EXPECT_NE(entry.find("'*****'"), std::string::npos) << entry;
}

TEST(HistoryEntryTest, CutsAnUnterminatedSecret) {
  const std::string entry =
      HistoryEntry("SELECT 1; BACKUP INTO 'nodelocal://1/b' WITH encryption_passphrase = 'open");
  EXPECT_EQ(entry.find("open"), std::string::npos) << entry;
}

}  // namespace
}  // namespace cofre::cli
