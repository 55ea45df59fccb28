// Implementation of the benchmark tools' SQLite wrappers (see sqlite_util.h).
#include "sqlite_util.h"

#include <cstdio>
#include <cstdlib>

namespace cofre::bench {

void Fatal(const std::string& what) {
  std::fprintf(stderr, "error: %s\n", what.c_str());
  std::exit(1);
}

Db::Db(const std::string& path, int flags) {
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    Fatal("cannot open " + path + ": " + sqlite3_errmsg(db_));
  }
}

Db::~Db() {
  if (sqlite3_close(db_) != SQLITE_OK) {
    Fatal(std::string("cannot close the database: ") + sqlite3_errmsg(db_));
  }
}

void Db::Exec(const std::string& sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message != nullptr ? message : "unknown error";
    sqlite3_free(message);
    Fatal(sql + ": " + text);
  }
}

int64_t Db::QueryInt(const std::string& sql) {
  Stmt stmt(*this, sql);
  if (!stmt.Step()) Fatal(sql + ": returned no row");
  return sqlite3_column_int64(stmt.handle(), 0);
}

Stmt::Stmt(Db& db, const std::string& sql) : db_(db.handle()), sql_(sql) {
  if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) !=
      SQLITE_OK) {
    Fatal(sql + ": " + sqlite3_errmsg(db_));
  }
}

Stmt::~Stmt() { sqlite3_finalize(stmt_); }

void Stmt::BindInt(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }

void Stmt::BindDouble(int index, double value) { sqlite3_bind_double(stmt_, index, value); }

void Stmt::BindNull(int index) { sqlite3_bind_null(stmt_, index); }

void Stmt::BindText(int index, std::string_view value) {
  sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
}

void Stmt::BindBlob(int index, std::string_view value) {
  sqlite3_bind_blob(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
}

bool Stmt::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Fatal(sql_ + ": " + sqlite3_errmsg(db_));
}

void Stmt::Run() {
  while (Step()) {
  }
  Reset();
}

void Stmt::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

}  // namespace cofre::bench
