#include "cli/sql_command.h"

#include <unistd.h>

#include <cstdio>
#include <memory>

#include "cli/interactive_shell.h"
#include "cli/shell.h"
#include "sql/session.h"

namespace cofre::cli {

int RunSqlCommand(const CliArgs& args) {
  sql::SessionOptions options;
  options.data_dir = args.data_dir;
  options.database = args.database;
  options.locality = args.locality;
  StatusOr<std::unique_ptr<sql::Session>> session = sql::Session::Open(options);
  if (!session.ok()) {
    ReportError(session.status());
    return 1;
  }
  ShellOptions shell_options;
  shell_options.format = args.format;
  if (!args.execute.empty()) {
    Shell shell(session->get(), shell_options);
    for (const std::string& script : args.execute) {
      if (!shell.ExecuteScript(script).ok()) return 1;
    }
    return 0;
  }
  if (isatty(STDIN_FILENO)) {
    shell_options.blank_line_after_result = true;
    Shell shell(session->get(), shell_options);
    RunInteractiveShell(&shell, DefaultHistoryFile());
    return 0;
  }
  Shell shell(session->get(), shell_options);
  return shell.ExecuteStream(stdin).ok() ? 0 : 1;
}

}  // namespace cofre::cli
