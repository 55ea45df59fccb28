// Entry point of the cofre command line: `cofre sql`, `cofre demo`, `cofre version`.
// Returns the process exit code (0 success, 1 on the first failed statement or bad usage).
#ifndef COFRE_CLI_MAIN_H_
#define COFRE_CLI_MAIN_H_

namespace cofre::cli {
int Main(int argc, char** argv);
}  // namespace cofre::cli

#endif  // COFRE_CLI_MAIN_H_
