#include "cli/interactive_shell.h"

#include <fcntl.h>
#include <unistd.h>

#include <clocale>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>

#include "cli/edit_library.h"
#include "sql/describe.h"
#include "sql/splitter.h"

namespace cofre::cli {
namespace {

volatile std::sig_atomic_t interrupted = 0;

void OnInterrupt(int) { interrupted = 1; }

// Catches SIGINT while reading input: Ctrl-C abandons the input instead of ending the process.
// The previous disposition comes back on destruction (i.e. while statements run).
class InterruptCatcher {
 public:
  InterruptCatcher() {
    interrupted = 0;
    struct sigaction action = {};
    action.sa_handler = OnInterrupt;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: the blocked read returns
    sigaction(SIGINT, &action, &previous_);
  }
  ~InterruptCatcher() { sigaction(SIGINT, &previous_, nullptr); }
  InterruptCatcher(const InterruptCatcher&) = delete;
  InterruptCatcher& operator=(const InterruptCatcher&) = delete;

 private:
  struct sigaction previous_ = {};
};

std::string_view Trim(std::string_view s) {
  const size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  const size_t end = s.find_last_not_of(" \t\r\n");
  return s.substr(begin, end - begin + 1);
}

enum class MetaCommand { kNone, kQuit, kHelp, kUnknown };

MetaCommand ParseMetaCommand(std::string_view line) {
  std::string_view word = Trim(line);
  if (word.ends_with(';')) word = Trim(word.substr(0, word.size() - 1));
  if (word == "\\q" || word == "quit" || word == "exit") return MetaCommand::kQuit;
  if (word == "\\?" || word == "help") return MetaCommand::kHelp;
  if (word.starts_with("\\")) return MetaCommand::kUnknown;
  return MetaCommand::kNone;
}

constexpr std::string_view kHelpText =
    "Type SQL statements ending with ';'. Statements may span several lines.\n"
    "  \\q, quit, exit, Ctrl-D   leave the shell\n"
    "  \\?, help                 show this help\n"
    "  \\set NAME VALUE          set a variable; statements use it as :NAME, :'NAME' (a\n"
    "                           string literal) or :\"NAME\" (an identifier); \\set lists them\n"
    "  \\getenv NAME VAR         set a variable from environment variable VAR\n"
    "  \\unset NAME              remove a variable\n"
    "  Ctrl-C                   abandon the statement being typed\n";

class InteractiveLoop {
 public:
  InteractiveLoop(Shell* shell, std::string history_file, const EditLibrary& edit)
      : shell_(shell), history_file_(std::move(history_file)), edit_(edit) {}

  void Run() {
    // libedit reads and edits multibyte (UTF-8) characters only under the user's LC_CTYPE.
    std::setlocale(LC_CTYPE, "");
    *edit_.rl_readline_name = "cofre";
    *edit_.rl_inhibit_completion = 1;  // TAB inserts itself instead of completing file names
    edit_.using_history();
    edit_.stifle_history(kMaxHistory);
    if (!history_file_.empty()) {
      // Statements may hold secrets (passphrases, credentials): the file is private to the user.
      const int fd = open(history_file_.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
      if (fd >= 0) close(fd);
      edit_.read_history(history_file_.c_str());
    }
    std::string buffer;
    while (true) {
      std::unique_ptr<char, decltype(&std::free)> line(nullptr, &std::free);
      bool was_interrupted;
      {
        InterruptCatcher catcher;
        line.reset(edit_.readline(Prompt(buffer.empty()).c_str()));
        was_interrupted = interrupted != 0;
      }
      if (was_interrupted) {  // Ctrl-C: abandon the input
        std::fputs("^C\n", stdout);
        std::fflush(stdout);
        buffer.clear();
        continue;
      }
      if (line == nullptr) {  // Ctrl-D
        std::fputc('\n', stdout);
        break;
      }
      if (buffer.empty()) {
        const MetaCommand meta = ParseMetaCommand(line.get());
        if (meta == MetaCommand::kQuit) break;
        if (meta == MetaCommand::kHelp) {
          std::fputs(kHelpText.data(), stdout);
          std::fflush(stdout);
          continue;
        }
        if (meta == MetaCommand::kUnknown && ShellVariables::IsCommand(line.get())) {
          shell_->ExecuteVariableCommand(line.get()).IgnoreError();  // reported
          WipeText(line.get(), std::strlen(line.get()));
          continue;
        }
        if (meta == MetaCommand::kUnknown) {
          shell_->ReportError(
              InvalidArgumentError("unknown shell command '" + std::string(Trim(line.get())) + "'")
                  .WithHint("type \\? for the list of shell commands"));
          continue;
        }
        if (Trim(line.get()).empty()) continue;
        buffer = line.get();
      } else {
        buffer += "\n";
        buffer += line.get();
      }
      if (!sql::IsCompleteStatement(buffer)) continue;
      AddHistory(buffer);
      std::string rest;
      // After an error the rest of this input is skipped (it may depend on the failed
      // statement); the shell goes on with the next input.
      for (const std::string& statement : sql::SplitStatements(buffer, &rest)) {
        if (!shell_->Execute(statement).ok()) break;
      }
      buffer = Trim(rest).empty() ? std::string() : rest;
    }
    std::fflush(stdout);
  }

 private:
  std::string Prompt(bool fresh) const {
    std::string prompt = shell_->session()->current_database() + "> ";
    if (fresh) return prompt;
    const std::string continuation = "-> ";
    return std::string(
               prompt.size() > continuation.size() ? prompt.size() - continuation.size() : 0, ' ') +
           continuation;
  }

  void AddHistory(std::string_view text) {
    const std::string entry = HistoryEntry(text);
    if (entry.empty()) return;
    edit_.add_history(entry.c_str());
    if (!history_file_.empty()) edit_.write_history(history_file_.c_str());
  }

  Shell* const shell_;
  const std::string history_file_;
  const EditLibrary& edit_;
};

}  // namespace

std::string HistoryEntry(std::string_view text) {
  std::string entry = sql::RedactStatementText(Trim(text));
  for (char& c : entry) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return std::string(Trim(entry));
}

std::string DefaultHistoryFile() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') return std::string();
  return std::string(home) + "/.cofre_history";
}

Status RunInteractiveShell(Shell* shell, const std::string& history_file) {
  ASSIGN_OR_RETURN(const EditLibrary* edit, EditLibrary::Get());
  InteractiveLoop(shell, history_file, *edit).Run();
  return Status::OK();
}

}  // namespace cofre::cli
