#include "cli/args.h"

#include <optional>

#include "sql/splitter.h"

namespace cofre::cli {
namespace {

enum class Flag { kUrl, kData, kDatabase, kFormat, kLocality, kExecute, kSet, kSetFile, kSetEnv };

struct FlagSpec {
  std::string_view name;  // as written, with its dashes
  Flag flag;
};

constexpr FlagSpec kFlags[] = {
    {"--data", Flag::kData},
    {"--database", Flag::kDatabase},
    {"--format", Flag::kFormat},
    {"--locality", Flag::kLocality},
    {"--execute", Flag::kExecute},
    {"-e", Flag::kExecute},
    {"-v", Flag::kSet},
    {"--set", Flag::kSet},
    {"--variable", Flag::kSet},
    {"--set-file", Flag::kSetFile},
    {"--set-env", Flag::kSetEnv},
    {"--url", Flag::kUrl},
};

std::optional<Flag> LookupFlag(std::string_view name) {
  for (const FlagSpec& spec : kFlags) {
    if (spec.name == name) return spec.flag;
  }
  return std::nullopt;
}

bool FlagAllowed(Command command, Flag flag) {
  switch (command) {
    case Command::kSql:
      return true;
    case Command::kDemo:
      return flag == Flag::kData;
    case Command::kHelp:
    case Command::kVersion:
      return false;
  }
  return false;
}

std::string_view CommandName(Command command) {
  switch (command) {
    case Command::kSql:
      return "sql";
    case Command::kDemo:
      return "demo";
    case Command::kVersion:
      return "version";
    case Command::kHelp:
      return "help";
  }
  return "help";
}

// NAME=VALUE of a variable flag.
StatusOr<VariableArg> ParseVariable(std::string_view flag, VariableArg::Source source,
                                    const std::string& text) {
  const size_t eq = text.find('=');
  VariableArg var;
  var.source = source;
  var.name = text.substr(0, eq);
  if (eq == std::string::npos || !sql::IsVariableName(var.name)) {
    return InvalidArgumentError("flag " + std::string(flag) + " takes NAME=" +
                                (source == VariableArg::Source::kFile  ? "PATH"
                                 : source == VariableArg::Source::kEnv ? "ENVIRONMENT_VARIABLE"
                                                                       : "VALUE") +
                                ", NAME being letters, digits and _");
  }
  var.value = text.substr(eq + 1);
  if (source != VariableArg::Source::kValue && var.value.empty()) {
    return InvalidArgumentError("flag " + std::string(flag) + " needs a non-empty " +
                                (source == VariableArg::Source::kFile ? "path" : "variable name"));
  }
  return var;
}

Status ApplyFlag(Flag flag, std::string_view name, std::string value, CliArgs* args) {
  if (value.empty() && flag != Flag::kExecute) {
    return InvalidArgumentError("flag " + std::string(name) + " needs a non-empty value");
  }
  switch (flag) {
    case Flag::kUrl:
      args->url = std::move(value);
      return Status::OK();
    case Flag::kData:
      args->data_dir = std::move(value);
      break;
    case Flag::kDatabase:
      args->database = std::move(value);
      break;
    case Flag::kFormat: {
      ASSIGN_OR_RETURN(args->format, ParseOutputFormat(value));
      break;
    }
    case Flag::kLocality:
      RETURN_IF_ERROR(ValidateLocality(value));
      args->locality = std::move(value);
      break;
    case Flag::kExecute:
      args->execute.push_back(std::move(value));
      break;
    case Flag::kSet:
    case Flag::kSetFile:
    case Flag::kSetEnv: {
      const VariableArg::Source source = flag == Flag::kSet       ? VariableArg::Source::kValue
                                         : flag == Flag::kSetFile ? VariableArg::Source::kFile
                                                                  : VariableArg::Source::kEnv;
      ASSIGN_OR_RETURN(VariableArg var, ParseVariable(name, source, value));
      args->variables.push_back(std::move(var));
      break;
    }
  }
  return Status::OK();
}

bool IsHelp(std::string_view arg) { return arg == "--help" || arg == "-h"; }

}  // namespace

Status ValidateLocality(std::string_view locality) {
  std::string_view rest = locality;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view pair = rest.substr(0, comma);
    const size_t eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == pair.size() ||
        pair.find('=', eq + 1) != std::string_view::npos) {
      return InvalidArgumentError("invalid --locality '" + std::string(locality) +
                                  "': expected key=value[,key=value...], e.g. "
                                  "region=us-east,zone=us-east-1a");
    }
    if (comma == std::string_view::npos) return Status::OK();
    rest.remove_prefix(comma + 1);
  }
}

