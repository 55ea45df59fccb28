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
#include <string>
#include <string_view>

#include "util/result_set.h"
#include "util/status.h"

namespace cofre::sql {

struct SessionOptions {
  std::string data_dir = "cofre-data";
  std::string database = "defaultdb";  // current database at start
  std::string locality;  // e.g. "region=us-west"; empty: remembered value
};

class Session {
 public:
  virtual ~Session() = default;
  // Opens the data directory (creating it with `defaultdb` on first use).
  static StatusOr<std::unique_ptr<Session>> Open(const SessionOptions& options);

  // Executes one complete statement (without its trailing ';').
  virtual StatusOr<ResultSet> Execute(std::string_view statement) = 0;
  // The current database (changed by USE / SET database).
  virtual const std::string& current_database() const = 0;
};

}  // namespace cofre::sql

#endif  // COFRE_SQL_SESSION_H_
