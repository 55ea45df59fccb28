// Thin RAII wrappers over the SQLite C API, translating SQLite result codes into Status.
//
// SqliteDb owns one sqlite3 connection; SqliteStmt owns one prepared statement. Errors carry the
// SQLite message prefixed by what was being done. Busy/locked maps to Unavailable, corruption to
// DataLoss, a full disk to ResourceExhausted, constraint and SQL errors to InvalidArgument.
// Thread-safety: as SQLite's (serialized builds): one thread uses a connection at a time here.
#ifndef COFRE_ENGINE_SQLITE_H_
#define COFRE_ENGINE_SQLITE_H_

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/status.h"

namespace cofre {

// Converts a SQLite result code into a Status; `what` says what was being done.
Status SqliteStatus(int rc, sqlite3* db, std::string_view what);

class SqliteStmt;

class SqliteDb {
 public:
  SqliteDb() = default;
  ~SqliteDb();
  SqliteDb(SqliteDb&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  SqliteDb& operator=(SqliteDb&& other) noexcept;
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // How long a connection Open made waits for a lock another connection holds.
  static constexpr int kBusyTimeoutMs = 10000;

  // Opens `path` (creating it when `create`), with a busy timeout and extended result codes,
  // through the VFS named `vfs` (SQLite's default when null; registered beforehand).
  static StatusOr<SqliteDb> Open(const std::string& path, bool create, bool read_only = false,
                                 const char* vfs = nullptr);

  sqlite3* get() const { return db_; }
  // Runs one or more statements that return no rows.
  Status Exec(std::string_view sql) const;
  // BEGIN IMMEDIATE: a write transaction, waiting up to the busy timeout for the write lock.
  // REQUIRES: no statement of this connection is still reading (stepped to a row and not reset
  // or destroyed). Such a statement holds a read snapshot, which SQLite cannot turn into a
  // write transaction once another connection has committed: BEGIN would fail at once with
  // "database is locked", without waiting, only when that race occurs. Refused here every time
  // instead (Internal, naming the statement), so that tests catch it.
  Status BeginImmediate() const;
  // Prepares a statement.
  StatusOr<SqliteStmt> Prepare(std::string_view sql) const;
  // Runs a query that returns one integer (first column of the first row); nullopt for no row.
  StatusOr<std::optional<int64_t>> QueryInt(std::string_view sql) const;
  // Runs a query that returns one text value; nullopt for no row or NULL.
  StatusOr<std::optional<std::string>> QueryText(std::string_view sql) const;
  // Closes the connection (reporting errors); the destructor closes silently otherwise.
  Status Close();

 private:
  explicit SqliteDb(sqlite3* db) : db_(db) {}
  sqlite3* db_ = nullptr;
};

// A prepared statement. Step() returns true while rows are available.
class SqliteStmt {
 public:
  SqliteStmt() = default;
  SqliteStmt(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~SqliteStmt();
  SqliteStmt(SqliteStmt&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  SqliteStmt& operator=(SqliteStmt&& o) noexcept;
  SqliteStmt(const SqliteStmt&) = delete;
  SqliteStmt& operator=(const SqliteStmt&) = delete;

  sqlite3_stmt* get() const { return stmt_; }
  // Advances: true when a row is ready, false when done.
  StatusOr<bool> Step();
  // Runs to completion, ignoring rows.
  Status Run();
  Status Reset();

  SqliteStmt& Bind(int i, int64_t v);
  SqliteStmt& Bind(int i, double v);
  SqliteStmt& Bind(int i, std::string_view text);
  SqliteStmt& BindBlob(int i, std::string_view blob);
  SqliteStmt& BindNull(int i);

  int64_t ColumnInt(int i) const { return sqlite3_column_int64(stmt_, i); }
  double ColumnDouble(int i) const { return sqlite3_column_double(stmt_, i); }
  std::string ColumnText(int i) const;
  bool ColumnIsNull(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  int ColumnCount() const { return sqlite3_column_count(stmt_); }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
};

// Quotes an SQL identifier: "name" with embedded quotes doubled.
std::string QuoteIdent(std::string_view name);
// Quotes an SQL string literal: 'text' with embedded quotes doubled.
std::string QuoteLiteral(std::string_view text);

}  // namespace cofre

#endif  // COFRE_ENGINE_SQLITE_H_
