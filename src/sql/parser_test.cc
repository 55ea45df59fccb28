#include "sql/parser.h"

#include <gtest/gtest.h>

#include "sql/parse_test_util.h"

namespace cofre::sql {
namespace {

Status ParseError(std::string_view text) {
  StatusOr<Statement> stmt = ParseStatement(text);
  EXPECT_FALSE(stmt.ok()) << text << " parsed as variant #" << (stmt.ok() ? stmt->index() : 0);
  return stmt.ok() ? Status::OK() : stmt.status();
}

Option Flag(std::string name) { return Option{std::move(name), Option::Kind::kFlag, {}}; }
Option Str(std::string name, std::string v) {
  return Option{std::move(name), Option::Kind::kString, {std::move(v)}};
}
Option List(std::string name, std::vector<std::string> v) {
  return Option{std::move(name), Option::Kind::kStringList, std::move(v)};
}
Option Word(std::string name, std::string v) {
  return Option{std::move(name), Option::Kind::kWord, {std::move(v)}};
}

BackupRef Latest() { return BackupRef{true, ""}; }
BackupRef Subdir(std::string s) { return BackupRef{false, std::move(s)}; }

// ---------------------------------------------------------------- passthrough

TEST(ParserTest, PassthroughKeepsTextUnchanged) {
  const char* cases[] = {
      "SELECT 'BACKUP INTO x'",
      "select 1; -- backup",
      "CREATE TABLE backup(x)",
      "create table backup (x int)",
      "INSERT INTO t VALUES ('RESTORE FROM LATEST IN x')",
      "SELECT * FROM backup",
      "PRAGMA journal_mode",
      "CREATE INDEX i ON t(x)",
      "DROP TABLE backup",
      "ALTER TABLE backup ADD COLUMN y",
      "SET x = 1",
      "WITH backup AS (SELECT 1) SELECT * FROM backup",
      "EXPLAIN BACKUP",
      "",
      "   ",
      "-- just a comment",
      "'unterminated",
      "\"backup\" INTO 'x'",
      "SELECT x'00ff', [col;], `q`",
      "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END",
      "ATTACH DATABASE 'x.db' AS x",
      "DETACH DATABASE x",
      "CREATE TEMP TABLE t(x)",
      "SHOW 'x",
  };
  for (const char* text : cases) {
    Passthrough p = ParseAs<Passthrough>(text);
    EXPECT_EQ(p.text, text);
  }
}

// ---------------------------------------------------------------- databases

TEST(ParserTest, CreateDatabase) {
  EXPECT_EQ(ParseAs<CreateDatabase>("CREATE DATABASE shop"),
            (CreateDatabase{"shop", false, std::nullopt}));
  EXPECT_EQ(ParseAs<CreateDatabase>("create database if not exists Shop;"),
            (CreateDatabase{"Shop", true, std::nullopt}));
  EXPECT_EQ(ParseAs<CreateDatabase>("CREATE DATABASE \"my db\" FROM FILE '/data/x.db'"),
            (CreateDatabase{"my db", false, "/data/x.db"}));
  EXPECT_EQ(ParseAs<CreateDatabase>("CREATE DATABASE IF NOT EXISTS d FROM FILE 'it''s.db'"),
            (CreateDatabase{"d", true, "it's.db"}));
  CreateDatabase wal{"app", false, "/x.db", "wal"};
  EXPECT_EQ(
      ParseAs<CreateDatabase>("CREATE DATABASE app FROM FILE '/x.db' WITH journal_mode = 'WAL'"),
      wal);
  EXPECT_EQ(
      ParseAs<CreateDatabase>("CREATE DATABASE app FROM FILE '/x.db' WITH journal_mode = wal"),
      wal);
  EXPECT_EQ(ParseAs<CreateDatabase>("CREATE DATABASE \"table\""),
            (CreateDatabase{"table", false, std::nullopt}));
  // Non-reserved keywords are names.
  EXPECT_EQ(ParseAs<CreateDatabase>("CREATE DATABASE backup"),
            (CreateDatabase{"backup", false, std::nullopt}));
  EXPECT_EQ(ParseAs<CreateDatabase>("CREATE DATABASE if"),
            (CreateDatabase{"if", false, std::nullopt}));
}

TEST(ParserTest, CreateDatabaseErrors) {
  Status s = ParseError("CREATE DATABASE table");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "at or near \"table\": syntax error");
  EXPECT_NE(s.hint().find("reserved keyword"), std::string::npos);
  EXPECT_EQ(ParseError("CREATE DATABASE").message(), "at or near \"EOF\": syntax error");
  EXPECT_EQ(ParseError("CREATE DATABASE a b").message(), "at or near \"b\": syntax error");
  EXPECT_EQ(ParseError("CREATE DATABASE a FROM '/x.db'").message(),
            "at or near \"'*****'\": syntax error");
  EXPECT_EQ(ParseError("CREATE DATABASE a FROM FILE ''").message(),
            "at or near \"'*****'\": syntax error");
  EXPECT_EQ(ParseError("CREATE DATABASE IF NOT a").message(), "at or near \"a\": syntax error");
  EXPECT_EQ(ParseError("CREATE DATABASE 'a'").hint(),
            "CREATE DATABASE [IF NOT EXISTS] name [FROM FILE '/path/to/file.db' [WITH journal_mode "
            "= 'wal' | 'delete' | 'truncate' | 'persist']]");
  EXPECT_NE(ParseError("CREATE DATABASE a FROM FILE '/x.db' WITH journal_mode = 'fast'")
                .hint()
                .find("journal_mode must be"),
            std::string::npos);
  EXPECT_NE(ParseError("CREATE DATABASE a FROM FILE '/x.db' WITH page_size = 1")
                .hint()
                .find("one option"),
            std::string::npos);
  EXPECT_EQ(ParseError("CREATE DATABASE a WITH journal_mode = 'wal'").message(),
            "at or near \"WITH\": syntax error");
  EXPECT_EQ(ParseError("CREATE DATABASE a; SELECT 1").message(), "at or near \";\": syntax error");
}

TEST(ParserTest, DropDatabase) {
  EXPECT_EQ(ParseAs<DropDatabase>("DROP DATABASE shop"), (DropDatabase{"shop", false, false}));
  EXPECT_EQ(ParseAs<DropDatabase>("drop database if exists shop cascade"),
            (DropDatabase{"shop", true, true}));
  EXPECT_EQ(ParseAs<DropDatabase>("DROP DATABASE shop RESTRICT;"),
            (DropDatabase{"shop", false, false}));
  EXPECT_EQ(ParseAs<DropDatabase>("DROP DATABASE \"a\"\"b\""),
            (DropDatabase{"a\"b", false, false}));
  EXPECT_EQ(ParseError("DROP DATABASE shop CASCADE RESTRICT").message(),
            "at or near \"RESTRICT\": syntax error");
  EXPECT_EQ(ParseError("DROP DATABASE IF EXISTS").message(), "at or near \"EOF\": syntax error");
}

TEST(ParserTest, ShowDatabasesAndTables) {
  ParseAs<ShowDatabases>("SHOW DATABASES");
  ParseAs<ShowDatabases>("show databases;");
  EXPECT_EQ(ParseAs<ShowTables>("SHOW TABLES"), ShowTables{});
  EXPECT_EQ(ParseAs<ShowTables>("SHOW TABLES FROM shop"), (ShowTables{"shop"}));
  EXPECT_EQ(ParseAs<ShowTables>("SHOW TABLES FROM shop.public"), (ShowTables{"shop"}));
  EXPECT_EQ(ParseAs<ShowTables>("SHOW TABLES FROM \"Shop\".PUBLIC"), (ShowTables{"Shop"}));
  EXPECT_EQ(ParseError("SHOW TABLES FROM shop.other").message(),
            "at or near \"other\": syntax error");
  EXPECT_EQ(ParseError("SHOW DATABASES x").message(), "at or near \"x\": syntax error");
  EXPECT_EQ(ParseError("SHOW TABLES IN shop").message(), "at or near \"IN\": syntax error");
}

TEST(ParserTest, Use) {
  EXPECT_EQ(ParseAs<Use>("USE shop"), (Use{"shop"}));
  EXPECT_EQ(ParseAs<Use>("use \"Shop\";"), (Use{"Shop"}));
  EXPECT_EQ(ParseAs<Use>("SET database = shop"), (Use{"shop"}));
  EXPECT_EQ(ParseAs<Use>("set DATABASE to shop"), (Use{"shop"}));
  EXPECT_EQ(ParseAs<Use>("SET database = 'shop'"), (Use{"shop"}));
  EXPECT_EQ(ParseAs<Use>("USE defaultdb"), (Use{"defaultdb"}));
  EXPECT_EQ(ParseError("USE").message(), "at or near \"EOF\": syntax error");
  EXPECT_EQ(ParseError("USE ''").message(), "at or near \"'*****'\": syntax error");
  EXPECT_EQ(ParseError("SET database shop").message(), "at or near \"shop\": syntax error");
  EXPECT_EQ(ParseError("USE a, b").message(), "at or near \",\": syntax error");
}

TEST(ParserTest, Jobs) {
  ParseAs<ShowJobs>("SHOW JOBS");
  ParseAs<ShowJobs>("show jobs ;");
  EXPECT_EQ(ParseAs<ShowJob>("SHOW JOB 594193600274956289"), (ShowJob{594193600274956289}));
  EXPECT_EQ(ParseAs<ShowJob>("show job 1;"), (ShowJob{1}));
  EXPECT_EQ(ParseError("SHOW JOB").message(), "at or near \"EOF\": syntax error");
  EXPECT_EQ(ParseError("SHOW JOB abc").message(), "at or near \"abc\": syntax error");
  EXPECT_EQ(ParseError("SHOW JOB 1.5").message(), "at or near \"1.5\": syntax error");
  EXPECT_EQ(ParseError("SHOW JOB 99999999999999999999").hint(),
            "job IDs are 64-bit integers, as listed by SHOW JOBS");
  EXPECT_EQ(ParseError("SHOW JOB -1").message(), "at or near \"-\": syntax error");
  EXPECT_EQ(ParseError("SHOW JOBS 1").message(), "at or near \"1\": syntax error");
}

TEST(ParserTest, JobControl) {
  EXPECT_EQ(ParseAs<ShowJob>("SHOW JOB WHEN COMPLETE 42"), (ShowJob{42, true}));
  EXPECT_EQ(ParseAs<ControlJob>("PAUSE JOB 7"), (ControlJob{ControlJob::Action::kPause, 7}));
  EXPECT_EQ(ParseAs<ControlJob>("resume job 8;"), (ControlJob{ControlJob::Action::kResume, 8}));
  EXPECT_EQ(ParseAs<ControlJob>("CANCEL JOB 9"), (ControlJob{ControlJob::Action::kCancel, 9}));
  EXPECT_EQ(ParseError("SHOW JOB WHEN 1").message(), "at or near \"1\": syntax error");
  EXPECT_EQ(ParseError("PAUSE JOB").message(), "at or near \"EOF\": syntax error");
  EXPECT_EQ(ParseError("CANCEL JOB x").hint(), "CANCEL JOB takes a job ID, as listed by SHOW JOBS");
  EXPECT_EQ(ParseError("RESUME JOB 1 2").message(), "at or near \"2\": syntax error");
  // Other statements starting with these words stay SQLite's.
  ParseAs<Passthrough>("PAUSE");
}

// ---------------------------------------------------------------- BACKUP

TEST(ParserTest, BackupCluster) {
  Backup b = ParseAs<Backup>("BACKUP INTO 'nodelocal://1/b'");
  EXPECT_EQ(b.targets.kind, Targets::Kind::kCluster);
  EXPECT_EQ(b.incremental_on, std::nullopt);
  EXPECT_EQ(b.destinations, std::vector<std::string>{"nodelocal://1/b"});
  EXPECT_EQ(b.as_of, std::nullopt);
  EXPECT_TRUE(b.options.empty());
}

TEST(ParserTest, BackupWithPassphraseFromTheDocs) {
  Backup b = ParseAs<Backup>(
      "BACKUP INTO 's3://bucket?AWS_ACCESS_KEY_ID=k&AWS_SECRET_ACCESS_KEY=s' "
      "WITH encryption_passphrase = "
      "'password123';");
  EXPECT_EQ(b.destinations,
            std::vector<std::string>{"s3://bucket?AWS_ACCESS_KEY_ID=k&AWS_SECRET_ACCESS_KEY=s"});
  EXPECT_EQ(b.options, std::vector<Option>{Str("encryption_passphrase", "password123")});
}

TEST(ParserTest, BackupWithKmsListFromTheDocs) {
  Backup b = ParseAs<Backup>(
      "BACKUP INTO 's3://{BUCKET NAME}?AWS_ACCESS_KEY_ID={KEY "
      "ID}&AWS_SECRET_ACCESS_KEY={SECRET ACCESS KEY}'\n"
      "WITH KMS=(\n"
      "'aws:///<cmk>?AUTH=implicit&REGION=us-east-1',\n"
      "'aws:///<cmk>?AUTH=implict&REGION=us-west-1'\n"
      ");");
  EXPECT_EQ(b.options,
            std::vector<Option>{List("kms", {"aws:///<cmk>?AUTH=implicit&REGION=us-east-1",
                                             "aws:///<cmk>?AUTH=implict&REGION=us-west-1"})});
}

TEST(ParserTest, BackupTargets) {
  Backup b = ParseAs<Backup>("BACKUP DATABASE shop, \"Other DB\" INTO 'x'");
  EXPECT_EQ(b.targets.kind, Targets::Kind::kDatabases);
  EXPECT_EQ(b.targets.databases, (std::vector<std::string>{"shop", "Other DB"}));

  b = ParseAs<Backup>(
      "BACKUP TABLE t, db.t2, db.public.t3, public.t4, db.*, *, db.public.*, "
      "public.* INTO 'x'");
  EXPECT_EQ(b.targets.kind, Targets::Kind::kTables);
  EXPECT_EQ(b.targets.tables, (std::vector<TablePattern>{
                                  {"", "t", false},
                                  {"db", "t2", false},
                                  {"db", "t3", false},
                                  {"", "t4", false},
                                  {"db", "", true},
                                  {"", "", true},
                                  {"db", "", true},
                                  {"", "", true},
                              }));

  // TABLE is optional, as in CockroachDB.
  b = ParseAs<Backup>("BACKUP shop.orders INTO 'x'");
  EXPECT_EQ(b.targets.kind, Targets::Kind::kTables);
  EXPECT_EQ(b.targets.tables, (std::vector<TablePattern>{{"shop", "orders", false}}));

  b = ParseAs<Backup>("BACKUP TABLE \"My\".\"T\" INTO 'x'");
  EXPECT_EQ(b.targets.tables, (std::vector<TablePattern>{{"My", "T", false}}));
}

TEST(ParserTest, BackupTargetErrors) {
  Status s = ParseError("BACKUP TABLE db.sales.t INTO 'x'");
  EXPECT_EQ(s.message(), "at or near \"sales\": syntax error");
  EXPECT_NE(s.hint().find("single schema"), std::string::npos);
  EXPECT_EQ(ParseError("BACKUP TABLE db.sales.* INTO 'x'").message(),
            "at or near \"sales\": syntax error");
  EXPECT_EQ(ParseError("BACKUP TABLE a.b.c.d INTO 'x'").message(),
            "at or near \"d\": syntax error");
  EXPECT_EQ(ParseError("BACKUP DATABASE INTO 'x'").message(), "at or near \"INTO\": syntax error");
  EXPECT_EQ(ParseError("BACKUP DATABASE a, INTO 'x'").message(),
            "at or near \"INTO\": syntax error");
  EXPECT_EQ(ParseError("BACKUP DATABASE db.* INTO 'x'").message(),
            "at or near \".\": syntax error");
  EXPECT_EQ(ParseError("BACKUP TABLE INTO 'x'").message(), "at or near \"INTO\": syntax error");
}

TEST(ParserTest, BackupIncrementals) {
  Backup b = ParseAs<Backup>("BACKUP INTO LATEST IN 'nodelocal://1/b'");
  EXPECT_EQ(b.incremental_on, Latest());
  EXPECT_EQ(b.destinations, std::vector<std::string>{"nodelocal://1/b"});

  b = ParseAs<Backup>("backup database d into '2026/11/28-145137.12' in 's3://b/p'");
  EXPECT_EQ(b.incremental_on, Subdir("2026/11/28-145137.12"));
  EXPECT_EQ(b.destinations, std::vector<std::string>{"s3://b/p"});

  b = ParseAs<Backup>("BACKUP INTO 'latest' IN 'x'");
  EXPECT_EQ(b.incremental_on, Latest());

  b = ParseAs<Backup>(
      "BACKUP INTO LATEST IN ('s3://a?COCKROACH_LOCALITY=default', "
      "'s3://b?COCKROACH_LOCALITY=region%3Dus')");
  EXPECT_EQ(b.incremental_on, Latest());
  EXPECT_EQ(b.destinations.size(), 2u);
}

TEST(ParserTest, BackupLocalityDestinations) {
  Backup b = ParseAs<Backup>(
      "BACKUP INTO ('s3://a?COCKROACH_LOCALITY=default', "
      "'s3://b?COCKROACH_LOCALITY=region%3Dwest')");
  EXPECT_EQ(b.incremental_on, std::nullopt);
  EXPECT_EQ(b.destinations, (std::vector<std::string>{"s3://a?COCKROACH_LOCALITY=default",
                                                      "s3://b?COCKROACH_LOCALITY=region%3Dwest"}));
  EXPECT_EQ(ParseError("BACKUP INTO ()").message(), "at or near \")\": syntax error");
  EXPECT_EQ(ParseError("BACKUP INTO ('a',)").message(), "at or near \")\": syntax error");
  EXPECT_EQ(ParseError("BACKUP INTO ('a' 'b')").message(), "at or near \"'*****'\": syntax error");
  EXPECT_EQ(ParseError("BACKUP INTO ('a'").message(), "at or near \"EOF\": syntax error");
}

TEST(ParserTest, BackupAsOfSystemTime) {
  Backup b = ParseAs<Backup>("BACKUP INTO 'x' AS OF SYSTEM TIME '-10s'");
  EXPECT_EQ(b.as_of, (AsOf{"-10s", true}));
  b = ParseAs<Backup>("BACKUP INTO 'x' AS OF SYSTEM TIME -10 WITH detached");
  EXPECT_EQ(b.as_of, (AsOf{"-10", false}));
  EXPECT_EQ(b.options, std::vector<Option>{Flag("detached")});
  b = ParseAs<Backup>("BACKUP INTO 'x' as of system time follower_read_timestamp()");
  EXPECT_EQ(b.as_of, (AsOf{"follower_read_timestamp()", false}));
  b = ParseAs<Backup>(
      "BACKUP INTO 'x' AS OF SYSTEM TIME '2026-01-01 10:00:00'::TIMESTAMP  /* "
      "c */ +  interval '1s';");
  EXPECT_EQ(b.as_of, (AsOf{"'2026-01-01 10:00:00'::TIMESTAMP + interval '1s'", false}));
  b = ParseAs<Backup>(
      "BACKUP INTO 'x' AS OF SYSTEM TIME f(with_x(1), (2)) WITH "
      "revision_history");
  EXPECT_EQ(b.as_of, (AsOf{"f(with_x(1), (2))", false}));
  b = ParseAs<Backup>("BACKUP INTO 'x' AS OF SYSTEM TIME 1700000000000000000.0000000000");
  EXPECT_EQ(b.as_of, (AsOf{"1700000000000000000.0000000000", false}));

  EXPECT_EQ(ParseError("BACKUP INTO 'x' AS OF SYSTEM TIME").message(),
            "at or near \"EOF\": syntax error");
  EXPECT_EQ(ParseError("BACKUP INTO 'x' AS OF SYSTEM TIME WITH detached").message(),
            "at or near \"WITH\": syntax error");
  EXPECT_EQ(ParseError("BACKUP INTO 'x' AS OF SYSTEM TIME f(").message(),
            "at or near \"EOF\": syntax error");
  EXPECT_EQ(ParseError("BACKUP INTO 'x' AS OF SYSTEM TIME f)").message(),
            "at or near \")\": syntax error");
  EXPECT_EQ(ParseError("BACKUP INTO 'x' AS OF TIME '-1s'").message(),
            "at or near \"TIME\": syntax error");
  EXPECT_EQ(ParseError("BACKUP INTO 'x' AS OF SYSTEM TIME 1; x").message(),
            "at or near \";\": syntax error");
}

TEST(ParserTest, BackupOptions) {
  Backup b = ParseAs<Backup>(
      "BACKUP INTO 'x' WITH Encryption_Passphrase = 'pw', detached, "
      "revision_history = TRUE, "
      "kms = 'aws:///k', KMS = ('a', 'b'), n = 5, m = -3, q = \"Quoted\", "
      "execution locality = 'region=us', "
      "detached");
  EXPECT_EQ(b.options, (std::vector<Option>{
                           Str("encryption_passphrase", "pw"),
                           Flag("detached"),
                           Word("revision_history", "true"),
                           Str("kms", "aws:///k"),
                           List("kms", {"a", "b"}),
                           Word("n", "5"),
                           Word("m", "-3"),
                           Word("q", "Quoted"),
                           Str("execution locality", "region=us"),
                           Flag("detached"),
                       }));
  Backup paren =
      ParseAs<Backup>("BACKUP INTO 'x' WITH OPTIONS (encryption_passphrase = 'pw', detached)");
  EXPECT_EQ(paren.options,
            (std::vector<Option>{Str("encryption_passphrase", "pw"), Flag("detached")}));
  // An option named "options" is still possible.
  Backup named = ParseAs<Backup>("BACKUP INTO 'x' WITH options");
  EXPECT_EQ(named.options, (std::vector<Option>{Flag("options")}));
}

TEST(ParserTest, BackupOptionErrors) {
  EXPECT_EQ(ParseError("BACKUP INTO 'x' WITH").message(), "at or near \"EOF\": syntax error");
  EXPECT_EQ(ParseError("BACKUP INTO 'x' WITH a =").message(), "at or near \"EOF\": syntax error");
  EXPECT_EQ(ParseError("BACKUP INTO 'x' WITH a, ").message(), "at or near \"EOF\": syntax error");
  EXPECT_EQ(ParseError("BACKUP INTO 'x' WITH OPTIONS (a").message(),
            "at or near \"EOF\": syntax error");
  EXPECT_EQ(ParseError("BACKUP INTO 'x' WITH kms = ()").message(),
            "at or near \")\": syntax error");
  EXPECT_EQ(ParseError("BACKUP INTO 'x' WITH a = 'b' c").message(),
            "at or near \"c\": syntax error");
  EXPECT_EQ(ParseError("BACKUP INTO 'x' WITH a = *").message(), "at or near \"*\": syntax error");
  EXPECT_EQ(ParseError("BACKUP INTO 'x' WITH = 'v'").message(), "at or near \"=\": syntax error");
  // A passphrase in the wrong place is never echoed.
  Status s = ParseError("BACKUP INTO 'x' WITH encryption_passphrase 'hunter2'");
  EXPECT_EQ(s.message(), "at or near \"'*****'\": syntax error");
  EXPECT_EQ(s.hint().find("hunter2"), std::string::npos);
  s = ParseError("BACKUP INTO 'x' WITH encryption_passphrase = 'hunter2");
  EXPECT_EQ(s.message().find("hunter2"), std::string::npos);
  EXPECT_EQ(s.message(), "lexical error at line 1, column 46: unterminated string literal");
}

TEST(ParserTest, BackupSyntaxErrors) {
  Status s = ParseError("BACKUP TO 'nodelocal://1/b'");
  EXPECT_EQ(s.message(), "at or near \"TO\": syntax error");
  EXPECT_NE(s.hint().find("INTO"), std::string::npos);
  s = ParseError("BACKUP DATABASE d TO 'x'");
  EXPECT_EQ(s.message(), "at or near \"TO\": syntax error");
  s = ParseError("BACKUP");
  EXPECT_EQ(s.message(), "at or near \"EOF\": syntax error");
  EXPECT_EQ(s.hint().rfind("BACKUP [DATABASE", 0), 0u);
  EXPECT_EQ(ParseError("BACKUP INTO").message(), "at or near \"EOF\": syntax error");
  EXPECT_EQ(ParseError("BACKUP INTO LATEST 'x'").message(), "at or near \"'*****'\": syntax error");
  EXPECT_EQ(ParseError("BACKUP INTO LATEST IN").message(), "at or near \"EOF\": syntax error");
  EXPECT_EQ(ParseError("BACKUP INTO '' IN 'x'").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseError("BACKUP INTO x").message(), "at or near \"x\": syntax error");
  EXPECT_EQ(ParseError("BACKUP INTO 'a' 'b'").message(), "at or near \"'*****'\": syntax error");
  EXPECT_EQ(ParseError("BACKUP INTO 'x'; BACKUP INTO 'y'").message(),
            "at or near \";\": syntax error");
  EXPECT_EQ(ParseError("BACKUP INTO 'x';;").message(), "at or near \";\": syntax error");
  EXPECT_EQ(ParseError("backup tenant 5 into 'x'").message(), "at or near \"5\": syntax error");
}

TEST(ParserTest, KeywordsAreCaseInsensitiveAndCommentsIgnored) {
  Backup b = ParseAs<Backup>(
      "/* lead */ bAcKuP -- c\n DaTaBaSe d /* mid */ InTo LaTeSt In 'x' -- "
      "trailing");
  EXPECT_EQ(b.targets.databases, std::vector<std::string>{"d"});
  EXPECT_EQ(b.incremental_on, Latest());
}

TEST(ParserTest, EscapeStringsInStatements) {
  Backup b = ParseAs<Backup>(
      "BACKUP INTO e'nodelocal://1/a\\'b' WITH encryption_passphrase = "
      "e'p\\x41ss'");
  EXPECT_EQ(b.destinations, std::vector<std::string>{"nodelocal://1/a'b"});
  EXPECT_EQ(b.options, std::vector<Option>{Str("encryption_passphrase", "pAss")});
}

// ---------------------------------------------------------------- RESTORE

TEST(ParserTest, RestoreFromTheDocs) {
  Restore r = ParseAs<Restore>(
      "RESTORE FROM LATEST IN 's3://{BUCKET NAME}?AWS_ACCESS_KEY_ID={KEY "
      "ID}&AWS_SECRET_ACCESS_KEY={SECRET ACCESS KEY}' "
      "WITH kms = 'aws:///<cmk>?AWS_ACCESS_KEY_ID={KEY "
      "ID}&AWS_SECRET_ACCESS_KEY={SECRET ACCESS KEY}&REGION=us-east-1';");
  EXPECT_EQ(r.targets.kind, Targets::Kind::kCluster);
  EXPECT_EQ(r.from, Latest());
  EXPECT_EQ(r.in.size(), 1u);
  ASSERT_EQ(r.options.size(), 1u);
  EXPECT_EQ(r.options[0].name, "kms");

  r = ParseAs<Restore>(
      "RESTORE FROM LATEST IN 's3://b' WITH encryption_passphrase = "
      "'password123'");
  EXPECT_EQ(r.options, std::vector<Option>{Str("encryption_passphrase", "password123")});
}

TEST(ParserTest, RestoreForms) {
  Restore r =
      ParseAs<Restore>("RESTORE DATABASE shop FROM '2026/11/28-145137.12' IN 'nodelocal://1/b'");
  EXPECT_EQ(r.targets.kind, Targets::Kind::kDatabases);
  EXPECT_EQ(r.from, Subdir("2026/11/28-145137.12"));
  EXPECT_EQ(r.in, std::vector<std::string>{"nodelocal://1/b"});

  r = ParseAs<Restore>(
      "restore table shop.orders, shop.public.items from latest in ('a', 'b') "
      "as of system time '2026-11-28 15:00:00' with into_db = 'newdb', "
      "skip_missing_foreign_keys");
  EXPECT_EQ(r.targets.tables,
            (std::vector<TablePattern>{{"shop", "orders", false}, {"shop", "items", false}}));
  EXPECT_EQ(r.in, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r.as_of, (AsOf{"2026-11-28 15:00:00", true}));
  EXPECT_EQ(r.options,
            (std::vector<Option>{Str("into_db", "newdb"), Flag("skip_missing_foreign_keys")}));

  r = ParseAs<Restore>(
      "RESTORE shop.* FROM 'LATEST' IN 'x' WITH OPTIONS (new_db_name = "
      "'copy')");
  EXPECT_EQ(r.targets.tables, (std::vector<TablePattern>{{"shop", "", true}}));
  EXPECT_EQ(r.from, Latest());
}

TEST(ParserTest, RestoreErrors) {
  Status s = ParseError("RESTORE FROM 's3://bucket/path?AWS_SECRET_ACCESS_KEY=zzz'");
  EXPECT_EQ(s.message(), "at or near \"EOF\": syntax error");
  EXPECT_NE(s.hint().find("RESTORE FROM LATEST IN"), std::string::npos);
  EXPECT_EQ(s.message().find("zzz"), std::string::npos);
  s = ParseError("RESTORE FROM ('full', 'inc')");
  EXPECT_EQ(s.message(), "at or near \"(\": syntax error");
  EXPECT_NE(s.hint().find("removed"), std::string::npos);
  EXPECT_EQ(ParseError("RESTORE").message(), "at or near \"EOF\": syntax error");
  EXPECT_EQ(ParseError("RESTORE FROM").message(), "at or near \"EOF\": syntax error");
  EXPECT_EQ(ParseError("RESTORE FROM LATEST").message(), "at or near \"EOF\": syntax error");
  EXPECT_EQ(ParseError("RESTORE FROM LATEST IN 'x' AS OF SYSTEM TIME").message(),
            "at or near \"EOF\": syntax error");
  EXPECT_EQ(ParseError("RESTORE DATABASE FROM LATEST IN 'x'").message(),
            "at or near \"FROM\": syntax error");
  EXPECT_EQ(ParseError("RESTORE INTO 'x'").message(), "at or near \"INTO\": syntax error");
  EXPECT_EQ(ParseError("RESTORE FROM LATEST IN 'x' WITH").message(),
            "at or near \"EOF\": syntax error");
}

// ---------------------------------------------------------------- SHOW
// BACKUP(S)

TEST(ParserTest, ShowBackups) {
  EXPECT_EQ(ParseAs<ShowBackups>("SHOW BACKUPS IN 'nodelocal://1/b'").in,
            std::vector<std::string>{"nodelocal://1/b"});
  EXPECT_EQ(ParseAs<ShowBackups>("show backups in ('a', 'b');").in,
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ParseError("SHOW BACKUPS 'x'").message(), "at or near \"'*****'\": syntax error");
  EXPECT_EQ(ParseError("SHOW BACKUPS IN").message(), "at or near \"EOF\": syntax error");
}

TEST(ParserTest, ShowBackup) {
  ShowBackup s = ParseAs<ShowBackup>("SHOW BACKUP FROM LATEST IN 'x'");
  EXPECT_EQ(s, (ShowBackup{ShowBackup::Kind::kDefault, Latest(), {"x"}, {}}));
  s = ParseAs<ShowBackup>(
      "SHOW BACKUP SCHEMAS FROM '2026/11/28-145137.12' IN 'x' WITH "
      "encryption_passphrase = 'pw'");
  EXPECT_EQ(s, (ShowBackup{ShowBackup::Kind::kSchemas,
                           Subdir("2026/11/28-145137.12"),
                           {"x"},
                           {Str("encryption_passphrase", "pw")}}));
  s = ParseAs<ShowBackup>(
      "show backup files from latest in ('a','b') with kms = ('k1', 'k2'), "
      "check_files");
  EXPECT_EQ(s, (ShowBackup{ShowBackup::Kind::kFiles,
                           Latest(),
                           {"a", "b"},
                           {List("kms", {"k1", "k2"}), Flag("check_files")}}));
  // The older form without FROM.
  s = ParseAs<ShowBackup>("SHOW BACKUP '2026/11/28-145137.12' IN 'x'");
  EXPECT_EQ(s, (ShowBackup{ShowBackup::Kind::kDefault, Subdir("2026/11/28-145137.12"), {"x"}, {}}));
  s = ParseAs<ShowBackup>("SHOW BACKUP SCHEMAS 'sub' IN 'x' WITH OPTIONS (as_json)");
  EXPECT_EQ(s, (ShowBackup{ShowBackup::Kind::kSchemas, Subdir("sub"), {"x"}, {Flag("as_json")}}));
  s = ParseAs<ShowBackup>("SHOW BACKUP FILES LATEST IN 'x'");
  EXPECT_EQ(s.kind, ShowBackup::Kind::kFiles);
  EXPECT_EQ(s.from, Latest());
}

TEST(ParserTest, ShowBackupErrors) {
  Status s = ParseError("SHOW BACKUP 's3://b/p?AWS_SECRET_ACCESS_KEY=zzz'");
  EXPECT_EQ(s.message(), "at or near \"EOF\": syntax error");
  EXPECT_NE(s.hint().find("SHOW BACKUP FROM LATEST IN"), std::string::npos);
  EXPECT_EQ(ParseError("SHOW BACKUP").message(), "at or near \"EOF\": syntax error");
  EXPECT_EQ(ParseError("SHOW BACKUP FROM IN 'x'").message(), "at or near \"IN\": syntax error");
  EXPECT_EQ(ParseError("SHOW BACKUP RANGES FROM LATEST IN 'x'").message(),
            "at or near \"RANGES\": syntax error");
  EXPECT_EQ(ParseError("SHOW BACKUP FROM LATEST IN 'x' AS OF SYSTEM TIME '-1s'").message(),
            "at or near \"AS\": syntax error");
}

// ---------------------------------------------------------------- ALTER BACKUP

TEST(ParserTest, AlterBackup) {
  AlterBackup a = ParseAs<AlterBackup>(
      "ALTER BACKUP LATEST IN 's3://b' ADD NEW_KMS = "
      "'aws:///new?REGION=us-west-1' WITH OLD_KMS = "
      "'aws:///old?REGION=us-east-1'");
  EXPECT_EQ(a.backup, Latest());
  EXPECT_EQ(a.in, std::vector<std::string>{"s3://b"});
  EXPECT_EQ(a.commands, (std::vector<AlterBackupCommand>{{AlterBackupCommand::Kind::kAddKms,
                                                          {"aws:///new?REGION=us-west-1"},
                                                          {"aws:///old?REGION=us-east-1"}}}));
  a = ParseAs<AlterBackup>(
      "alter backup '2026/11/28-145137.12' in 'x' add new_kms = ('n1', 'n2') "
      "with old_kms = ('o1', 'o2') "
      "drop kms = 'n1' with old_kms = 'o1';");
  EXPECT_EQ(a.backup, Subdir("2026/11/28-145137.12"));
  EXPECT_EQ(a.commands, (std::vector<AlterBackupCommand>{
                            {AlterBackupCommand::Kind::kAddKms, {"n1", "n2"}, {"o1", "o2"}},
                            {AlterBackupCommand::Kind::kDropKms, {"n1"}, {"o1"}},
                        }));
}

TEST(ParserTest, AlterBackupErrors) {
  EXPECT_EQ(ParseError("ALTER BACKUP LATEST IN 'x'").message(), "at or near \"EOF\": syntax error");
  Status s = ParseError("ALTER BACKUP 's3://b' ADD NEW_KMS = 'a' WITH OLD_KMS = 'b'");
  EXPECT_EQ(s.message(), "at or near \"ADD\": syntax error");
  EXPECT_NE(s.hint().find("ALTER BACKUP LATEST IN"), std::string::npos);
  s = ParseError("ALTER BACKUP LATEST IN 'x' ADD NEW_KMS = 'a'");
  EXPECT_EQ(s.message(), "at or near \"EOF\": syntax error");
  EXPECT_NE(s.hint().find("OLD_KMS"), std::string::npos);
  EXPECT_EQ(ParseError("ALTER BACKUP LATEST IN 'x' ADD KMS = 'a' WITH OLD_KMS = 'b'").message(),
            "at or near \"KMS\": syntax error");
  EXPECT_EQ(
      ParseError("ALTER BACKUP LATEST IN 'x' DROP NEW_KMS = 'a' WITH OLD_KMS = 'b'").message(),
      "at or near \"NEW_KMS\": syntax error");
  EXPECT_EQ(ParseError("ALTER BACKUP LATEST IN 'x' ADD NEW_KMS 'a' WITH OLD_KMS = 'b'").message(),
            "at or near \"'*****'\": syntax error");
  EXPECT_EQ(ParseError("ALTER BACKUP LATEST IN 'x' ADD NEW_KMS = 'a' WITH "
                       "OLD_KMS = 'b' extra")
                .message(),
            "at or near \"extra\": syntax error");
}

TEST(ParserTest, StatementTags) {
  EXPECT_EQ(StatementTag(*ParseStatement("BACKUP INTO 'x'")), "BACKUP");
  EXPECT_EQ(StatementTag(*ParseStatement("RESTORE FROM LATEST IN 'x'")), "RESTORE");
  EXPECT_EQ(StatementTag(*ParseStatement("CREATE DATABASE d")), "CREATE DATABASE");
  EXPECT_EQ(StatementTag(*ParseStatement("DROP DATABASE d")), "DROP DATABASE");
  EXPECT_EQ(StatementTag(*ParseStatement("USE d")), "SET");
  EXPECT_EQ(StatementTag(*ParseStatement("SHOW BACKUPS IN 'x'")), "SHOW BACKUPS");
  EXPECT_EQ(StatementTag(
                *ParseStatement("ALTER BACKUP LATEST IN 'x' ADD NEW_KMS = 'a' WITH OLD_KMS = 'b'")),
            "ALTER BACKUP");
  EXPECT_EQ(StatementTag(*ParseStatement("SELECT 1")), "");
}

}  // namespace
}  // namespace cofre::sql
