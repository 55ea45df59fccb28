#include "engine/sqlite.h"

#include <utility>

namespace cofre {

namespace {

constexpr char kDiskFullHint[] =
    "the disk holding the database is full: free space on its volume, then retry";

// The Status of a failed SQLite call with message `msg`; a full disk also says what to do.
ErrorDetail SqliteErrorDetail(int rc, std::string_view errmsg);

Status Failed(int rc, std::string msg) {
  ErrorDetail detail = SqliteErrorDetail(rc, msg);
  Status st(SqliteStatus(rc, nullptr, "").code(), std::move(msg));
  if (detail != ErrorDetail::kNone) st = st.WithDetail(detail);
  return (rc & 0xff) == SQLITE_FULL ? st.WithHint(kDiskFullHint) : st;
}

// The finer kind of a failed SQLite call. Constraint kinds come from the extended result code.
// SQLite reports a syntax error, an unknown table and an unknown column all as SQLITE_ERROR;
// only its message tells them apart, so this is the one place that reads it.
ErrorDetail SqliteErrorDetail(int rc, std::string_view errmsg) {
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_ROWID:
      return ErrorDetail::kUniqueViolation;
    case SQLITE_CONSTRAINT_NOTNULL:
      return ErrorDetail::kNotNullViolation;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return ErrorDetail::kForeignKeyViolation;
    case SQLITE_CONSTRAINT_CHECK:
      return ErrorDetail::kCheckViolation;
    case SQLITE_CONSTRAINT_DATATYPE:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
      return ErrorDetail::kDataException;
    case SQLITE_INTERRUPT:
      return ErrorDetail::kQueryCanceled;
    case SQLITE_AUTH:
      return ErrorDetail::kInsufficientPrivilege;
    default:
      break;
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorDetail::kSerializationFailure;
    case SQLITE_ERROR:
      if (errmsg.starts_with("near ") || errmsg.starts_with("incomplete input") ||
          errmsg.starts_with("unrecognized token")) {
        return ErrorDetail::kSyntax;
      }
      if (errmsg.starts_with("no such table") || errmsg.starts_with("no such view")) {
        return ErrorDetail::kUndefinedTable;
      }
      if (errmsg.starts_with("no such column")) return ErrorDetail::kUndefinedColumn;
      if (errmsg.find("already exists") != std::string_view::npos) {
        return ErrorDetail::kDuplicateObject;
      }
      return ErrorDetail::kNone;
    default:
      return ErrorDetail::kNone;
  }
}

Status SqliteStatusWithoutDetail(int rc, std::string msg) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return UnavailableError(msg + " (the database is locked by another connection; retry)");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return DataLossError(msg);
    case SQLITE_FULL:
      return ResourceExhaustedError(msg).WithHint(kDiskFullHint);
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return PermissionDeniedError(msg);
    case SQLITE_CANTOPEN:
      return NotFoundError(msg);
    case SQLITE_IOERR:
      return UnavailableError(msg);
    case SQLITE_NOMEM:
      return ResourceExhaustedError(msg);
    case SQLITE_INTERRUPT:
      return CancelledError(msg);
    default:
      return InvalidArgumentError(msg);
  }
}

}  // namespace

Status SqliteStatus(int rc, sqlite3* db, std::string_view what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::OK();
  const char* errmsg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::string msg(what);
  msg += ": ";
  msg += errmsg;
  // A statement's own error code is more precise than the connection's last one.
  int code = db ? sqlite3_extended_errcode(db) : rc;
  if ((code & 0xff) != (rc & 0xff)) code = rc;
  ErrorDetail detail = SqliteErrorDetail(code, errmsg);
  Status st = SqliteStatusWithoutDetail(rc, std::move(msg));
  return detail == ErrorDetail::kNone ? st : st.WithDetail(detail);
}

SqliteDb::~SqliteDb() {
  if (db_) sqlite3_close_v2(db_);
}

SqliteDb& SqliteDb::operator=(SqliteDb&& other) noexcept {
  if (this != &other) {
    if (db_) sqlite3_close_v2(db_);
    db_ = other.db_;
    other.db_ = nullptr;
  }
  return *this;
}

