// The abstract syntax of the statements cofre executes itself.
//
// ParseStatement (sql/parser.h) turns one SQL statement into a `Statement`: one
// of the plain structs below, or `Passthrough` for everything cofre hands to
// SQLite unchanged. The structs hold what the user wrote, checked only for
// syntax: option names are not validated, duplicate options are kept, URIs are
// not parsed. The planner gives them meaning.
//
// Names (databases, tables) are kept as written: a bare identifier keeps its
// case, a "double quoted" one is unquoted with "" unescaped. Keywords are
// case-insensitive.
// Thread-safety: plain values.
#ifndef COFRE_SQL_STATEMENT_H_
#define COFRE_SQL_STATEMENT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sql/access_statements.h"
#include "util/wipe.h"

namespace cofre::sql {

// A statement cofre does not handle itself; `text` goes to SQLite unchanged.
struct Passthrough {
  std::string text;
  bool operator==(const Passthrough&) const = default;
};

// CREATE DATABASE [IF NOT EXISTS] name [FROM FILE '/path/x.db' [WITH journal_mode = 'wal']]
struct CreateDatabase {
  std::string name;
  bool if_not_exists = false;
  // Adopt an existing SQLite file as the database.
  std::optional<std::string> from_file;
  // Switch the adopted file to this journal mode (lower case); unset: leave it as it is.
  std::optional<std::string> journal_mode;
  bool operator==(const CreateDatabase&) const = default;
};

// DROP DATABASE [IF EXISTS] name [CASCADE | RESTRICT]; RESTRICT by default.
struct DropDatabase {
  std::string name;
  bool if_exists = false;
  bool cascade = false;
  bool operator==(const DropDatabase&) const = default;
};

// SHOW DATABASES
struct ShowDatabases {
  bool operator==(const ShowDatabases&) const = default;
};

// SHOW TABLES [FROM db[.public]]
struct ShowTables {
  std::optional<std::string> database;  // unset: the session's current database
  bool operator==(const ShowTables&) const = default;
};

// USE db | SET database = db | SET DATABASE TO db
// (db may also be a string literal).
struct Use {
  std::string database;
  bool operator==(const Use&) const = default;
};

// SHOW JOBS | SHOW AUTOMATIC JOBS | SHOW JOBS FOR SCHEDULE id | SHOW JOBS FOR SCHEDULES query
struct ShowJobs {
  // SHOW AUTOMATIC JOBS: the jobs the system started itself; cofre starts none.
  bool automatic = false;
  std::optional<int64_t> schedule_id;  // SHOW JOBS FOR SCHEDULE id: the jobs it started
  std::string schedules_query;         // SHOW JOBS FOR SCHEDULES query: of every schedule listed
  bool operator==(const ShowJobs&) const = default;
};

// SHOW JOB [WHEN COMPLETE] id
struct ShowJob {
  int64_t job_id = 0;
  bool when_complete = false;  // wait until the job succeeded, failed or was canceled
  bool operator==(const ShowJob&) const = default;
};

// PAUSE JOB id | RESUME JOB id | CANCEL JOB id
struct ControlJob {
  enum class Action { kPause, kResume, kCancel };
  Action action = Action::kPause;
  int64_t job_id = 0;
  bool operator==(const ControlJob&) const = default;
};

// PAUSE JOBS (query) | RESUME JOBS (query) | CANCEL JOBS (query): controls every job whose ID
// the query's first column lists (e.g. SELECT job_id FROM [SHOW JOBS] WHERE ...).
// ... JOBS FOR SCHEDULE id | ... JOBS FOR SCHEDULES query: the unfinished jobs of schedules.
struct ControlJobs {
  ControlJob::Action action = ControlJob::Action::kPause;
  std::string query;                   // without the parentheses
  bool for_schedules = false;          // `query` lists schedule IDs (FOR SCHEDULES)
  std::optional<int64_t> schedule_id;  // FOR SCHEDULE id
  bool operator==(const ControlJobs&) const = default;
};

// A SELECT or WITH ... SELECT reading SHOW statements as tables (sql/show_source.h):
//   WITH x AS (SHOW JOBS) SELECT ... FROM x | SELECT ... FROM [SHOW BACKUP ...]
struct ShowQuery {
  struct Source {
    size_t begin = 0;  // byte range of `(SHOW ...)` or `[SHOW ...]` in `text`
    size_t end = 0;
    std::string show;  // the SHOW statement inside
    bool operator==(const Source&) const = default;
  };
  std::string text;
  std::vector<Source> sources;  // in text order, at least one
  bool operator==(const ShowQuery&) const = default;
};

// CREATE EXTERNAL CONNECTION [IF NOT EXISTS] name AS 'uri'
struct CreateExternalConnection {
  std::string name;
  std::string uri;  // wiped on destruction (it may hold credentials)
  bool if_not_exists = false;
  bool operator==(const CreateExternalConnection&) const = default;
  ~CreateExternalConnection() { WipeString(&uri); }
};

// SHOW EXTERNAL CONNECTIONS | SHOW EXTERNAL CONNECTION name
// | SHOW CREATE ALL EXTERNAL CONNECTIONS | SHOW CREATE EXTERNAL CONNECTION name
struct ShowExternalConnections {
  std::optional<std::string> name;  // unset: all
  bool show_create = false;
  bool operator==(const ShowExternalConnections&) const = default;
};

// DROP EXTERNAL CONNECTION [IF EXISTS] name
struct DropExternalConnection {
  std::string name;
  bool if_exists = false;
  bool operator==(const DropExternalConnection&) const = default;
};

// One entry of a TABLE target list: `t`, `db.t`, `db.public.t`, `public.t`,
// `db.*`, `*`. The schema `public` is implicit and dropped; it is the only
// schema a cofre database has.
struct TablePattern {
  std::string database;     // empty: the session's current database
  std::string table;        // empty when all_tables
  bool all_tables = false;  // `db.*` or `*`
  bool operator==(const TablePattern&) const = default;
};

// What a BACKUP or RESTORE covers.
struct Targets {
  enum class Kind {
    kCluster,    // no target list: every database
    kDatabases,  // DATABASE a, b
    kTables,     // [TABLE] t, db.t2, db.*
  };
  Kind kind = Kind::kCluster;
  std::vector<std::string> databases;  // kDatabases: at least one
  std::vector<TablePattern> tables;    // kTables: at least one
  bool operator==(const Targets&) const = default;
};

// Which backup of a collection: the newest full backup (LATEST) or one named by
// its subdirectory, e.g. '2026/11/28-145137.12'. The string 'LATEST' (any case)
// means LATEST, as in CockroachDB.
struct BackupRef {
  bool latest = false;
  std::string subdir;  // empty when latest
  bool operator==(const BackupRef&) const = default;
};

// AS OF SYSTEM TIME <expr>. A single string literal ('-10s',
// '2026-01-01 10:00:00') is kept unquoted with is_string = true; anything else
// (a number, follower_read_timestamp(), ...) is kept as its source text with
// comments removed and whitespace collapsed.
struct AsOf {
  std::string text;
  bool is_string = false;
  bool operator==(const AsOf&) const = default;
};

// One `name [= value]` of a WITH clause. Names are lower-cased; a multi-word
// name (`execution locality`) has its words joined by one space.
struct Option {
  enum class Kind {
    kFlag,        // `detached`: no value; `values` is empty
    kString,      // `kms = 'aws:///k'`: `values` holds the one string
    kStringList,  // `kms = ('a', 'b')`: `values` holds one or more strings
    // `detached = true`, `x = 5`: `values` holds the word; bare identifiers
    // are lower-cased, numbers kept as written (with their sign).
    kWord,
  };
  std::string name;
  Kind kind = Kind::kFlag;
  std::vector<std::string> values;  // wiped on destruction (a value may be a passphrase)
  bool operator==(const Option&) const = default;
  ~Option() {
    for (std::string& v : values) WipeString(&v);
  }
};

// BACKUP [targets] INTO [LATEST IN | 'subdir' IN] dest
//   [AS OF SYSTEM TIME expr] [WITH options]
// `INTO dest` takes a new full backup; `INTO LATEST IN dest` and
// `INTO 'subdir' IN dest` append an incremental to that full backup's chain.
struct Backup {
  Targets targets;
  std::optional<BackupRef> incremental_on;  // set for incrementals
  // Collection URIs; several for a locality-aware backup.
  std::vector<std::string> destinations;
  std::optional<AsOf> as_of;
  std::vector<Option> options;  // in order; duplicates kept
  bool operator==(const Backup&) const = default;
};

// RESTORE [targets] FROM LATEST|'subdir' IN dest [AS OF SYSTEM TIME expr]
//   [WITH options]
struct Restore {
  Targets targets;
  BackupRef from;
  std::vector<std::string> in;  // collection URIs; several for locality-aware
  std::optional<AsOf> as_of;
  std::vector<Option> options;
  bool operator==(const Restore&) const = default;
};

// SHOW BACKUPS IN dest [NEWER THAN 'time'] [OLDER THAN 'time'] [WITH REVISION START TIME]
struct ShowBackups {
  std::vector<std::string> in;
  // Only the full backups taken after / before these times ('-7d', '2026-01-01 10:00:00').
  std::optional<std::string> newer_than;
  std::optional<std::string> older_than;
  bool revision_start_time = false;  // WITH REVISION START TIME (refused: no revision history)
  bool operator==(const ShowBackups&) const = default;
};

// SHOW BACKUP [SCHEMAS|FILES] [FROM] LATEST|'subdir' IN dest [WITH options]
struct ShowBackup {
  enum class Kind { kDefault, kSchemas, kFiles };
  Kind kind = Kind::kDefault;
  BackupRef from;
  std::vector<std::string> in;
  std::vector<Option> options;
  bool operator==(const ShowBackup&) const = default;
};

// One command of ALTER BACKUP:
//   ADD NEW_KMS = kms WITH OLD_KMS = old   wraps the data key under more keys;
//   DROP KMS = kms WITH OLD_KMS = old      (cofre extension) removes KMS keys.
// Either value may be a string or a parenthesised list of strings.
struct AlterBackupCommand {
  enum class Kind { kAddKms, kDropKms };
  Kind kind = Kind::kAddKms;
  std::vector<std::string> kms;      // the KMS URIs added or dropped
  std::vector<std::string> old_kms;  // KMS URIs that unlock the backup today
  bool operator==(const AlterBackupCommand&) const = default;
};

// ALTER BACKUP LATEST|'subdir' IN dest command [command ...]
struct AlterBackup {
  BackupRef backup;
  std::vector<std::string> in;
  std::vector<AlterBackupCommand> commands;  // at least one, in order
  bool operator==(const AlterBackup&) const = default;
};

// CREATE SCHEDULE [IF NOT EXISTS] [label] FOR BACKUP [targets] INTO 'uri' [WITH options]
//   RECURRING 'crontab' [FULL BACKUP 'crontab' | FULL BACKUP ALWAYS]
//   [WITH SCHEDULE OPTIONS option [= value] [, ...]]
struct CreateSchedule {
  std::optional<std::string> label;  // unset: "BACKUP"
  bool if_not_exists = false;
  Backup backup;  // as a full backup: incremental_on unset, no AS OF SYSTEM TIME
  std::string recurring;
  std::optional<std::string> full_backup;  // unset: CockroachDB's default for `recurring`
  bool full_backup_always = false;
  std::vector<Option> schedule_options;
  bool operator==(const CreateSchedule&) const = default;
};

// SHOW [RUNNING | PAUSED] SCHEDULES [FOR BACKUP] | SHOW SCHEDULE id
struct ShowSchedules {
  enum class Filter { kAll, kRunning, kPaused };
  Filter filter = Filter::kAll;
  std::optional<int64_t> id;  // SHOW SCHEDULE id
  bool operator==(const ShowSchedules&) const = default;
};

// PAUSE | RESUME | DROP SCHEDULE id, or SCHEDULES id [, ...], or SCHEDULES query
struct ControlSchedules {
  enum class Action { kPause, kResume, kDrop };
  Action action = Action::kPause;
  std::vector<int64_t> ids;
  std::string query;  // SCHEDULES query (e.g. SELECT id FROM [SHOW SCHEDULES] WHERE ...): its
                      // first column lists the IDs
  bool operator==(const ControlSchedules&) const = default;
};

// One command of ALTER BACKUP SCHEDULE.
struct AlterScheduleCommand {
  enum class Kind {
    kSetLabel,               // SET LABEL name
    kSetInto,                // SET INTO 'uri'
    kSetWith,                // SET WITH option [= value]
    kSetRecurring,           // SET RECURRING 'crontab'
    kSetFullBackup,          // SET FULL BACKUP 'crontab' | ALWAYS
    kSetScheduleOption,      // SET SCHEDULE OPTION option [= value]
    kExecuteImmediately,     // EXECUTE IMMEDIATELY (the incremental, or the only schedule)
    kExecuteFullImmediately  // EXECUTE FULL IMMEDIATELY
  };
  Kind kind = Kind::kSetLabel;
  std::string value;            // label, URI or crontab
  bool always = false;          // SET FULL BACKUP ALWAYS
  std::vector<Option> options;  // kSetWith, kSetScheduleOption: exactly one
  bool operator==(const AlterScheduleCommand&) const = default;
};

// ALTER BACKUP SCHEDULE id command [, command ...]
struct AlterBackupSchedule {
  int64_t id = 0;
  std::vector<AlterScheduleCommand> commands;  // at least one, in order
  bool operator==(const AlterBackupSchedule&) const = default;
};

using Statement =
    std::variant<Passthrough, CreateDatabase, DropDatabase, ShowDatabases, ShowTables, Use,
                 ShowJobs, ShowJob, ControlJob, Backup, Restore, ShowBackups, ShowBackup,
                 AlterBackup, CreateRole, AlterRole, DropRole, GrantPrivileges, GrantRoles,
                 ShowRoles, ShowGrants, ControlJobs, ShowQuery, CreateExternalConnection,
                 ShowExternalConnections, DropExternalConnection, CreateSchedule, ShowSchedules,
                 ControlSchedules, AlterBackupSchedule>;

// The command tag of a statement as CockroachDB prints it ("BACKUP",
// "CREATE DATABASE", "SHOW BACKUP", ...); empty for Passthrough, whose tag
// SQLite's result decides.
std::string_view StatementTag(const Statement& stmt);

}  // namespace cofre::sql

#endif  // COFRE_SQL_STATEMENT_H_
