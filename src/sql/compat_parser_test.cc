// Parsing of the CockroachDB statements added for its documentation's examples: external
// connections, SHOW statements as table sources, PAUSE/RESUME/CANCEL JOBS (query), SHOW BACKUPS
// NEWER/OLDER THAN, SHOW AUTOMATIC JOBS, and the refusal by name of what cofre lacks.
#include <gtest/gtest.h>

#include "sql/as_of_time.h"
#include "sql/describe.h"
#include "sql/parse_test_util.h"
#include "sql/parser.h"
#include "sql/show_source.h"
#include "util/status_matchers.h"

namespace cofre::sql {
namespace {

TEST(CompatParserTest, ExternalConnections) {
  CreateExternalConnection c =
      ParseAs<CreateExternalConnection>("CREATE EXTERNAL CONNECTION backup_s3 AS 's3://b/p?X=1'");
  EXPECT_EQ(c.name, "backup_s3");
  EXPECT_EQ(c.uri, "s3://b/p?X=1");
  EXPECT_FALSE(c.if_not_exists);
  c = ParseAs<CreateExternalConnection>(
      "create external connection if not exists 'k' as 'aws:///key?REGION=r';");
  EXPECT_TRUE(c.if_not_exists);
  EXPECT_EQ(c.name, "k");
  EXPECT_EQ(ParseAs<ShowExternalConnections>("SHOW EXTERNAL CONNECTIONS"),
            (ShowExternalConnections{}));
  EXPECT_EQ(ParseAs<ShowExternalConnections>("SHOW EXTERNAL CONNECTION s3_bucket"),
            (ShowExternalConnections{"s3_bucket", false}));
  EXPECT_EQ(ParseAs<ShowExternalConnections>("SHOW CREATE ALL EXTERNAL CONNECTIONS"),
            (ShowExternalConnections{std::nullopt, true}));
  EXPECT_EQ(ParseAs<ShowExternalConnections>("SHOW CREATE EXTERNAL CONNECTION x"),
            (ShowExternalConnections{"x", true}));
  EXPECT_EQ(ParseAs<DropExternalConnection>("DROP EXTERNAL CONNECTION IF EXISTS x"),
            (DropExternalConnection{"x", true}));
  EXPECT_THAT(ParseStatement("CREATE EXTERNAL CONNECTION x 's3://b'").status(),
              StatusIs(StatusCode::kInvalidArgument));
  GrantPrivileges g =
      ParseAs<GrantPrivileges>("GRANT USAGE ON EXTERNAL CONNECTION backup_s3, b2 TO alice");
  EXPECT_EQ(g.on.kind, GrantObject::Kind::kExternalConnection);
  EXPECT_EQ(g.on.names, (std::vector<std::string>{"backup_s3", "b2"}));
  EXPECT_EQ(g.privileges, (std::vector<std::string>{"USAGE"}));
}

TEST(CompatParserTest, ConnectionSecretsAreRedacted) {
  const std::string secret = "wJalrXUtnFEMI-SECRET";
  const std::string text =
      "CREATE EXTERNAL CONNECTION s AS 's3://b/p?AWS_ACCESS_KEY_ID=AKIA&"
      "AWS_SECRET_ACCESS_KEY=" +
      secret + "'";
  for (const std::string& shown :
       {RedactStatementText(text), RedactStatementText(text.substr(0, text.size() - 1)),
        RedactStatementText(
            "SELECT * FROM [SHOW BACKUPS IN 's3://b?AWS_SECRET_ACCESS_KEY=" + secret + "']")}) {
    EXPECT_EQ(shown.find(secret), std::string::npos) << shown;
  }
  EXPECT_NE(RedactStatementText(text).find("CREATE EXTERNAL CONNECTION s AS 's3://b/p?"),
            std::string::npos);
}

TEST(CompatParserTest, ShowQueries) {
  ShowQuery q = ParseAs<ShowQuery>("WITH x AS (SHOW JOBS) SELECT job_id FROM x WHERE a = 'b'");
  ASSERT_EQ(q.sources.size(), 1u);
  EXPECT_EQ(q.sources[0].show, "SHOW JOBS");
  EXPECT_EQ(q.text.substr(q.sources[0].begin, q.sources[0].end - q.sources[0].begin),
            "(SHOW JOBS)");
  q = ParseAs<ShowQuery>(
      "SELECT path FROM [SHOW BACKUPS IN 'nodelocal://1/x'] JOIN [show jobs] ON 1");
  ASSERT_EQ(q.sources.size(), 2u);
  EXPECT_EQ(q.sources[0].show, "SHOW BACKUPS IN 'nodelocal://1/x'");
  EXPECT_EQ(q.sources[1].show, "show jobs");
  // SQLite's own queries stay SQLite's, also when they say "show".
  for (const char* text : {"SELECT 'show'", "SELECT show FROM t",
                           "WITH show AS (SELECT 1) "
                           "SELECT * FROM show",
                           "SELECT [show] FROM t"}) {
    EXPECT_EQ(ParseAs<Passthrough>(text).text, text);
  }
}

TEST(CompatParserTest, SubstituteShowResults) {
  ShowQuery q = ParseAs<ShowQuery>("SELECT * FROM [SHOW JOBS] WHERE n > 1");
  ResultSet rs;
  rs.columns = {{"name"}, {"n", ResultSet::Kind::kNumber}, {"ok", ResultSet::Kind::kBool}};
  rs.rows = {{std::string("it's"), std::string("2"), std::string("true")},
             {std::nullopt, std::string("x"), std::string("false")}};
  ASSERT_OK_AND_ASSIGN(std::string sql, SubstituteShowResults(q, {rs}));
  EXPECT_EQ(sql,
            "SELECT * FROM (SELECT column1 AS \"name\", column2 AS \"n\", column3 AS \"ok\" FROM "
            "(VALUES ('it''s', 2, 1), (NULL, 'x', 0))) WHERE n > 1");
  rs.rows.clear();
  ASSERT_OK_AND_ASSIGN(sql, SubstituteShowResults(q, {rs}));
  EXPECT_EQ(sql,
            "SELECT * FROM (SELECT NULL AS \"name\", NULL AS \"n\", NULL AS \"ok\" WHERE 0) "
            "WHERE n > 1");
  ResultSet tag;
  tag.tag = "CREATE EXTERNAL CONNECTION";
  EXPECT_THAT(SubstituteShowResults(q, {tag}).status(), StatusIs(StatusCode::kInvalidArgument));
}

TEST(CompatParserTest, JobsAndBackups) {
  ControlJobs c = ParseAs<ControlJobs>(
      "PAUSE JOBS (WITH x AS (SHOW JOBS) SELECT job_id FROM x WHERE user_name = 'maxroach');");
  EXPECT_EQ(c.action, ControlJob::Action::kPause);
  EXPECT_EQ(c.query, "WITH x AS (SHOW JOBS) SELECT job_id FROM x WHERE user_name = 'maxroach'");
  c = ParseAs<ControlJobs>("cancel jobs select 1");
  EXPECT_EQ(c.action, ControlJob::Action::kCancel);
  EXPECT_EQ(c.query, "select 1");
  EXPECT_TRUE(ParseAs<ShowJobs>("SHOW AUTOMATIC JOBS").automatic);
  ShowBackups b = ParseAs<ShowBackups>("SHOW BACKUPS IN 'x' OLDER THAN '-1d' NEWER THAN '-7d'");
  EXPECT_EQ(b.newer_than, "-7d");
  EXPECT_EQ(b.older_than, "-1d");
  EXPECT_TRUE(
      ParseAs<ShowBackups>("SHOW BACKUPS IN 'x' WITH REVISION START TIME").revision_start_time);
  EXPECT_THAT(ParseStatement("SHOW BACKUPS IN 'x' NEWER THAN '-1d' NEWER THAN '-2d'").status(),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(CompatParserTest, UnsupportedStatementsAreRefusedByName) {
  struct Case {
    const char* text;
    const char* name;
  };
  for (const Case& c : std::vector<Case>{
           {"SHOW CREATE SCHEDULE 5", "SHOW CREATE SCHEDULE"},
           {"show changefeed jobs", "SHOW CHANGEFEED JOBS"},
           {"IMPORT INTO t CSV DATA ('x')", "IMPORT"},
           {"SET CLUSTER SETTING x = 1", "SET CLUSTER SETTING"},
           {"SHOW RANGES FROM TABLE t", "SHOW RANGES"},
           {"SHOW whatever", "SHOW WHATEVER"},
           {"ALTER EXTERNAL CONNECTION x AS 'y'", "ALTER EXTERNAL CONNECTION"},
       }) {
    StatusOr<Statement> stmt = ParseStatement(c.text);
    EXPECT_THAT(stmt.status(), StatusIs(StatusCode::kUnimplemented)) << c.text;
    EXPECT_NE(stmt.status().message().find(c.name), std::string::npos)
        << c.text << ": " << stmt.status().message();
  }
  // SQLite's statements and errors stay SQLite's.
  EXPECT_EQ(ParseAs<Passthrough>("SHOW 'x").text, "SHOW 'x");
  EXPECT_EQ(ParseAs<Passthrough>("ALTER TABLE t ADD COLUMN c").text, "ALTER TABLE t ADD COLUMN c");
  EXPECT_EQ(ParseAs<Passthrough>("SELEC 1").text, "SELEC 1");
}

TEST(CompatParserTest, BackupAsOfSystemTime) {
  const int64_t now = 1'800'000'000'000'000;
  ASSERT_OK_AND_ASSIGN(int64_t t, BackupAsOfTime("-10s", true, now));
  EXPECT_EQ(t, now - 10'000'000);
  ASSERT_OK_AND_ASSIGN(t, BackupAsOfTime("follower_read_timestamp()", false, now));
  EXPECT_EQ(t, now - 4'800'000);
  EXPECT_THAT(BackupAsOfTime("-6m", true, now).status(), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(BackupAsOfTime("2999-01-01", true, now).status(),
              StatusIs(StatusCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(t, ParseDurationMicros("1w2d"));
  EXPECT_EQ(t, 9 * 86'400'000'000LL);
}

}  // namespace
}  // namespace cofre::sql
