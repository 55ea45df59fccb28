// The interactive `cofre sql` shell on a terminal: line editing and history through libedit.
//
// Contract:
// - the prompt is "<current database>> "; while the text entered so far is not a complete
//   statement (sql::IsCompleteStatement), continuation lines are prompted with "-> ", right-
//   aligned under the prompt;
// - once complete, the text is added to the history (HistoryEntry: secrets redacted, lines
//   joined by spaces) and its statements are executed; an error is printed, skips the rest of
//   that input, and the shell goes on;
// - `\q`, `quit` and `exit` (optionally followed by ';') on a fresh line, or Ctrl-D, leave;
//   `\?` lists these commands; Ctrl-C abandons the text being entered; TAB inserts a tab;
// - history persists in `history_file` (at most kMaxHistory entries) when it is not empty; a
//   new file is created with mode 0600. Secrets never reach it: entries hide them as SHOW JOBS
//   descriptions do.
// While a statement runs, Ctrl-C has its default effect (it ends the process).
// Thread-safety: one interactive shell per process (libedit's readline state is global).
#ifndef COFRE_CLI_INTERACTIVE_SHELL_H_
#define COFRE_CLI_INTERACTIVE_SHELL_H_

#include <string>
#include <string_view>

#include "cli/shell.h"

namespace cofre::cli {

inline constexpr int kMaxHistory = 1000;

// Runs the interactive loop on the terminal until the user leaves. FailedPrecondition, before
// anything is read, when libedit cannot be loaded (cli/edit_library.h).
// REQUIRES: stdin is a terminal.
Status RunInteractiveShell(Shell* shell, const std::string& history_file);

// The history entry of `text` (complete statements, maybe followed by an unfinished one): its
// secrets hidden by sql::RedactStatementText (passphrases as '*****', credentials in URIs as
// "redacted"), its lines joined by spaces.
std::string HistoryEntry(std::string_view text);

// "$HOME/.cofre_history", or "" when HOME is unset.
std::string DefaultHistoryFile();

}  // namespace cofre::cli

#endif  // COFRE_CLI_INTERACTIVE_SHELL_H_
