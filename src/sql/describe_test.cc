#include "sql/describe.h"

#include <gtest/gtest.h>

#include "sql/lexer.h"
#include "sql/parser.h"
#include "sql/quote.h"

namespace cofre::sql {
namespace {

std::string Describe(std::string_view text) {
  StatusOr<Statement> stmt = ParseStatement(text);
  EXPECT_TRUE(stmt.ok()) << text << ": " << stmt.status().ToString();
  return stmt.ok() ? DescribeStatement(*stmt) : "";
}

// The description parses back and describes to itself.
void ExpectStable(const std::string& description) {
  StatusOr<Statement> again = ParseStatement(description);
  ASSERT_TRUE(again.ok()) << description << ": " << again.status().ToString();
  EXPECT_EQ(DescribeStatement(*again), description);
}

TEST(QuoteTest, Strings) {
  EXPECT_EQ(QuoteString("abc"), "'abc'");
  EXPECT_EQ(QuoteString(""), "''");
  EXPECT_EQ(QuoteString("it's"), "'it''s'");
  EXPECT_EQ(QuoteString("a\\b"), "'a\\b'");
  EXPECT_EQ(QuoteString("a\nb'\\\x01"), "e'a\\nb\\'\\\\\\x01'");
  const std::string values[] = {
      "",         "x",           "it's",     "back\\slash", std::string("nul\0x", 5),
      "\x7f\x1f", "caf\xC3\xA9", "tab\there"};
  for (const std::string& value : values) {
    StatusOr<std::vector<Token>> tokens = Tokenize(QuoteString(value));
    ASSERT_TRUE(tokens.ok()) << QuoteString(value);
    ASSERT_EQ(tokens->size(), 2u);
    EXPECT_EQ((*tokens)[0].kind, TokenKind::kString);
    EXPECT_EQ((*tokens)[0].text, value);
  }
}

TEST(QuoteTest, Names) {
  EXPECT_EQ(QuoteName("shop"), "shop");
  EXPECT_EQ(QuoteName("Shop_2"), "Shop_2");
  EXPECT_EQ(QuoteName("my db"), "\"my db\"");
  EXPECT_EQ(QuoteName("table"), "\"table\"");
  EXPECT_EQ(QuoteName("latest"), "\"latest\"");
  EXPECT_EQ(QuoteName("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(QuoteName("2x"), "\"2x\"");
  EXPECT_EQ(QuoteName("e"), "\"e\"");
  for (std::string_view name : {"shop", "my db", "table", "a\"b", "e", "caf\xC3\xA9", "x'y"}) {
    StatusOr<std::vector<Token>> tokens = Tokenize(QuoteName(name));
    ASSERT_TRUE(tokens.ok()) << name;
    ASSERT_EQ(tokens->size(), 2u) << name;
    EXPECT_TRUE((*tokens)[0].IsName());
    EXPECT_EQ((*tokens)[0].text, name);
  }
}

TEST(DescribeTest, PassphraseIsHidden) {
  std::string d = Describe(
      "BACKUP INTO 'nodelocal://1/b' WITH encryption_passphrase = "
      "'password123'");
  EXPECT_EQ(d,
            "BACKUP INTO 'nodelocal://1/b' WITH OPTIONS (encryption_passphrase "
            "= '*****')");
  ExpectStable(d);
  d = Describe(
      "RESTORE FROM LATEST IN 'nodelocal://1/b' WITH OPTIONS "
      "(encryption_passphrase = e'pw\\n')");
  EXPECT_EQ(d,
            "RESTORE FROM LATEST IN 'nodelocal://1/b' WITH OPTIONS "
            "(encryption_passphrase = '*****')");
  ExpectStable(d);
}

TEST(DescribeTest, UriCredentialsAreRedacted) {
  std::string d = Describe(
      "BACKUP DATABASE shop INTO "
      "'s3://bucket/"
      "path?AWS_ACCESS_KEY_ID=AKIAEXAMPLE&AWS_SECRET_ACCESS_KEY=topsecret' "
      "WITH kms = "
      "'aws:///arn:aws:kms:us-east-1:1:key/"
      "k?AUTH=specified&AWS_ACCESS_KEY_ID=AKIAEXAMPLE&"
      "AWS_SECRET_ACCESS_KEY=kmssecret&REGION=us-east-1', detached");
  EXPECT_EQ(d,
            "BACKUP DATABASE shop INTO "
            "'s3://bucket/"
            "path?AWS_ACCESS_KEY_ID=redacted&AWS_SECRET_ACCESS_KEY=redacted' "
            "WITH OPTIONS (kms = "
            "'aws:///arn:aws:kms:us-east-1:1:key/"
            "k?AUTH=specified&AWS_ACCESS_KEY_ID=redacted&"
            "AWS_SECRET_ACCESS_KEY=redacted&REGION=us-east-1', detached)");
  ExpectStable(d);
}

TEST(DescribeTest, NoSecretEverShows) {
  const char* secrets[] = {"hunter2", "topsecret", "kmssecret", "sessiontok", "AKIAEXAMPLE"};
  const char* statements[] = {
      "BACKUP INTO "
      "'s3://b?AWS_SECRET_ACCESS_KEY=topsecret&AWS_ACCESS_KEY_ID=AKIAEXAMPLE' "
      "WITH "
      "encryption_passphrase = 'hunter2'",
      "BACKUP TABLE db.t INTO LATEST IN "
      "('s3://a?AWS_SECRET_ACCESS_KEY=topsecret&COCKROACH_LOCALITY=default', "
      "'s3://b?AWS_SESSION_TOKEN=sessiontok&COCKROACH_LOCALITY=region%3Dwest') "
      "WITH kms = "
      "('aws:///k1?AWS_SECRET_ACCESS_KEY=kmssecret', "
      "'aws:///k2?AWS_SECRET_ACCESS_KEY=kmssecret')",
      "RESTORE DATABASE d FROM '2026/11/28-145137.12' IN "
      "'s3://b?AWS_SECRET_ACCESS_KEY=topsecret' WITH "
      "OPTIONS (encryption_passphrase = 'hunter2', into_db = 'x')",
      "RESTORE FROM LATEST IN 'x' WITH incremental_location = "
      "'s3://i?AWS_SECRET_ACCESS_KEY=topsecret'",
      "SHOW BACKUP FROM LATEST IN 's3://b?AWS_SECRET_ACCESS_KEY=topsecret' "
      "WITH encryption_passphrase = 'hunter2'",
      "SHOW BACKUPS IN 's3://b?AWS_SECRET_ACCESS_KEY=topsecret'",
      "ALTER BACKUP LATEST IN 's3://b?AWS_SECRET_ACCESS_KEY=topsecret' ADD "
      "NEW_KMS = "
      "'aws:///n?AWS_SECRET_ACCESS_KEY=kmssecret' WITH OLD_KMS = "
      "('aws:///o?AWS_SESSION_TOKEN=sessiontok')",
      "ALTER BACKUP LATEST IN 'x' DROP KMS = "
      "'aws:///n?AWS_SECRET_ACCESS_KEY=kmssecret' WITH OLD_KMS = "
      "'aws:///o?AWS_SECRET_ACCESS_KEY=kmssecret'",
      // Unusual spellings of secrets.
      "BACKUP INTO 'x' WITH encryption_passphrase = hunter2",
      "BACKUP INTO 'x' WITH encryption_passphrase = ('hunter2')",
      "BACKUP INTO 'x' WITH some_password = 'hunter2', client_secret = "
      "'hunter2'",
      "BACKUP INTO 'x' WITH other = "
      "'https://h/p?AWS_SECRET_ACCESS_KEY=topsecret'",
      "BACKUP INTO 'x' WITH kms = 'not-a-uri-hunter2'",
  };
  for (const char* text : statements) {
    std::string d = Describe(text);
    for (const char* secret : secrets) {
      EXPECT_EQ(d.find(secret), std::string::npos) << secret << " in " << d;
    }
    ExpectStable(d);
  }
}

TEST(DescribeTest, AllStatementKinds) {
  struct Case {
    const char* text;
    const char* description;
  } cases[] = {
      {"backup into latest in 'nodelocal://1/x' as of system time '-10s' with "
       "revision_history = TRUE",
       "BACKUP INTO LATEST IN 'nodelocal://1/x' AS OF SYSTEM TIME '-10s' WITH "
       "OPTIONS (revision_history = true)"},
      {"BACKUP TABLE t, db.t2, db.public.t3, db.*, * INTO "
       "'2026/11/28-145137.12' IN ('nodelocal://1/a', 'nodelocal://2/b') "
       "AS OF SYSTEM TIME  follower_read_timestamp( )",
       "BACKUP TABLE t, db.public.t2, db.public.t3, db.*, * INTO "
       "'2026/11/28-145137.12' IN ('nodelocal://1/a', 'nodelocal://2/b') "
       "AS OF SYSTEM TIME follower_read_timestamp( )"},
      {"BACKUP DATABASE \"my db\", \"table\", Shop INTO 'nodelocal://1/x' WITH "
       "n = -5, w = \"Mixed Case\", e = e",
       "BACKUP DATABASE \"my db\", \"table\", Shop INTO 'nodelocal://1/x' WITH "
       "OPTIONS (n = -5, w = \"Mixed Case\", e = \"e\")"},
      {"BACKUP TABLE public.t, \"public\".* INTO 'nodelocal://1/x'",
       "BACKUP TABLE t, * INTO 'nodelocal://1/x'"},
      {"RESTORE TABLE d.t FROM 'sub' IN 'nodelocal://1/x' WITH into_db = 'n', "
       "skip_missing_foreign_keys",
       "RESTORE TABLE d.public.t FROM 'sub' IN 'nodelocal://1/x' WITH OPTIONS "
       "(into_db = 'n', skip_missing_foreign_keys)"},
      {"restore database a, b from latest in 'nodelocal://1/x'",
       "RESTORE DATABASE a, b FROM LATEST IN 'nodelocal://1/x'"},
      {"SHOW BACKUPS IN 'nodelocal://1/x'", "SHOW BACKUPS IN 'nodelocal://1/x'"},
      {"SHOW BACKUP 'sub' IN 'nodelocal://1/x'", "SHOW BACKUP FROM 'sub' IN 'nodelocal://1/x'"},
      {"show backup schemas from latest in 'nodelocal://1/x' with check_files",
       "SHOW BACKUP SCHEMAS FROM LATEST IN 'nodelocal://1/x' WITH OPTIONS "
       "(check_files)"},
      {"SHOW BACKUP FILES FROM LATEST IN 'nodelocal://1/x'",
       "SHOW BACKUP FILES FROM LATEST IN 'nodelocal://1/x'"},
      {"alter backup latest in 'nodelocal://1/x' add new_kms = ('aws:///a', "
       "'aws:///b') with old_kms = 'aws:///c'",
       "ALTER BACKUP LATEST IN 'nodelocal://1/x' ADD NEW_KMS = ('aws:///a', "
       "'aws:///b') WITH OLD_KMS = 'aws:///c'"},
      {"CREATE DATABASE IF NOT EXISTS d FROM FILE '/x/it''s.db'",
       "CREATE DATABASE IF NOT EXISTS d FROM FILE '/x/it''s.db'"},
      {"create database latest", "CREATE DATABASE \"latest\""},
      {"DROP DATABASE IF EXISTS d CASCADE", "DROP DATABASE IF EXISTS d CASCADE"},
      {"DROP DATABASE d RESTRICT", "DROP DATABASE d"},
      {"SHOW DATABASES", "SHOW DATABASES"},
      {"show tables from d.public", "SHOW TABLES FROM d"},
      {"SET database = 'My DB'", "USE \"My DB\""},
      {"SHOW JOBS", "SHOW JOBS"},
      {"SHOW JOB 42", "SHOW JOB 42"},
      {"SELECT 'anything'", "SELECT 'anything'"},
  };
  for (const Case& c : cases) {
    std::string d = Describe(c.text);
    EXPECT_EQ(d, c.description) << c.text;
    ExpectStable(d);
  }
}

TEST(DescribeTest, DatabaseNamedPublicStaysUnambiguous) {
  Backup b;
  b.targets.kind = Targets::Kind::kTables;
  b.targets.tables = {{"public", "", true}, {"public", "t", false}};
  b.destinations = {"nodelocal://1/x"};
  std::string d = DescribeStatement(b);
  EXPECT_EQ(d,
            "BACKUP TABLE \"public\".public.*, \"public\".public.t INTO "
            "'nodelocal://1/x'");
  StatusOr<Statement> again = ParseStatement(d);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(std::get<Backup>(*again), b);
}

TEST(DescribeTest, RoundTripsExactlyWithoutSecrets) {
  const char* statements[] = {
      "BACKUP DATABASE a INTO LATEST IN ('s3://a?COCKROACH_LOCALITY=default', "
      "'nodelocal://2/b') "
      "AS OF SYSTEM TIME '-1m' WITH detached, revision_history = false, kms = "
      "('aws:///k?REGION=r')",
      "RESTORE TABLE x.y FROM 'p/q' IN 'file:///tmp/c' WITH new_db_name = "
      "e'tab\\there', n = 5",
      "SHOW BACKUP SCHEMAS FROM LATEST IN 'nodelocal://1/x' WITH "
      "encryption_info_dir = 'nodelocal://1/full'",
      "ALTER BACKUP 'sub' IN 'nodelocal://1/x' DROP KMS = 'aws:///a' WITH "
      "OLD_KMS = 'aws:///b'",
  };
  for (const char* text : statements) {
    StatusOr<Statement> first = ParseStatement(text);
    ASSERT_TRUE(first.ok()) << text;
    StatusOr<Statement> second = ParseStatement(DescribeStatement(*first));
    ASSERT_TRUE(second.ok()) << DescribeStatement(*first);
    EXPECT_EQ(*first, *second) << text;
  }
}

// RedactStatementText: the one redaction behind job descriptions and the shell's history.
TEST(RedactStatementTextTest, CofreStatementsRenderAsJobDescriptions) {
  const std::string text =
      "BACKUP INTO 's3://b/p?AWS_ACCESS_KEY_ID=AKIA1&AWS_SECRET_ACCESS_KEY=s3cr3t' "
      "WITH encryption_passphrase = 'pw-123', kms = 'aws:///k?AWS_SECRET_ACCESS_KEY=kmss3cr3t'";
  EXPECT_EQ(RedactStatementText(text + ";"), Describe(text) + ";");
  EXPECT_EQ(RedactStatementText(text + " ;\n"), Describe(text) + ";");
  const std::string out = RedactStatementText(text + ";");
  for (const char* secret : {"s3cr3t", "pw-123", "kmss3cr3t"}) {
    EXPECT_EQ(out.find(secret), std::string::npos) << out;
  }
  EXPECT_NE(out.find("'*****'"), std::string::npos) << out;
  EXPECT_NE(out.find("s3://b/p?AWS_ACCESS_KEY_ID=redacted"), std::string::npos) << out;
  const std::string alter =
      "ALTER BACKUP LATEST IN 'nodelocal://1/b' ADD NEW_KMS = 'aws:///n?AWS_SECRET_ACCESS_KEY=n1' "
      "WITH OLD_KMS = 'aws:///o?AWS_SECRET_ACCESS_KEY=o1';";
  const std::string altered = RedactStatementText(alter);
  EXPECT_EQ(altered.find("=n1"), std::string::npos) << altered;
  EXPECT_EQ(altered.find("=o1"), std::string::npos) << altered;
}

TEST(RedactStatementTextTest, PassthroughStaysAsTyped) {
  EXPECT_EQ(RedactStatementText("SELECT  'a://b?x=1' ,\n 2;"), "SELECT  'a://b?x=1' ,\n 2;");
  EXPECT_EQ(RedactStatementText("CREATE TABLE t (a INT); INSERT INTO t VALUES (1);"),
            "CREATE TABLE t (a INT); INSERT INTO t VALUES (1);");
}

TEST(RedactStatementTextTest, UnparsableTextIsRedactedTokenByToken) {
  // A typo: the statement does not parse, its secrets are still hidden.
  const std::string typo = RedactStatementText(
      "BACKUP INTO 'nodelocal://1/b' WITH encryption_passphrase = 'pw-typo' detachd;");
  EXPECT_EQ(typo, "BACKUP INTO 'nodelocal://1/b' WITH encryption_passphrase = '*****' detachd;");
  EXPECT_EQ(RedactStatementText("RESTORE FROM LATEST IN ('s3://b?AWS_SECRET_ACCESS_KEY=x1', "
                                "'s3://c?AWS_SESSION_TOKEN=t1') WITH bogus =;"),
            "RESTORE FROM LATEST IN ('s3://b?AWS_SECRET_ACCESS_KEY=redacted', "
            "'s3://c?AWS_SESSION_TOKEN=redacted') WITH bogus =;");
  EXPECT_EQ(RedactStatementText("SHOW BACKUP FROM LATEST IN 'x' WITH kms = ('aws:///a?"
                                "AWS_SECRET_ACCESS_KEY=k1', 'aws:///b?AWS_SECRET_ACCESS_KEY=k2') "
                                "oops;"),
            "SHOW BACKUP FROM LATEST IN 'x' WITH kms = ('aws:///a?AWS_SECRET_ACCESS_KEY=redacted', "
            "'aws:///b?AWS_SECRET_ACCESS_KEY=redacted') oops;");
}

TEST(RedactStatementTextTest, SeveralStatementsAndAnUnfinishedRest) {
  // Text after the last ';' is unfinished: redacted token by token, no ';' added.
  EXPECT_EQ(RedactStatementText("SHOW BACKUP FROM LATEST IN 's3://b?AWS_SECRET_ACCESS_KEY=u1'"),
            "SHOW BACKUP FROM LATEST IN 's3://b?AWS_SECRET_ACCESS_KEY=redacted'");
  EXPECT_EQ(RedactStatementText("USE d; BACKUP INTO 'nodelocal://1/b' WITH "
                                "encryption_passphrase = 'pw-two'; SELECT 1"),
            "USE d; BACKUP INTO 'nodelocal://1/b' WITH OPTIONS (encryption_passphrase = "
            "'*****'); SELECT 1");
  // An unterminated string is cut: nothing of it can be told apart from a secret.
  EXPECT_EQ(RedactStatementText("SELECT 1; RESTORE FROM LATEST IN 'x' WITH "
                                "encryption_passphrase = 'pw-open"),
            "SELECT 1; RESTORE FROM LATEST IN 'x' WITH encryption_passphrase = ...");
}

}  // namespace
}  // namespace cofre::sql
