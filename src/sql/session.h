// Session: one user's connection to a cofre data directory, executing SQL
// statements.
//
// A Session opens (creating on first use) the data directory, keeps the current
// database, and executes one statement at a time: cofre's own statements
// (CREATE/DROP DATABASE, SHOW ..., BACKUP, RESTORE, ALTER BACKUP, SHOW JOBS,
// USE) are planned here; everything else goes to SQLite unchanged on the
// current database, with the other databases attached under their names.
// Execute() returns the statement's result set, or its error (never both). A
// failed statement leaves the data directory as it was before it.
// Thread-safety: a Session is used by one thread at a time.
#ifndef COFRE_SQL_SESSION_H_
#define COFRE_SQL_SESSION_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/job_runner.h"
#include "jobs/scheduler.h"
#include "sql/operation_settings.h"
#include "sql/placeholders.h"
#include "util/result_set.h"
#include "util/status.h"

namespace cofre::sql {

struct SessionOptions {
  std::string data_dir = "cofre-data";
  std::string database = "defaultdb";  // current database at start
  std::string locality;                // e.g. "region=us-west"; empty: remembered value
  // The authenticated user of a server connection, whose privileges every statement is checked
  // against (sql/statement_privileges.h, sql/privileges.h). nullopt: embedded use by whoever
  // owns the data directory's files, with every privilege and no checks.
  std::optional<std::string> user;
  // How long a statement waits for another connection's write lock before failing (40001).
  int lock_timeout_ms = 10'000;
  // The server's job runner, which runs BACKUP/RESTORE ... WITH detached and obeys PAUSE,
  // RESUME and CANCEL JOB. Null (embedded use): detached is refused, and jobs run in their
  // statement. Must outlive the session.
  JobRunner* job_runner = nullptr;
  // Backup/restore tuning and test failpoints (filled by the command line).
  OperationSettings operations;
  // The server's scheduler, told when a schedule may have become due (CREATE, RESUME, ALTER).
  // Null (embedded use): schedules are stored and run once a server runs on the directory.
  Scheduler* scheduler = nullptr;
};

// What a statement will return, known before running it (for the wire protocol's Describe).
struct StatementDescription {
  int param_count = 0;
  // False for statements whose columns are only known once they run (cofre's own statements).
  bool columns_known = false;
  std::vector<ResultSet::Column> columns;  // empty and known: no rows (a command)
};

class Session {
 public:
  virtual ~Session() = default;
  // Opens the data directory (creating it with `defaultdb` on first use).
  static StatusOr<std::unique_ptr<Session>> Open(const SessionOptions& options);

  // Executes one complete statement (without its trailing ';'), with the values of its $n
  // placeholders. PermissionDenied (detail kInsufficientPrivilege) when the session's user
  // lacks a privilege the statement needs; nothing has changed then.
  virtual StatusOr<ResultSet> Execute(std::string_view statement,
                                      const std::vector<Param>& params) = 0;
  StatusOr<ResultSet> Execute(std::string_view statement) { return Execute(statement, {}); }
  // Describes a statement without running it: its parameters, and its columns when SQLite can
  // tell them beforehand.
  virtual StatusOr<StatementDescription> Describe(std::string_view statement) = 0;
  // True inside an explicit transaction (BEGIN ... COMMIT/ROLLBACK).
  virtual bool InTransaction() const = 0;
  // Asks the statement running now (on another thread) to stop: SQLite statements fail with
  // Cancelled (detail kQueryCanceled), a BACKUP or RESTORE stops between pieces of work (its job
  // is canceled, what it wrote removed). Thread-safe; a no-op when nothing runs.
  virtual void Interrupt() = 0;
  // The current database (changed by USE / SET database).
  virtual const std::string& current_database() const = 0;
};

}  // namespace cofre::sql

#endif  // COFRE_SQL_SESSION_H_
