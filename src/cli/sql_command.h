// `cofre sql`: opens the data directory and runs statements from -e values, from a piped stdin,
// or in the interactive shell when stdin is a terminal.
//
// Returns the process exit code: 0 when every statement succeeded (or the interactive shell was
// left normally); 1 when the data directory could not be opened or, outside the interactive
// shell, at the first failed statement (later statements and -e values are not run). Errors are
// printed by the shell as "ERROR: ..." / "HINT: ..." on stderr.
// Thread-safety: call from the main thread only (it may take over the terminal).
#ifndef COFRE_CLI_SQL_COMMAND_H_
#define COFRE_CLI_SQL_COMMAND_H_

#include "cli/args.h"

namespace cofre::cli {

// REQUIRES: args.command == Command::kSql.
int RunSqlCommand(const CliArgs& args);

}  // namespace cofre::cli

#endif  // COFRE_CLI_SQL_COMMAND_H_
