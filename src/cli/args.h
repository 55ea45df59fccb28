// Command-line parsing for the cofre binary (docs/architecture.md §1):
//
//   cofre sql  [--data DIR] [--database NAME] [--format table|csv|tsv|json]
//              [--locality k=v[,k=v]...] [-v NAME=VALUE] [--set-file NAME=PATH]
//              [--set-env NAME=VAR] [-e STMT]...
//   cofre demo [--data DIR]
//   cofre version
//
// Flags take their value as the next argument or after '=' (`--data=DIR`, `-e=STMT`);
// `--execute` is a long form of `-e`; `--set` and `--variable` of `-v`. A repeated flag keeps its
// last value, except -e and the variable flags, whose values accumulate in order. `--help`/`-h`
// anywhere (and `cofre help`) asks for the usage text. ParseArgs() fails with InvalidArgument on an
// unknown command or flag, a missing or empty value, an unknown format, a malformed locality or a
// stray positional argument; the message is meant for stderr, followed by a pointer to `cofre
// --help`. Thread-safety: pure functions.
#ifndef COFRE_CLI_ARGS_H_
#define COFRE_CLI_ARGS_H_

#include <string>
#include <string_view>
#include <vector>

#include "cli/formatter.h"
#include "util/status.h"

namespace cofre::cli {

enum class Command { kHelp, kSql, kDemo, kVersion };

inline constexpr std::string_view kDefaultDataDir = "./cofre-data";

// One shell variable given on the command line (cli/shell_variables.h). Only its name and where
// to find the value are in argv for --set-file and --set-env.
struct VariableArg {
  enum class Source {
    kValue,  // -v/--set NAME=VALUE: `value` is the value
    kFile,   // --set-file NAME=PATH: `value` is the path of a file holding the value
    kEnv,    // --set-env NAME=VAR: `value` is the name of an environment variable
  };
  Source source = Source::kValue;
  std::string name;
  std::string value;
};

struct CliArgs {
  Command command = Command::kHelp;
  // `--data`. For `sql` it defaults to kDefaultDataDir; for `demo` it stays empty unless given
  // (the demo then uses a fresh directory of its own).
  std::string data_dir;
  std::string database = "defaultdb";
  OutputFormat format = OutputFormat::kTable;
  std::string locality;                // empty: the data directory's remembered locality
  std::string url;                     // `--url`: a server to connect to instead of --data
  std::vector<std::string> execute;    // -e values, in order
  std::vector<VariableArg> variables;  // in order; a later one for a name wins
};

// Parses the arguments after the program name.
StatusOr<CliArgs> ParseArgs(const std::vector<std::string>& args);

// Checks a `--locality` value: comma-separated key=value pairs with non-empty keys and values.
Status ValidateLocality(std::string_view locality);

// The text `cofre --help` prints.
std::string UsageText();

}  // namespace cofre::cli

#endif  // COFRE_CLI_ARGS_H_
