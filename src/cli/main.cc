#include "cli/main.h"

#include <cstdio>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/cert_command.h"
#include "cli/demo.h"
#include "cli/sql_command.h"
#include "cli/start_command.h"
#include "util/version.h"

namespace cofre::cli {

int Main(int argc, char** argv) {
  const std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  if (!args.empty() && args[0] == "cert") {
    return RunCertCommand(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  if (!args.empty() && args[0] == "start") {
    return RunStartCommand(std::vector<std::string>(args.begin() + 1, args.end()));
  }
  StatusOr<CliArgs> parsed = ParseArgs(args);
  if (!parsed.ok()) {
    std::fprintf(stderr, "cofre: %s\nTry 'cofre --help'.\n", parsed.status().message().c_str());
    return 1;
  }
  switch (parsed->command) {
    case Command::kHelp:
      std::fputs(UsageText().c_str(), stdout);
      return 0;
    case Command::kVersion:
      std::printf("cofre %s\n", kCofreVersion);
      return 0;
    case Command::kSql:
      return RunSqlCommand(*parsed);
    case Command::kDemo:
      return RunDemo(DemoOptions{parsed->data_dir});
  }
  return 1;
}

}  // namespace cofre::cli
