// Passthrough execution: runs a statement cofre does not handle itself on
// SQLite, on the session's connection (the current database is `main`; other
// databases named in the statement as `db.table` are attached under their names
// on demand), and renders its result. Thread-safety: one thread at a time per
// connection.
#ifndef COFRE_SQL_PASSTHROUGH_H_
#define COFRE_SQL_PASSTHROUGH_H_

#include <atomic>
#include <list>
#include <set>
#include <string>
#include <vector>

#include "engine/data_dir.h"
#include "engine/sqlite.h"
#include "sql/placeholders.h"
#include "sql/privileges.h"
#include "util/result_set.h"

namespace cofre::sql {

class PassthroughExecutor {
 public:
  // `lock_timeout_ms`: how long a statement waits for another connection's write lock before
  // failing with Unavailable (detail kSerializationFailure, SQLSTATE 40001 on the wire).
  explicit PassthroughExecutor(DataDir* dir, int lock_timeout_ms = 10'000)
      : dir_(dir), lock_timeout_ms_(lock_timeout_ms) {}
  // Switches the connection to database `name` (detaching everything).
  Status Use(const std::string& name);
  // Executes `sql`, binding `params` to its $n (or ?) parameters. InvalidArgument etc. with
  // SQLite's message on failure; PermissionDenied when the authorizer refused an action.
  StatusOr<ResultSet> Execute(const std::string& sql, const std::vector<Param>& params = {});
  // Prepares `sql` without running it: its parameter count and columns.
  StatusOr<std::pair<int, std::vector<ResultSet::Column>>> Describe(const std::string& sql);
  // Checks every statement against `privileges` from now on (null: no checks). The pointee must
  // outlive this executor or the next call.
  void SetPrivileges(const Privileges* privileges);
  // True inside an explicit transaction.
  bool InTransaction() const;
  // Interrupts the running statement. Thread-safe.
  void Interrupt();
  // Closes the connection (before DROP DATABASE of an attached database, for
  // example).
  void Reset();
  const std::string& database() const { return current_; }

 private:
  // Rewrites `<current>.x` to `main.x` and attaches other databases named as
  // `<db>.x`.
  StatusOr<std::string> Prepare(const std::string& sql);

  Status Open(const std::string& name);
  // The prepared statement for `sql` from the cache (on a miss, the databases it names are
  // attached and it is prepared and cached; null for text with no statement), reset with its
  // bindings cleared.
  StatusOr<SqliteStmt*> Cached(const std::string& sql);
  // Drops every cached statement (the connection, its attached databases or the privileges
  // the statements were authorized under changed).
  void ClearCache() { cache_.clear(); }

  DataDir* dir_;
  int lock_timeout_ms_;
  std::string current_;
  SqliteDb conn_;
  std::atomic<sqlite3*> live_{nullptr};  // conn_'s handle, for Interrupt() from other threads
  std::set<std::string> attached_;
  const Privileges* privileges_ = nullptr;
  Authorizer authorizer_;
  // Prepared statements by text, most recently used first, at most kCachedStatements.
  static constexpr size_t kCachedStatements = 64;
  std::list<std::pair<std::string, SqliteStmt>> cache_;
};

}  // namespace cofre::sql

#endif  // COFRE_SQL_PASSTHROUGH_H_
