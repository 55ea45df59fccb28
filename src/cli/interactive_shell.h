// The interactive `cofre sql` shell on a terminal: line editing and history through libedit.
//
// Contract:
// - the prompt is "<current database>> "; while the text entered so far is not a complete
//   statement (sql::IsCompleteStatement), continuation lines are prompted with "-> ", right-
//   aligned under the prompt;
// - once complete, the text is added to the history (lines joined by spaces) and its statements
//   are executed; an error is printed, skips the rest of that input, and the shell goes on;
// - `\q`, `quit` and `exit` (optionally followed by ';') on a fresh line, or Ctrl-D, leave;
//   `\?` lists these commands; Ctrl-C abandons the text being entered; TAB inserts a tab;
// - history persists in `history_file` (at most kMaxHistory entries) when it is not empty; a
//   new file is created with mode 0600, as statements may hold secrets.
// While a statement runs, Ctrl-C has its default effect (it ends the process).
// Thread-safety: one interactive shell per process (libedit's readline state is global).
#ifndef COFRE_CLI_INTERACTIVE_SHELL_H_
#define COFRE_CLI_INTERACTIVE_SHELL_H_

#include <string>

#include "cli/shell.h"

namespace cofre::cli {

inline constexpr int kMaxHistory = 1000;

// Runs the interactive loop on the terminal until the user leaves.
// REQUIRES: stdin is a terminal.
void RunInteractiveShell(Shell* shell, const std::string& history_file);

// "$HOME/.cofre_history", or "" when HOME is unset.
std::string DefaultHistoryFile();

}  // namespace cofre::cli

#endif  // COFRE_CLI_INTERACTIVE_SHELL_H_
