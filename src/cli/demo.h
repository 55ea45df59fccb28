// `cofre demo`: a scripted tour of cofre's backup and restore that checks its own result.
//
// The demo is a list of DemoSteps (DemoSteps() in demo_steps.cc) run in order on one Session:
// - kNarrate prints a "-- ..." comment line;
// - kStatement prints the statement as "> SQL" (continuation lines indented) and then its
//   result in table format;
// - kCompareTable checks that a table has the same rows in a database and its restored copy
//   (equal row counts and no row of either missing from the other, via EXCEPT) and prints
//   "OK: <table> matches (N rows)";
// - kCompareSchema checks that both databases hold the same tables and indexes with the same
//   definitions (sqlite_master) and prints "OK: schema of <db> matches (...)".
// The first failed statement or check prints its error ("ERROR: ..." / "FAILED: ...") on stderr
// and ends the demo with exit code 1; otherwise RunDemo returns 0.
// Thread-safety: call from the main thread only.
#ifndef COFRE_CLI_DEMO_H_
#define COFRE_CLI_DEMO_H_

#include <cstdio>
#include <string>
#include <vector>

#include "sql/session.h"
#include "util/status.h"

namespace cofre::cli {

struct DemoOptions {
  // The data directory the demo builds its databases in. Empty: a new directory
  // "$TMPDIR/cofre-demo-XXXXXX" (kept afterwards, so that it can be explored with `cofre sql`).
  std::string data_dir;
};

struct DemoStep {
  enum class Kind { kNarrate, kStatement, kExpectError, kCompareTable, kCompareSchema };

  static DemoStep Narrate(std::string sentence);
  static DemoStep Statement(std::string sql);
  // A statement that must fail: its error is shown and the demo goes on (fails if it succeeds).
  static DemoStep ExpectError(std::string sql);
  static DemoStep CompareTable(std::string database, std::string restored, std::string table);
  static DemoStep CompareSchema(std::string database, std::string restored);

  Kind kind = Kind::kNarrate;
  std::string text;      // kNarrate: the sentence; kStatement: the SQL; kCompareTable: the table
  std::string database;  // kCompare*: the original database
  std::string restored;  // kCompare*: its restored copy
};

// The demo's script.
std::vector<DemoStep> DemoSteps();

// Runs the demo (DemoSteps() on a Session over options.data_dir); returns the exit code.
int RunDemo(const DemoOptions& options);

// Runs `steps` on `session`, printing to `out` and errors to `err`. Returns the first failure
// (already printed) or OK.
Status RunDemoSteps(const std::vector<DemoStep>& steps, sql::Session* session, std::FILE* out,
                    std::FILE* err);

}  // namespace cofre::cli

#endif  // COFRE_CLI_DEMO_H_
