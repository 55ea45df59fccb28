// Passthrough execution: runs a statement cofre does not handle itself on
// SQLite, on the session's connection (the current database is `main`; other
// databases named in the statement as `db.table` are attached under their names
// on demand), and renders its result. Thread-safety: one thread at a time per
// connection.
#ifndef COFRE_SQL_PASSTHROUGH_H_
#define COFRE_SQL_PASSTHROUGH_H_

#include <set>
#include <string>

#include "engine/data_dir.h"
#include "engine/sqlite.h"
#include "util/result_set.h"

namespace cofre::sql {

class PassthroughExecutor {
 public:
  PassthroughExecutor(DataDir* dir) : dir_(dir) {}
  // Switches the connection to database `name` (detaching everything).
  Status Use(const std::string& name);
  // Executes `sql`. InvalidArgument etc. with SQLite's message on failure.
  StatusOr<ResultSet> Execute(const std::string& sql);
  // Closes the connection (before DROP DATABASE of an attached database, for
  // example).
  void Reset();
  const std::string& database() const { return current_; }

 private:
  // Rewrites `<current>.x` to `main.x` and attaches other databases named as
  // `<db>.x`.
  StatusOr<std::string> Prepare(const std::string& sql);

  DataDir* dir_;
  std::string current_;
  SqliteDb conn_;
  std::set<std::string> attached_;
};

}  // namespace cofre::sql

#endif  // COFRE_SQL_PASSTHROUGH_H_
