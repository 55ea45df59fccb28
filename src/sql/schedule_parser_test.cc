// The schedule statements' grammar: CREATE SCHEDULE FOR BACKUP in full and its defaults, SHOW /
// PAUSE / RESUME / DROP SCHEDULE(S), ALTER BACKUP SCHEDULE, SHOW JOBS FOR SCHEDULE; renderings
// that parse back (redacted for display, with secrets for sealing); syntax errors with hints.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sql/describe.h"
#include "sql/parser.h"
#include "util/status_matchers.h"

namespace cofre::sql {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

template <typename T>
T ParseAs(const std::string& text) {
  auto stmt = ParseStatement(text);
  EXPECT_THAT(stmt.status(), IsOk()) << text;
  if (!stmt.ok() || !std::holds_alternative<T>(*stmt)) {
    ADD_FAILURE() << "not the expected statement: " << text;
    return T{};
  }
  return std::get<T>(*stmt);
}

TEST(ScheduleParserTest, CreateInFull) {
  const std::string text =
      "CREATE SCHEDULE IF NOT EXISTS nightly FOR BACKUP DATABASE shop INTO 's3://b/c?"
      "AWS_SECRET_ACCESS_KEY=sk' WITH encryption_passphrase = 'pw', detached RECURRING "
      "'*/5 * * * * *' FULL BACKUP '@daily' WITH SCHEDULE OPTIONS first_run = 'now', "
      "on_execution_failure = 'pause', on_previous_running = skip, ignore_existing_backups";
  auto c = ParseAs<CreateSchedule>(text);
  EXPECT_TRUE(c.if_not_exists);
  EXPECT_EQ(c.label, "nightly");
  EXPECT_EQ(c.backup.targets.kind, Targets::Kind::kDatabases);
  ASSERT_EQ(c.backup.options.size(), 2u);
  EXPECT_EQ(c.backup.options[1].name, "detached");  // RECURRING is not part of the option name
  EXPECT_EQ(c.recurring, "*/5 * * * * *");
  EXPECT_EQ(c.full_backup, "@daily");
  EXPECT_FALSE(c.full_backup_always);
  ASSERT_EQ(c.schedule_options.size(), 4u);
  EXPECT_EQ(c.schedule_options[2].values[0], "skip");
  EXPECT_EQ(c.schedule_options[3].name, "ignore_existing_backups");

  // The display hides the passphrase and the URI's secret, and parses back.
  std::string shown = DescribeStatement(Statement(c));
  EXPECT_THAT(shown, Not(HasSubstr("'pw'")));
  EXPECT_THAT(shown, Not(HasSubstr("=sk")));
  EXPECT_THAT(ParseStatement(shown).status(), IsOk());
  // The sealed rendering keeps them and parses back to the same statement.
  std::string sealed = RenderWithSecrets(Statement(c));
  EXPECT_THAT(sealed, HasSubstr("'pw'"));
  EXPECT_EQ(ParseAs<CreateSchedule>(sealed), c);
}

TEST(ScheduleParserTest, CreateMinimalAndAlways) {
  auto c = ParseAs<CreateSchedule>(
      "create schedule for backup into 'nodelocal://1/b' recurring '@hourly' full backup always");
  EXPECT_FALSE(c.label.has_value());
  EXPECT_EQ(c.backup.targets.kind, Targets::Kind::kCluster);
  EXPECT_TRUE(c.full_backup_always);
  EXPECT_TRUE(c.schedule_options.empty());
  auto quoted = ParseAs<CreateSchedule>(
      "CREATE SCHEDULE 'my label' FOR BACKUP TABLE t INTO 'x' RECURRING '@daily';");
  EXPECT_EQ(quoted.label, "my label");
  EXPECT_FALSE(quoted.full_backup.has_value());
}

TEST(ScheduleParserTest, CreateErrors) {
  struct Case {
    const char* text;
    const char* hint;
  } cases[] = {
      {"CREATE SCHEDULE s FOR BACKUP INTO 'x'", "RECURRING"},
      {"CREATE SCHEDULE s FOR BACKUP INTO LATEST IN 'x' RECURRING '@daily'", "collection"},
      {"CREATE SCHEDULE s FOR BACKUP INTO 'x' AS OF SYSTEM TIME '-1s' RECURRING '@daily'",
       "AS OF SYSTEM TIME"},
      {"CREATE SCHEDULE s FOR RESTORE FROM LATEST IN 'x' RECURRING '@daily'", "BACKUP only"},
      {"CREATE SCHEDULE IF NOT EXISTS FOR BACKUP INTO 'x' RECURRING '@daily'", "label"},
      {"CREATE SCHEDULE s FOR BACKUP INTO 'x' RECURRING NEVER", "NEVER"},
      {"CREATE SCHEDULE s FOR BACKUP INTO 'x' RECURRING '@daily' WITH first_run = 'now'",
       "CREATE SCHEDULE"},
  };
  for (const Case& c : cases) {
    auto st = ParseStatement(c.text).status();
    EXPECT_THAT(st, StatusIs(StatusCode::kInvalidArgument)) << c.text;
    EXPECT_THAT(st.hint(), HasSubstr(c.hint)) << c.text;
  }
}

TEST(ScheduleParserTest, ShowPauseResumeDrop) {
  EXPECT_EQ(ParseAs<ShowSchedules>("SHOW SCHEDULES").filter, ShowSchedules::Filter::kAll);
  EXPECT_EQ(ParseAs<ShowSchedules>("show paused schedules for backup").filter,
            ShowSchedules::Filter::kPaused);
  EXPECT_EQ(ParseAs<ShowSchedules>("SHOW RUNNING SCHEDULES").filter,
            ShowSchedules::Filter::kRunning);
  EXPECT_EQ(ParseAs<ShowSchedules>("SHOW SCHEDULE 42").id, 42);
  auto pause = ParseAs<ControlSchedules>("PAUSE SCHEDULE 7");
  EXPECT_EQ(pause.action, ControlSchedules::Action::kPause);
  EXPECT_EQ(pause.ids, std::vector<int64_t>{7});
  auto drop = ParseAs<ControlSchedules>("DROP SCHEDULES 7, 8");
  EXPECT_EQ(drop.action, ControlSchedules::Action::kDrop);
  EXPECT_EQ(drop.ids, (std::vector<int64_t>{7, 8}));
  EXPECT_EQ(ParseAs<ControlSchedules>("resume schedules 9").action,
            ControlSchedules::Action::kResume);
  EXPECT_EQ(ParseAs<ShowJobs>("SHOW JOBS FOR SCHEDULE 12").schedule_id, 12);
  auto jobs = ParseAs<ControlJobs>("CANCEL JOBS FOR SCHEDULE 12");
  EXPECT_EQ(jobs.action, ControlJob::Action::kCancel);
  EXPECT_EQ(jobs.schedule_id, 12);
  auto listed_jobs =
      ParseAs<ControlJobs>("PAUSE JOBS FOR SCHEDULES SELECT id FROM [SHOW SCHEDULES]");
  EXPECT_TRUE(listed_jobs.for_schedules);
  EXPECT_EQ(listed_jobs.query, "SELECT id FROM [SHOW SCHEDULES]");
  auto listed = ParseAs<ControlSchedules>(
      "PAUSE SCHEDULES WITH x AS (SHOW SCHEDULES) SELECT id FROM x WHERE label = 'a';");
  EXPECT_TRUE(listed.ids.empty());
  EXPECT_EQ(listed.query, "WITH x AS (SHOW SCHEDULES) SELECT id FROM x WHERE label = 'a'");
  EXPECT_EQ(ParseAs<ControlSchedules>("DROP SCHEDULES (SELECT 1)").query, "SELECT 1");
  EXPECT_EQ(
      ParseAs<ShowJobs>("SHOW JOBS FOR SCHEDULES SELECT id FROM [SHOW SCHEDULES]").schedules_query,
      "SELECT id FROM [SHOW SCHEDULES]");
  EXPECT_FALSE(ParseAs<ShowJobs>("SHOW JOBS").schedule_id.has_value());
  EXPECT_THAT(ParseStatement("PAUSE SCHEDULE 7, 8").status(),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseStatement("DROP SCHEDULE x").status(), StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseStatement("SHOW SCHEDULE").status(), StatusIs(StatusCode::kInvalidArgument));
  // Not schedule statements: left to SQLite.
  EXPECT_TRUE(std::holds_alternative<Passthrough>(*ParseStatement("DROP TABLE schedules")));
  EXPECT_TRUE(std::holds_alternative<Passthrough>(*ParseStatement("CREATE TABLE schedule(x)")));
}

TEST(ScheduleParserTest, Alter) {
  auto a = ParseAs<AlterBackupSchedule>(
      "ALTER BACKUP SCHEDULE 5 SET LABEL nightly, SET INTO 'nodelocal://1/c', SET WITH "
      "encryption_passphrase = 'pw2', SET RECURRING '@hourly', SET FULL BACKUP '@daily', SET "
      "FULL BACKUP ALWAYS, SET SCHEDULE OPTION on_previous_running = 'start', EXECUTE "
      "IMMEDIATELY, EXECUTE FULL IMMEDIATELY");
  using K = AlterScheduleCommand::Kind;
  EXPECT_EQ(a.id, 5);
  ASSERT_EQ(a.commands.size(), 9u);
  EXPECT_EQ(a.commands[0].kind, K::kSetLabel);
  EXPECT_EQ(a.commands[1].value, "nodelocal://1/c");
  EXPECT_EQ(a.commands[2].kind, K::kSetWith);
  EXPECT_EQ(a.commands[2].options[0].name, "encryption_passphrase");
  EXPECT_EQ(a.commands[3].value, "@hourly");
  EXPECT_EQ(a.commands[4].value, "@daily");
  EXPECT_TRUE(a.commands[5].always);
  EXPECT_EQ(a.commands[6].kind, K::kSetScheduleOption);
  EXPECT_EQ(a.commands[7].kind, K::kExecuteImmediately);
  EXPECT_EQ(a.commands[8].kind, K::kExecuteFullImmediately);
  std::string shown = DescribeStatement(Statement(a));
  EXPECT_THAT(shown, Not(HasSubstr("pw2")));
  EXPECT_EQ(ParseAs<AlterBackupSchedule>(RenderWithSecrets(Statement(a))), a);
  // ALTER BACKUP without SCHEDULE is still ALTER BACKUP.
  EXPECT_TRUE(std::holds_alternative<AlterBackup>(*ParseStatement(
      "ALTER BACKUP LATEST IN 'x' ADD NEW_KMS = 'aws:///k' WITH OLD_KMS = 'aws:///o'")));
  EXPECT_THAT(ParseStatement("ALTER BACKUP SCHEDULE 5").status(),
              StatusIs(StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseStatement("ALTER BACKUP SCHEDULE 5 SET COLOR 'red'").status(),
              StatusIs(StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace cofre::sql
