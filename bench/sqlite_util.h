// Minimal RAII wrappers over the SQLite C API for the benchmark tools.
//
// These tools are command-line programs: every SQLite failure is fatal and
// ends the process with a message naming the statement, so callers need no
// error plumbing. Not part of cofre's engine; nothing outside bench/ uses it.
// Thread-safety: a Db and its Stmts belong to one thread.
#ifndef COFRE_BENCH_SQLITE_UTIL_H_
#define COFRE_BENCH_SQLITE_UTIL_H_

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace cofre::bench {

// Prints "error: <what>" to stderr and exits with status 1.
[[noreturn]] void Fatal(const std::string& what);

// An open database connection.
class Db {
 public:
  // Opens `path` with `flags` (SQLITE_OPEN_*); exits on failure.
  Db(const std::string& path, int flags);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* handle() const { return db_; }

  // Runs one or more statements that return no rows of interest.
  void Exec(const std::string& sql);

  // Runs a query whose first row's first column is an integer.
  int64_t QueryInt(const std::string& sql);

 private:
  sqlite3* db_ = nullptr;
};

// A prepared statement. Bind* use 1-based parameter indexes.
class Stmt {
 public:
  Stmt(Db& db, const std::string& sql);
  ~Stmt();
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  sqlite3_stmt* handle() const { return stmt_; }

  void BindInt(int index, int64_t value);
  void BindDouble(int index, double value);
  void BindNull(int index);
  // The text and blob are not copied (SQLITE_STATIC).
  // REQUIRES: `value` stays alive and unchanged until the next Reset().
  void BindText(int index, std::string_view value);
  void BindBlob(int index, std::string_view value);

  // Steps once; returns true while a row is available, false when done.
  bool Step();

  // Runs a statement that returns no rows, then resets it for reuse.
  void Run();

  void Reset();

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
};

}  // namespace cofre::bench

#endif  // COFRE_BENCH_SQLITE_UTIL_H_
