#include "cli/sql_command.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>

#include "cli/environment_settings.h"
#include "cli/interactive_shell.h"
#include "cli/progress_line.h"
#include "cli/remote_session.h"
#include "cli/shell.h"
#include "engine/data_dir.h"
#include "server/server.h"
#include "sql/session.h"

namespace cofre::cli {

namespace {

// The progress of the job this process runs now, read from the data directory's job records on
// the progress line's thread (its own connection, opened on first use).
ProgressPoll EmbeddedJobProgress(const std::string& data_dir) {
  auto dir = std::make_shared<std::unique_ptr<DataDir>>();
  return [dir, data_dir](const std::string&) -> std::optional<JobProgress> {
    if (!*dir) {
      auto opened = DataDir::Open(data_dir);
      if (!opened.ok()) return std::nullopt;
      *dir = std::move(*opened);
    }
    auto stmt = (*dir)->system().Prepare(
        "SELECT fraction_completed, result_rows, result_bytes FROM jobs WHERE status = 'running' "
        "AND pid = ? ORDER BY id DESC LIMIT 1");
    if (!stmt.ok()) return std::nullopt;
    stmt->Bind(1, static_cast<int64_t>(::getpid()));
    auto row = stmt->Step();
    if (!row.ok() || !*row) return std::nullopt;
    JobProgress p;
    p.fraction = stmt->ColumnDouble(0);
    if (!stmt->ColumnIsNull(1)) p.rows = static_cast<uint64_t>(stmt->ColumnInt(1));
    if (!stmt->ColumnIsNull(2)) p.bytes = static_cast<uint64_t>(stmt->ColumnInt(2));
    return p;
  };
}

}  // namespace

int RunSqlCommand(const CliArgs& args) {
  // Variables are read before anything runs: a missing file or environment variable stops here.
  ShellVariables variables;
  for (const VariableArg& var : args.variables) {
    StatusOr<std::string> value = var.value;
    if (var.source == VariableArg::Source::kFile) {
      value = ShellVariables::ReadValueFile(var.value);
    } else if (var.source == VariableArg::Source::kEnv) {
      const char* env = std::getenv(var.value.c_str());
      if (env == nullptr) {
        value = NotFoundError("environment variable " + var.value + " (--set-env " + var.name +
                              "=" + var.value + ") is not set");
      } else {
        value = std::string(env);
      }
    }
    Status st = value.ok() ? variables.Set(var.name, std::move(*value)) : value.status();
    if (!st.ok()) {
      ReportError(st);
      return 1;
    }
  }
  StatusOr<std::unique_ptr<sql::Session>> session = UnavailableError("no session");
  if (!args.url.empty()) {
    RemoteSessionOptions remote;
    remote.url = args.url;
    remote.prompt_for_password = isatty(STDIN_FILENO);
    session = OpenRemoteSession(remote);
  } else {
    sql::SessionOptions options;
    options.data_dir = args.data_dir;
    options.database = args.database;
    options.locality = args.locality;
    options.operations = OperationSettingsFromEnvironment();
    options.operations.restore_tables_through_journal = true;  // the data directory is ours alone
    // One server owns a data directory: refuse when one runs, and keep one from starting while
    // this embedded session runs.
    StatusOr<int> lock = server::LockForEmbeddedUse(args.data_dir);
    if (!lock.ok()) {
      ReportError(lock.status());
      return 1;
    }
    session = sql::Session::Open(options);
  }
  if (!session.ok()) {
    ReportError(session.status());
    return 1;
  }
  ShellOptions shell_options;
  shell_options.format = args.format;
  shell_options.job_progress =
      args.url.empty() ? EmbeddedJobProgress(args.data_dir) : RemoteJobProgress(session->get());
  if (!args.execute.empty()) {
    Shell shell(session->get(), shell_options);
    shell.variables() = std::move(variables);
    for (const std::string& script : args.execute) {
      if (!shell.ExecuteScript(script).ok()) return 1;
    }
    return 0;
  }
  if (isatty(STDIN_FILENO)) {
    shell_options.blank_line_after_result = true;
    Shell shell(session->get(), shell_options);
    shell.variables() = std::move(variables);
    if (Status st = RunInteractiveShell(&shell, DefaultHistoryFile()); !st.ok()) {
      ReportError(st);
      return 1;
    }
    return 0;
  }
  Shell shell(session->get(), shell_options);
  shell.variables() = std::move(variables);
  return shell.ExecuteStream(stdin).ok() ? 0 : 1;
}

}  // namespace cofre::cli
