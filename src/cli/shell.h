// Shell: runs SQL text against a sql::Session and prints each result as it arrives.
//
// Every statement's result is written to `out` in the shell's output format and `out` is flushed
// at once, so a long script shows progress. A failed statement prints "ERROR: <message>" and,
// when the Status has a hint, "HINT: <hint>" on `err` (after flushing `out`, so the two streams
// interleave in order on a terminal). A result's notices are printed the same way, before the
// result, as "NOTICE: <message>" or "WARNING: <message>".
// Statements go through the shell's variables first (cli/shell_variables.h: `:name`, `:'name'`,
// `:"name"`); echoed statements show the text as written, before interpolation, so a secret
// held in a variable is never printed. In a stream, a line starting with \set, \unset or
// \getenv (where a statement may start) is a shell command.
// Scripts (ExecuteScript, ExecuteStream) stop at the first failed statement and return its
// Status; the caller turns that into exit code 1. The interactive loop, which continues after
// errors, is interactive_shell.h.
// Thread-safety: a Shell is used by one thread at a time, like its Session.
#ifndef COFRE_CLI_SHELL_H_
#define COFRE_CLI_SHELL_H_

#include <cstdio>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "cli/formatter.h"
#include "cli/progress_line.h"
#include "cli/shell_variables.h"
#include "sql/session.h"
#include "util/status.h"

namespace cofre::cli {

struct ShellOptions {
  OutputFormat format = OutputFormat::kTable;
  // Print each statement ("> SELECT ...", continuation lines indented) before its result.
  bool echo_statements = false;
  // Print an empty line after each result (the interactive shell's spacing).
  bool blank_line_after_result = false;
  // Polls the progress of the job a running BACKUP/RESTORE drives, for the live progress line
  // drawn on a terminal (cli/progress_line.h); empty: no line.
  ProgressPoll job_progress;
};

// Prints a failed `status` as "ERROR: <message>" and, when it has a hint, "HINT: <hint>" on
// `err`, after flushing `out`.
void ReportError(const Status& status, std::FILE* out = stdout, std::FILE* err = stderr);

// Prints `notices` as "NOTICE: <message>" / "WARNING: <message>" lines on `err`, after flushing
// `out`.
void ReportNotices(const std::vector<ResultSet::Notice>& notices, std::FILE* out = stdout,
                   std::FILE* err = stderr);

class Shell {
 public:
  // `session`, `out` and `err` must outlive the Shell.
  Shell(sql::Session* session, ShellOptions options, std::FILE* out = stdout,
        std::FILE* err = stderr);

  Shell(const Shell&) = delete;
  Shell& operator=(const Shell&) = delete;

  // Executes one statement (without its ';') and prints its result or its error. Returns the
  // statement's Status (already reported).
  Status Execute(std::string_view statement);

  // Splits `script` at ';' (sql::SplitStatements; the text after the last ';' is a statement
  // too) and executes the statements in order, stopping at the first error. A script without
  // statements succeeds and prints nothing.
  Status ExecuteScript(std::string_view script);

  // Reads `in` to its end, executing each statement as soon as its terminating ';' has been
  // read, and the unterminated rest at end of input. Stops at the first error; a read error is
  // reported like a failed statement.
  Status ExecuteStream(std::FILE* in);

  sql::Session* session() const { return session_; }
  ShellVariables& variables() { return variables_; }

  // Runs a shell variable command line (ShellVariables::RunCommand), reporting its error.
  Status ExecuteVariableCommand(std::string_view line);

  // Prints `status` on the shell's streams (see cli::ReportError).
  void ReportError(const Status& status) const;

 private:
  void Echo(std::string_view statement);

  sql::Session* const session_;
  const ShellOptions options_;
  std::FILE* const out_;
  std::FILE* const err_;
  ShellVariables variables_;
};

}  // namespace cofre::cli

#endif  // COFRE_CLI_SHELL_H_