StatusOr<SqliteDb> SqliteDb::Open(const std::string& path, bool create, bool read_only,
                                  const char* vfs) {
  sqlite3* raw = nullptr;
  int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (create && !read_only) flags |= SQLITE_OPEN_CREATE;
  flags |= SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, vfs);
  SqliteDb db(raw);
  if (rc != SQLITE_OK) {
    return SqliteStatus(rc, raw, "cannot open database file " + path);
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  return db;
}

Status SqliteDb::Exec(std::string_view sql) const {
  std::string s(sql);
  char* err = nullptr;
  int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    return Failed(rc, msg);
  }
  return Status::OK();
}

Status SqliteDb::BeginImmediate() const {
  for (sqlite3_stmt* s = sqlite3_next_stmt(db_, nullptr); s; s = sqlite3_next_stmt(db_, s)) {
    if (sqlite3_stmt_busy(s)) {
      const char* sql = sqlite3_sql(s);
      return InternalError(std::string("a write transaction was begun while a statement of the "
                                       "same connection was still reading: ") +
                           (sql ? sql : "?"));
    }
  }
  return Exec("BEGIN IMMEDIATE");
}

StatusOr<SqliteStmt> SqliteDb::Prepare(std::string_view sql) const {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    return Failed(rc, sqlite3_errmsg(db_));
  }
  return SqliteStmt(db_, stmt);
}

StatusOr<std::optional<int64_t>> SqliteDb::QueryInt(std::string_view sql) const {
  ASSIGN_OR_RETURN(SqliteStmt stmt, Prepare(sql));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row || stmt.ColumnIsNull(0)) return std::optional<int64_t>();
  return std::optional<int64_t>(stmt.ColumnInt(0));
}

StatusOr<std::optional<std::string>> SqliteDb::QueryText(std::string_view sql) const {
  ASSIGN_OR_RETURN(SqliteStmt stmt, Prepare(sql));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row || stmt.ColumnIsNull(0)) return std::optional<std::string>();
  return std::optional<std::string>(stmt.ColumnText(0));
}

Status SqliteDb::Close() {
  if (!db_) return Status::OK();
  int rc = sqlite3_close(db_);
  if (rc != SQLITE_OK) return SqliteStatus(rc, db_, "closing database");
  db_ = nullptr;
  return Status::OK();
}

SqliteStmt::~SqliteStmt() {
  if (stmt_) sqlite3_finalize(stmt_);
}

SqliteStmt& SqliteStmt::operator=(SqliteStmt&& o) noexcept {
  if (this != &o) {
    if (stmt_) sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = o.stmt_;
    o.stmt_ = nullptr;
  }
  return *this;
}

StatusOr<bool> SqliteStmt::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Failed(rc, sqlite3_errmsg(db_));
}

Status SqliteStmt::Run() {
  while (true) {
    ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::OK();
  }
}

Status SqliteStmt::Reset() {
  int rc = sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  if (rc != SQLITE_OK) return Failed(rc, sqlite3_errmsg(db_));
  return Status::OK();
}

SqliteStmt& SqliteStmt::Bind(int i, int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}
SqliteStmt& SqliteStmt::Bind(int i, double v) {
  sqlite3_bind_double(stmt_, i, v);
  return *this;
}
SqliteStmt& SqliteStmt::Bind(int i, std::string_view text) {
  sqlite3_bind_text64(stmt_, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}
SqliteStmt& SqliteStmt::BindBlob(int i, std::string_view blob) {
  sqlite3_bind_blob64(stmt_, i, blob.data(), blob.size(), SQLITE_TRANSIENT);
  return *this;
}
SqliteStmt& SqliteStmt::BindNull(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

std::string SqliteStmt::ColumnText(int i) const {
  const unsigned char* p = sqlite3_column_text(stmt_, i);
  int n = sqlite3_column_bytes(stmt_, i);
  return p ? std::string(reinterpret_cast<const char*>(p), n) : std::string();
}

std::string QuoteIdent(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string QuoteLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace cofre
