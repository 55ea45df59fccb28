#include "sql/schedule_parser.h"

#include "sql/clauses.h"

namespace cofre::sql {

namespace {

constexpr std::string_view kCreateSynopsis =
    "CREATE SCHEDULE [IF NOT EXISTS] [label] FOR BACKUP [DATABASE name [, ...] | TABLE name "
    "[, ...]] INTO 'uri' [WITH option [= value] [, ...]] RECURRING 'crontab' [FULL BACKUP "
    "'crontab' | FULL BACKUP ALWAYS] [WITH SCHEDULE OPTIONS option [= value] [, ...]]";
constexpr std::string_view kShowSynopsis =
    "SHOW [RUNNING | PAUSED] SCHEDULES [FOR BACKUP] | SHOW SCHEDULE schedule_id";
constexpr std::string_view kControlSynopsis =
    "PAUSE | RESUME | DROP SCHEDULE schedule_id | SCHEDULES schedule_id [, ...]";
constexpr std::string_view kAlterSynopsis =
    "ALTER BACKUP SCHEDULE schedule_id SET LABEL label | SET INTO 'uri' | SET WITH option = "
    "value | SET RECURRING 'crontab' | SET FULL BACKUP 'crontab' | SET FULL BACKUP ALWAYS | SET "
    "SCHEDULE OPTION option = value | EXECUTE IMMEDIATELY | EXECUTE FULL IMMEDIATELY [, ...]";

StatusOr<int64_t> ParseScheduleId(TokenCursor* cur, const std::string& statement) {
  return ParseId(cur, statement, "schedule", "SHOW SCHEDULES");
}

bool IsSchedules(const Token& t) { return t.IsKeyword("schedule") || t.IsKeyword("schedules"); }

// A label: a name or a string.
StatusOr<std::string> ParseLabel(TokenCursor* cur) {
  if (cur->Peek().kind == TokenKind::kString) return ParseString(cur);
  return ParseName(cur);
}

StatusOr<Statement> ParseCreate(TokenCursor* cur) {
  cur->set_synopsis(std::string(kCreateSynopsis));
  RETURN_IF_ERROR(cur->ExpectKeyword("create"));
  RETURN_IF_ERROR(cur->ExpectKeyword("schedule"));
  CreateSchedule create;
  if (cur->Peek().IsKeyword("if") && cur->Peek(1).IsKeyword("not")) {
    cur->Next();
    cur->Next();
    RETURN_IF_ERROR(cur->ExpectKeyword("exists"));
    create.if_not_exists = true;
  }
  if (!cur->Peek().IsKeyword("for")) {
    ASSIGN_OR_RETURN(create.label, ParseLabel(cur));
  } else if (create.if_not_exists) {
    return cur->Error("IF NOT EXISTS needs a schedule label to compare");
  }
  RETURN_IF_ERROR(cur->ExpectKeyword("for"));
  RETURN_IF_ERROR(cur->ExpectKeyword("backup", "cofre schedules BACKUP only: ... FOR BACKUP"));
  Backup& backup = create.backup;
  ASSIGN_OR_RETURN(backup.targets, ParseTargets(cur, {"into"}));
  RETURN_IF_ERROR(cur->ExpectKeyword("into"));
  if (cur->Peek().IsKeyword("latest")) {
    return cur->Error(
        "a schedule takes the collection: ... INTO 'uri' (its incremental schedule appends to "
        "the latest full backup itself)");
  }
  ASSIGN_OR_RETURN(backup.destinations, ParseStringOrList(cur));
  if (cur->Peek().IsKeyword("as")) {
    return cur->Error(
        "AS OF SYSTEM TIME cannot be set on a schedule: each run backs up the data "
        "as of when it starts");
  }
  ASSIGN_OR_RETURN(backup.options, ParseOptWith(cur));
  RETURN_IF_ERROR(cur->ExpectKeyword("recurring", "say when: RECURRING '@daily'"));
  if (cur->Peek().IsKeyword("never")) {
    return cur->Error("RECURRING NEVER is not supported: take a one-off backup with BACKUP");
  }
  ASSIGN_OR_RETURN(create.recurring, ParseString(cur));
  if (cur->AcceptKeyword("full")) {
    RETURN_IF_ERROR(cur->ExpectKeyword("backup"));
    if (cur->AcceptKeyword("always")) {
      create.full_backup_always = true;
    } else {
      ASSIGN_OR_RETURN(create.full_backup, ParseString(cur));
    }
  }
  if (cur->AcceptKeyword("with")) {
    RETURN_IF_ERROR(cur->ExpectKeyword("schedule"));
    RETURN_IF_ERROR(cur->ExpectKeyword("options"));
    do {
      ASSIGN_OR_RETURN(Option o, ParseOption(cur));
      create.schedule_options.push_back(std::move(o));
    } while (cur->AcceptPunct(','));
  }
  RETURN_IF_ERROR(cur->ExpectEnd());
  return create;
}

StatusOr<Statement> ParseShow(TokenCursor* cur) {
  cur->set_synopsis(std::string(kShowSynopsis));
  RETURN_IF_ERROR(cur->ExpectKeyword("show"));
  ShowSchedules show;
  if (cur->AcceptKeyword("schedule")) {
    ASSIGN_OR_RETURN(show.id, ParseScheduleId(cur, "SHOW SCHEDULE"));
    RETURN_IF_ERROR(cur->ExpectEnd());
    return show;
  }
  if (cur->AcceptKeyword("running")) {
    show.filter = ShowSchedules::Filter::kRunning;
  } else if (cur->AcceptKeyword("paused")) {
    show.filter = ShowSchedules::Filter::kPaused;
  }
  RETURN_IF_ERROR(cur->ExpectKeyword("schedules"));
  if (cur->AcceptKeyword("for")) RETURN_IF_ERROR(cur->ExpectKeyword("backup"));
  RETURN_IF_ERROR(cur->ExpectEnd());
  return show;
}

StatusOr<Statement> ParseControl(TokenCursor* cur) {
  cur->set_synopsis(std::string(kControlSynopsis));
  ControlSchedules control;
  if (cur->AcceptKeyword("pause")) {
    control.action = ControlSchedules::Action::kPause;
  } else if (cur->AcceptKeyword("resume")) {
    control.action = ControlSchedules::Action::kResume;
  } else {
    RETURN_IF_ERROR(cur->ExpectKeyword("drop"));
    control.action = ControlSchedules::Action::kDrop;
  }
  const bool plural = cur->Peek().IsKeyword("schedules");
  const std::string verb = std::string(StatementTag(Statement(control)));
  cur->Next();
  if (plural && cur->Peek().kind != TokenKind::kNumber) {
    if (cur->AtEnd()) return cur->Error("name the schedules: IDs, or a query that lists them");
    control.query = ParseRestAsQuery(cur);
    return control;
  }
  do {
    ASSIGN_OR_RETURN(int64_t id, ParseScheduleId(cur, verb));
    control.ids.push_back(id);
  } while (plural && cur->AcceptPunct(','));
  RETURN_IF_ERROR(cur->ExpectEnd());
  return control;
}

StatusOr<Statement> ParseAlter(TokenCursor* cur) {
  cur->set_synopsis(std::string(kAlterSynopsis));
  RETURN_IF_ERROR(cur->ExpectKeyword("alter"));
  RETURN_IF_ERROR(cur->ExpectKeyword("backup"));
  RETURN_IF_ERROR(cur->ExpectKeyword("schedule"));
  AlterBackupSchedule alter;
  ASSIGN_OR_RETURN(alter.id, ParseScheduleId(cur, "ALTER BACKUP SCHEDULE"));
  using K = AlterScheduleCommand::Kind;
  do {
    AlterScheduleCommand c;
    if (cur->AcceptKeyword("execute")) {
      c.kind = cur->AcceptKeyword("full") ? K::kExecuteFullImmediately : K::kExecuteImmediately;
      RETURN_IF_ERROR(cur->ExpectKeyword("immediately"));
    } else {
      RETURN_IF_ERROR(cur->ExpectKeyword("set"));
      if (cur->AcceptKeyword("label")) {
        c.kind = K::kSetLabel;
        ASSIGN_OR_RETURN(c.value, ParseLabel(cur));
      } else if (cur->AcceptKeyword("into")) {
        c.kind = K::kSetInto;
        ASSIGN_OR_RETURN(c.value, ParseString(cur));
      } else if (cur->AcceptKeyword("with")) {
        c.kind = K::kSetWith;
        ASSIGN_OR_RETURN(Option o, ParseOption(cur));
        c.options.push_back(std::move(o));
      } else if (cur->AcceptKeyword("recurring")) {
        c.kind = K::kSetRecurring;
        ASSIGN_OR_RETURN(c.value, ParseString(cur));
      } else if (cur->AcceptKeyword("full")) {
        RETURN_IF_ERROR(cur->ExpectKeyword("backup"));
        c.kind = K::kSetFullBackup;
        if (cur->AcceptKeyword("always")) {
          c.always = true;
        } else {
          ASSIGN_OR_RETURN(c.value, ParseString(cur));
        }
      } else {
        RETURN_IF_ERROR(cur->ExpectKeyword("schedule"));
        RETURN_IF_ERROR(cur->ExpectKeyword("option"));
        c.kind = K::kSetScheduleOption;
        ASSIGN_OR_RETURN(Option o, ParseOption(cur));
        c.options.push_back(std::move(o));
      }
    }
    alter.commands.push_back(std::move(c));
  } while (cur->AcceptPunct(','));
  RETURN_IF_ERROR(cur->ExpectEnd());
  return alter;
}

}  // namespace

bool IsScheduleStatement(const Token& first, const Token& second, const Token& third) {
  if (first.IsKeyword("create")) return second.IsKeyword("schedule");
  if (first.IsKeyword("show")) {
    return IsSchedules(second) || ((second.IsKeyword("running") || second.IsKeyword("paused")) &&
                                   third.IsKeyword("schedules"));
  }
  if (first.IsKeyword("pause") || first.IsKeyword("resume") || first.IsKeyword("drop")) {
    return IsSchedules(second);
  }
  if (first.IsKeyword("alter")) return second.IsKeyword("backup") && third.IsKeyword("schedule");
  return false;
}

StatusOr<Statement> ParseScheduleStatement(TokenCursor* cur) {
  if (cur->Peek().IsKeyword("create")) return ParseCreate(cur);
  if (cur->Peek().IsKeyword("show")) return ParseShow(cur);
  if (cur->Peek().IsKeyword("alter")) return ParseAlter(cur);
  return ParseControl(cur);
}

}  // namespace cofre::sql