StatusOr<CliArgs> ParseArgs(const std::vector<std::string>& args) {
  CliArgs parsed;
  if (args.empty()) return InvalidArgumentError("missing command: use sql, demo or version");
  const std::string& command = args[0];
  if (IsHelp(command) || command == "help") return parsed;  // kHelp
  if (command == "sql") {
    parsed.command = Command::kSql;
    parsed.data_dir = std::string(kDefaultDataDir);
  } else if (command == "demo") {
    parsed.command = Command::kDemo;
  } else if (command == "version" || command == "--version") {
    parsed.command = Command::kVersion;
  } else {
    return InvalidArgumentError("unknown command '" + command + "': use sql, demo or version");
  }
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (IsHelp(arg)) return CliArgs();  // kHelp
    const size_t eq = arg.find('=');
    const bool inline_value = arg.starts_with("-") && eq != std::string::npos;
    const std::string name = inline_value ? arg.substr(0, eq) : arg;
    const std::optional<Flag> flag = arg.starts_with("-") ? LookupFlag(name) : std::nullopt;
    if (!flag.has_value() || !FlagAllowed(parsed.command, *flag)) {
      const std::string where = "'cofre " + std::string(CommandName(parsed.command)) + "'";
      if (!arg.starts_with("-")) {
        return InvalidArgumentError("unexpected argument '" + arg + "' for " + where);
      }
      return InvalidArgumentError("unknown flag " + name + " for " + where);
    }
    std::string value;
    if (inline_value) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return InvalidArgumentError("flag " + name + " needs a value");
    }
    RETURN_IF_ERROR(ApplyFlag(*flag, name, std::move(value), &parsed));
  }
  return parsed;
}

std::string UsageText() {
  return R"(cofre: a SQL database on SQLite with CockroachDB-compatible encrypted BACKUP and RESTORE.

Usage:
  cofre sql  [--data DIR | --url URL] [--database NAME] [--format table|csv|tsv|json]
             [--locality key=value[,key=value...]] [-v NAME=VALUE]...
             [--set-file NAME=PATH]... [--set-env NAME=VAR]... [-e STMT]...
  cofre start [--data DIR] [--listen-addr HOST:PORT] [--http-addr HOST:PORT]
              [--certs-dir DIR | --insecure] [--locality K=V,...] [--log-dir DIR]
  cofre cert create-ca | create-node HOST... | create-client USER
             --certs-dir DIR --ca-key FILE [--lifetime DAYS] [--overwrite]
  cofre demo [--data DIR]
  cofre version

Commands:
  sql      Run SQL statements: each -e value (several ';'-separated statements allowed),
           else statements from stdin; on a terminal, an interactive shell.
  start    Serve the data directory over the PostgreSQL wire protocol (docs/server.md).
  cert     Create TLS certificates for the server and its clients.
  demo     Build a sample database, back it up, restore it and verify the copy.
  version  Print the version.

Flags:
  --data DIR         data directory (default ./cofre-data; created on first use);
                     demo: default is a new temporary directory
  --url URL          connect to a server (postgresql://user@host:port/db?sslmode=...;
                     PG* variables and ~/.pgpass apply; a password is prompted for)
  --database NAME    current database at start (default defaultdb)
  --format FORMAT    output format: table (default), csv, tsv or json
  --locality K=V,..  this node's locality, for locality-aware backups
  -e, --execute STMT statement(s) to run; may repeat
  -v, --set NAME=VALUE   set shell variable NAME; statements use it as :NAME, :'NAME'
                     (a string literal) or :"NAME" (a quoted identifier)
  --set-file NAME=PATH   set NAME to the contents of file PATH (one trailing newline
                     removed): secrets such as passphrases stay off the command line
  --set-env NAME=VAR     set NAME to the value of environment variable VAR
  -h, --help         show this help
)";
}

}  // namespace cofre::cli
