#include "sql/parser.h"

#include <charconv>
#include <string>
#include <utility>
#include <vector>

#include "sql/access_parser.h"
#include "sql/clauses.h"
#include "sql/external_connection_parser.h"
#include "sql/lexer.h"
#include "sql/schedule_parser.h"
#include "sql/show_source.h"
#include "sql/token_cursor.h"
#include "sql/unsupported.h"

namespace cofre::sql {
namespace {

constexpr std::string_view kBackupSynopsis =
    "BACKUP [DATABASE name [, ...] | TABLE name [, ...]] INTO [LATEST IN | "
    "'subdir' IN] "
    "'uri' | ('uri', ...) [AS OF SYSTEM TIME expr] [WITH option [= value] [, "
    "...]]";
constexpr std::string_view kRestoreSynopsis =
    "RESTORE [DATABASE name [, ...] | TABLE name [, ...]] FROM LATEST | "
    "'subdir' IN "
    "'uri' | ('uri', ...) [AS OF SYSTEM TIME expr] [WITH option [= value] [, "
    "...]]";
constexpr std::string_view kShowBackupSynopsis =
    "SHOW BACKUP [SCHEMAS | FILES] FROM LATEST | 'subdir' IN 'uri' [WITH "
    "option [, ...]]";
constexpr std::string_view kShowBackupsSynopsis =
    "SHOW BACKUPS IN 'uri' [NEWER THAN 'time'] [OLDER THAN 'time']";
constexpr std::string_view kAlterBackupSynopsis =
    "ALTER BACKUP LATEST | 'subdir' IN 'uri' ADD NEW_KMS = 'kms-uri' WITH "
    "OLD_KMS = 'kms-uri' "
    "| DROP KMS = 'kms-uri' WITH OLD_KMS = 'kms-uri'";
constexpr std::string_view kCreateDatabaseSynopsis =
    "CREATE DATABASE [IF NOT EXISTS] name [FROM FILE '/path/to/file.db' [WITH journal_mode = "
    "'wal' | 'delete' | 'truncate' | 'persist']]";
constexpr std::string_view kDropDatabaseSynopsis =
    "DROP DATABASE [IF EXISTS] name [CASCADE | RESTRICT]";
constexpr std::string_view kShowTablesSynopsis = "SHOW TABLES [FROM database]";
constexpr std::string_view kShowJobSynopsis = "SHOW JOB [WHEN COMPLETE] job_id";
constexpr std::string_view kControlJobSynopsis =
    "PAUSE JOB job_id | RESUME JOB job_id | "
    "CANCEL JOB job_id";
constexpr std::string_view kUseSynopsis = "USE database | SET database = database";

// The statements cofre parses itself, recognised by their first keywords.
enum class Kind {
  kPassthrough,
  kBackup,
  kRestore,
  kShow,
  kAlterBackup,
  kCreateDatabase,
  kDropDatabase,
  kUse,
  kSetDatabase,
  kAccess,  // users, roles, privileges (sql/access_parser.h)
  kControlJob,
  kControlJobs,         // PAUSE/RESUME/CANCEL JOBS (query)
  kExternalConnection,  // sql/external_connection_parser.h
  kMaybeShowQuery,      // SELECT / WITH that may read [SHOW ...] or (SHOW ...)
  kSchedule,            // sql/schedule_parser.h
};

// Classifies `text` by its first two tokens. Lexical errors there mean SQLite's
// text.
Kind Classify(std::string_view text) {
  Lexer lexer(text);
  StatusOr<Token> first = lexer.Next();
  if (!first.ok() || first->kind != TokenKind::kIdent) return Kind::kPassthrough;
  if (first->IsKeyword("backup")) return Kind::kBackup;
  if (first->IsKeyword("restore")) return Kind::kRestore;
  if (first->IsKeyword("use")) return Kind::kUse;
  if (first->IsKeyword("with") || first->IsKeyword("select")) {
    // Only a query that mentions SHOW is tokenized further (SELECT is the hot path).
    for (size_t i = 0; i + 4 <= text.size(); ++i) {
      if ((text[i] | 0x20) == 's' && (text[i + 1] | 0x20) == 'h' && (text[i + 2] | 0x20) == 'o' &&
          (text[i + 3] | 0x20) == 'w') {
        return Kind::kMaybeShowQuery;
      }
    }
    return Kind::kPassthrough;
  }
  StatusOr<Token> second = lexer.Next();
  if (!second.ok()) return Kind::kPassthrough;
  {
    Lexer rest = lexer;
    StatusOr<Token> third = rest.Next();
    if (IsScheduleStatement(*first, *second, third.ok() ? *third : Token{})) return Kind::kSchedule;
  }
  if (IsAccessStatement(*first, *second)) return Kind::kAccess;
  StatusOr<Token> third = lexer.Next();
  if (!third.ok()) third = Token{};
  if (IsExternalConnectionStatement(*first, *second, *third)) return Kind::kExternalConnection;
  if ((first->IsKeyword("pause") || first->IsKeyword("resume") || first->IsKeyword("cancel")) &&
      second->IsKeyword("job")) {
    return Kind::kControlJob;
  }
  if ((first->IsKeyword("pause") || first->IsKeyword("resume") || first->IsKeyword("cancel")) &&
      second->IsKeyword("jobs")) {
    return Kind::kControlJobs;
  }
  if (first->IsKeyword("show")) {
    if (second->IsKeyword("automatic") && third->IsKeyword("jobs")) return Kind::kShow;
    for (std::string_view kw : {"backup", "backups", "jobs", "job", "databases", "tables"}) {
      if (second->IsKeyword(kw)) return Kind::kShow;
    }
  } else if (first->IsKeyword("alter")) {
    if (second->IsKeyword("backup") && !third->IsKeyword("schedule")) return Kind::kAlterBackup;
  } else if (first->IsKeyword("create")) {
    if (second->IsKeyword("database")) return Kind::kCreateDatabase;
  } else if (first->IsKeyword("drop")) {
    if (second->IsKeyword("database")) return Kind::kDropDatabase;
  } else if (first->IsKeyword("set")) {
    if (second->IsKeyword("database")) return Kind::kSetDatabase;
  }
  return Kind::kPassthrough;
}

StatusOr<Statement> ParseBackup(TokenCursor* cur) {
  cur->set_synopsis(std::string(kBackupSynopsis));
  RETURN_IF_ERROR(cur->ExpectKeyword("backup"));
  Backup backup;
  ASSIGN_OR_RETURN(backup.targets, ParseTargets(cur, {"into", "to"}));
  if (cur->Peek().IsKeyword("to")) {
    return cur->Error(
        "BACKUP ... TO was removed from CockroachDB; use BACKUP ... INTO 'uri' "
        "for a full "
        "backup and BACKUP ... INTO LATEST IN 'uri' for an incremental");
  }
  RETURN_IF_ERROR(cur->ExpectKeyword("into"));
  if (cur->Peek().IsKeyword("latest") ||
      (cur->Peek().kind == TokenKind::kString && cur->Peek(1).IsKeyword("in"))) {
    ASSIGN_OR_RETURN(backup.incremental_on, ParseBackupRef(cur));
    RETURN_IF_ERROR(cur->ExpectKeyword("in"));
  }
  ASSIGN_OR_RETURN(backup.destinations, ParseStringOrList(cur));
  ASSIGN_OR_RETURN(backup.as_of, ParseOptAsOf(cur));
  ASSIGN_OR_RETURN(backup.options, ParseOptWith(cur));
  RETURN_IF_ERROR(cur->ExpectEnd());
  return backup;
}

StatusOr<Statement> ParseRestore(TokenCursor* cur) {
  cur->set_synopsis(std::string(kRestoreSynopsis));
  RETURN_IF_ERROR(cur->ExpectKeyword("restore"));
  Restore restore;
  ASSIGN_OR_RETURN(restore.targets, ParseTargets(cur, {"from"}));
  RETURN_IF_ERROR(cur->ExpectKeyword("from"));
  const std::string removed_syntax_hint =
      "RESTORE FROM 'uri' was removed from CockroachDB; use RESTORE FROM "
      "LATEST IN "
      "'collection-uri' or RESTORE FROM 'subdir' IN 'collection-uri'";
  if (cur->Peek().IsPunct('(')) return cur->Error(removed_syntax_hint);
  ASSIGN_OR_RETURN(restore.from, ParseBackupRef(cur));
  RETURN_IF_ERROR(cur->ExpectKeyword("in", removed_syntax_hint));
  ASSIGN_OR_RETURN(restore.in, ParseStringOrList(cur));
  ASSIGN_OR_RETURN(restore.as_of, ParseOptAsOf(cur));
  ASSIGN_OR_RETURN(restore.options, ParseOptWith(cur));
  RETURN_IF_ERROR(cur->ExpectEnd());
  return restore;
}

StatusOr<Statement> ParseShowBackup(TokenCursor* cur) {
  cur->set_synopsis(std::string(kShowBackupSynopsis));
  ShowBackup show;
  // SCHEMAS / FILES are keywords here unless a subdirectory follows (SHOW
  // BACKUP 'x' IN ...).
  if (cur->AcceptKeyword("schemas")) {
    show.kind = ShowBackup::Kind::kSchemas;
  } else if (cur->AcceptKeyword("files")) {
    show.kind = ShowBackup::Kind::kFiles;
  }
  const std::string in_hint =
      "SHOW BACKUP needs the collection and the backup: SHOW BACKUP FROM "
      "LATEST IN 'uri' or "
      "SHOW BACKUP FROM 'subdir' IN 'uri' (SHOW BACKUPS IN 'uri' lists the "
      "subdirectories)";
  cur->AcceptKeyword("from");
  ASSIGN_OR_RETURN(show.from, ParseBackupRef(cur));
  RETURN_IF_ERROR(cur->ExpectKeyword("in", in_hint));
  ASSIGN_OR_RETURN(show.in, ParseStringOrList(cur));
  ASSIGN_OR_RETURN(show.options, ParseOptWith(cur));
  RETURN_IF_ERROR(cur->ExpectEnd());
  return show;
}

// A job ID (what SHOW JOBS lists) and the end of the statement.
StatusOr<int64_t> ParseJobId(TokenCursor* cur, const std::string& statement) {
  ASSIGN_OR_RETURN(int64_t id, ParseId(cur, statement, "job", "SHOW JOBS"));
  RETURN_IF_ERROR(cur->ExpectEnd());
  return id;
}

StatusOr<Statement> ParseShowJob(TokenCursor* cur) {
  cur->set_synopsis(std::string(kShowJobSynopsis));
  ShowJob show;
  if (cur->AcceptKeyword("when")) {
    RETURN_IF_ERROR(cur->ExpectKeyword("complete"));
    show.when_complete = true;
  }
  ASSIGN_OR_RETURN(show.job_id, ParseJobId(cur, "SHOW JOB"));
  return show;
}

StatusOr<Statement> ParseControlJob(TokenCursor* cur) {
  cur->set_synopsis(std::string(kControlJobSynopsis));
  ControlJob control;
  std::string verb;
  if (cur->AcceptKeyword("pause")) {
    control.action = ControlJob::Action::kPause;
    verb = "PAUSE";
  } else if (cur->AcceptKeyword("resume")) {
    control.action = ControlJob::Action::kResume;
    verb = "RESUME";
  } else {
    RETURN_IF_ERROR(cur->ExpectKeyword("cancel"));
    control.action = ControlJob::Action::kCancel;
    verb = "CANCEL";
  }
  RETURN_IF_ERROR(cur->ExpectKeyword("job"));
  ASSIGN_OR_RETURN(control.job_id, ParseJobId(cur, verb + " JOB"));
  return control;
}

// PAUSE | RESUME | CANCEL JOBS (query) or ... JOBS query.
StatusOr<Statement> ParseControlJobs(TokenCursor* cur) {
  cur->set_synopsis("PAUSE | RESUME | CANCEL JOBS (SELECT job_id FROM [SHOW JOBS] WHERE ...)");
  ControlJobs control;
  if (cur->AcceptKeyword("pause")) {
    control.action = ControlJob::Action::kPause;
  } else if (cur->AcceptKeyword("resume")) {
    control.action = ControlJob::Action::kResume;
  } else {
    RETURN_IF_ERROR(cur->ExpectKeyword("cancel"));
    control.action = ControlJob::Action::kCancel;
  }
  RETURN_IF_ERROR(cur->ExpectKeyword("jobs"));
  if (cur->AcceptKeyword("for")) {
    if (cur->AcceptKeyword("schedule")) {
      const std::string tag(StatementTag(Statement(control)));
      ASSIGN_OR_RETURN(control.schedule_id,
                       ParseId(cur, tag + " FOR SCHEDULE", "schedule", "SHOW SCHEDULES"));
      RETURN_IF_ERROR(cur->ExpectEnd());
      return control;
    }
    RETURN_IF_ERROR(cur->ExpectKeyword("schedules"));
    control.for_schedules = true;
  }
  if (cur->AtEnd()) return cur->Error("name the jobs with a query that lists their IDs");
  control.query = ParseRestAsQuery(cur);
  return control;
}

StatusOr<Statement> ParseShow(TokenCursor* cur) {
  RETURN_IF_ERROR(cur->ExpectKeyword("show"));
  if (cur->AcceptKeyword("backup")) return ParseShowBackup(cur);
  if (cur->AcceptKeyword("job")) return ParseShowJob(cur);
  if (cur->AcceptKeyword("backups")) {
    cur->set_synopsis(std::string(kShowBackupsSynopsis));
    ShowBackups show;
    RETURN_IF_ERROR(cur->ExpectKeyword("in"));
    ASSIGN_OR_RETURN(show.in, ParseStringOrList(cur));
    // NEWER THAN / OLDER THAN, in either order.
    while (cur->Peek().IsKeyword("newer") || cur->Peek().IsKeyword("older")) {
      const bool newer = cur->Next().IsKeyword("newer");
      RETURN_IF_ERROR(cur->ExpectKeyword("than"));
      std::optional<std::string>& bound = newer ? show.newer_than : show.older_than;
      if (bound) return cur->Error(std::string(newer ? "NEWER" : "OLDER") + " THAN is given twice");
      ASSIGN_OR_RETURN(bound, ParseString(cur));
    }
    if (cur->AcceptKeyword("with")) {
      RETURN_IF_ERROR(cur->ExpectKeyword("revision"));
      RETURN_IF_ERROR(cur->ExpectKeyword("start"));
      RETURN_IF_ERROR(cur->ExpectKeyword("time"));
      show.revision_start_time = true;
    }
    RETURN_IF_ERROR(cur->ExpectEnd());
    return show;
  }
  if (cur->AcceptKeyword("jobs")) {
    ShowJobs show;
    if (cur->AcceptKeyword("for")) {
      if (cur->AcceptKeyword("schedules")) {
        if (cur->AtEnd()) return cur->Error("name the schedules with a query that lists their IDs");
        show.schedules_query = ParseRestAsQuery(cur);
        return show;
      }
      RETURN_IF_ERROR(cur->ExpectKeyword("schedule"));
      ASSIGN_OR_RETURN(show.schedule_id,
                       ParseId(cur, "SHOW JOBS FOR SCHEDULE", "schedule", "SHOW SCHEDULES"));
    }
    RETURN_IF_ERROR(cur->ExpectEnd());
    return show;
  }
  if (cur->AcceptKeyword("automatic")) {
    RETURN_IF_ERROR(cur->ExpectKeyword("jobs"));
    RETURN_IF_ERROR(cur->ExpectEnd());
    return ShowJobs{.automatic = true};
  }
  if (cur->AcceptKeyword("databases")) {
    RETURN_IF_ERROR(cur->ExpectEnd());
    return ShowDatabases{};
  }
  cur->set_synopsis(std::string(kShowTablesSynopsis));
  RETURN_IF_ERROR(cur->ExpectKeyword("tables"));
  ShowTables show;
  if (cur->AcceptKeyword("from")) {
    ASSIGN_OR_RETURN(show.database, ParseName(cur));
    if (cur->AcceptPunct('.')) {
      const Token& schema = cur->Peek();
      ASSIGN_OR_RETURN(std::string name, ParseName(cur));
      bool is_public = schema.kind == TokenKind::kQuotedIdent ? name == "public"
                                                              : EqualsIgnoreCase(name, "public");
      if (!is_public) return cur->ErrorAt(schema, "a cofre database has a single schema, public");
    }
  }
  RETURN_IF_ERROR(cur->ExpectEnd());
  return show;
}

StatusOr<std::vector<std::string>> ParseKmsAssignment(TokenCursor* cur, std::string_view keyword) {
  RETURN_IF_ERROR(cur->ExpectKeyword(keyword));
  RETURN_IF_ERROR(cur->ExpectPunct('='));
  return ParseStringOrList(cur);
}

StatusOr<Statement> ParseAlterBackup(TokenCursor* cur) {
  cur->set_synopsis(std::string(kAlterBackupSynopsis));
  RETURN_IF_ERROR(cur->ExpectKeyword("alter"));
  RETURN_IF_ERROR(cur->ExpectKeyword("backup"));
  AlterBackup alter;
  ASSIGN_OR_RETURN(alter.backup, ParseBackupRef(cur));
  RETURN_IF_ERROR(cur->ExpectKeyword("in",
                                     "name the backup and its collection: ALTER BACKUP "
                                     "LATEST IN 'collection-uri' ..."));
  ASSIGN_OR_RETURN(alter.in, ParseStringOrList(cur));
  while (true) {
    AlterBackupCommand cmd;
    if (cur->AcceptKeyword("add")) {
      cmd.kind = AlterBackupCommand::Kind::kAddKms;
      ASSIGN_OR_RETURN(cmd.kms, ParseKmsAssignment(cur, "new_kms"));
    } else if (cur->AcceptKeyword("drop")) {
      cmd.kind = AlterBackupCommand::Kind::kDropKms;
      ASSIGN_OR_RETURN(cmd.kms, ParseKmsAssignment(cur, "kms"));
    } else {
      break;
    }
    RETURN_IF_ERROR(cur->ExpectKeyword("with",
                                       "say which KMS unlocks the backup "
                                       "today: ... WITH OLD_KMS = 'kms-uri'"));
    ASSIGN_OR_RETURN(cmd.old_kms, ParseKmsAssignment(cur, "old_kms"));
    alter.commands.push_back(std::move(cmd));
  }
  if (alter.commands.empty()) return cur->Error();
  RETURN_IF_ERROR(cur->ExpectEnd());
  return alter;
}

StatusOr<Statement> ParseCreateDatabase(TokenCursor* cur) {
  cur->set_synopsis(std::string(kCreateDatabaseSynopsis));
  RETURN_IF_ERROR(cur->ExpectKeyword("create"));
  RETURN_IF_ERROR(cur->ExpectKeyword("database"));
  CreateDatabase create;
  if (cur->Peek().IsKeyword("if") && cur->Peek(1).IsKeyword("not")) {
    cur->Next();
    cur->Next();
    RETURN_IF_ERROR(cur->ExpectKeyword("exists"));
    create.if_not_exists = true;
  }
  ASSIGN_OR_RETURN(create.name, ParseName(cur));
  if (cur->AcceptKeyword("from")) {
    RETURN_IF_ERROR(cur->ExpectKeyword("file"));
    if (cur->Peek().kind == TokenKind::kString && cur->Peek().text.empty()) {
      return cur->Error("FROM FILE takes the path of an SQLite database file");
    }
    ASSIGN_OR_RETURN(create.from_file, ParseString(cur));
    ASSIGN_OR_RETURN(std::vector<Option> options, ParseOptWith(cur));
    for (const Option& o : options) {
      if (o.name != "journal_mode" || create.journal_mode ||
          (o.kind != Option::Kind::kString && o.kind != Option::Kind::kWord)) {
        return cur->Error("CREATE DATABASE ... FROM FILE takes one option: journal_mode = 'wal'");
      }
      std::string mode = o.values[0];
      for (char& c : mode) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (mode != "wal" && mode != "delete" && mode != "truncate" && mode != "persist") {
        return cur->Error("journal_mode must be 'wal', 'delete', 'truncate' or 'persist'");
      }
      create.journal_mode = mode;
    }
  }
  RETURN_IF_ERROR(cur->ExpectEnd());
  return create;
}

StatusOr<Statement> ParseDropDatabase(TokenCursor* cur) {
  cur->set_synopsis(std::string(kDropDatabaseSynopsis));
  RETURN_IF_ERROR(cur->ExpectKeyword("drop"));
  RETURN_IF_ERROR(cur->ExpectKeyword("database"));
  DropDatabase drop;
  if (cur->Peek().IsKeyword("if") && cur->Peek(1).IsKeyword("exists")) {
    cur->Next();
    cur->Next();
    drop.if_exists = true;
  }
  ASSIGN_OR_RETURN(drop.name, ParseName(cur));
  if (cur->AcceptKeyword("cascade")) {
    drop.cascade = true;
  } else {
    cur->AcceptKeyword("restrict");
  }
  RETURN_IF_ERROR(cur->ExpectEnd());
  return drop;
}

StatusOr<Statement> ParseUse(TokenCursor* cur) {
  cur->set_synopsis(std::string(kUseSynopsis));
  RETURN_IF_ERROR(cur->ExpectKeyword("use"));
  Use use;
  ASSIGN_OR_RETURN(use.database, ParseDatabaseName(cur, /*allow_string=*/true));
  RETURN_IF_ERROR(cur->ExpectEnd());
  return use;
}

StatusOr<Statement> ParseSetDatabase(TokenCursor* cur) {
  cur->set_synopsis(std::string(kUseSynopsis));
  RETURN_IF_ERROR(cur->ExpectKeyword("set"));
  RETURN_IF_ERROR(cur->ExpectKeyword("database"));
  if (!cur->AcceptPunct('=')) RETURN_IF_ERROR(cur->ExpectKeyword("to"));
  Use use;
  ASSIGN_OR_RETURN(use.database, ParseDatabaseName(cur, /*allow_string=*/true));
  RETURN_IF_ERROR(cur->ExpectEnd());
  return use;
}

}  // namespace

StatusOr<Statement> ParseStatement(std::string_view text) {
  Kind kind = Classify(text);
  if (kind == Kind::kPassthrough) {
    if (std::optional<Status> refusal = RefuseUnsupported(text)) return *refusal;
    return Passthrough{std::string(text)};
  }
  if (kind == Kind::kMaybeShowQuery) {
    StatusOr<std::vector<Token>> tokens = Tokenize(text);
    if (!tokens.ok()) return Passthrough{std::string(text)};  // SQLite reports the error
    if (std::optional<ShowQuery> query = FindShowSources(text, *tokens)) return *std::move(query);
    return Passthrough{std::string(text)};
  }
  ASSIGN_OR_RETURN(std::vector<Token> tokens, Tokenize(text));
  TokenCursor cur(text, tokens);
  switch (kind) {
    case Kind::kBackup:
      return ParseBackup(&cur);
    case Kind::kRestore:
      return ParseRestore(&cur);
    case Kind::kShow:
      return ParseShow(&cur);
    case Kind::kAlterBackup:
      return ParseAlterBackup(&cur);
    case Kind::kCreateDatabase:
      return ParseCreateDatabase(&cur);
    case Kind::kDropDatabase:
      return ParseDropDatabase(&cur);
    case Kind::kUse:
      return ParseUse(&cur);
    case Kind::kSetDatabase:
      return ParseSetDatabase(&cur);
    case Kind::kAccess:
      return ParseAccessStatement(&cur);
    case Kind::kControlJob:
      return ParseControlJob(&cur);
    case Kind::kControlJobs:
      return ParseControlJobs(&cur);
    case Kind::kExternalConnection:
      return ParseExternalConnectionStatement(&cur);
    case Kind::kSchedule:
      return ParseScheduleStatement(&cur);
    case Kind::kPassthrough:
    case Kind::kMaybeShowQuery:
      break;
  }
  return Passthrough{std::string(text)};
}

}  // namespace cofre::sql
