// Entry point of the cofre command line: `cofre sql`, `cofre demo`, `cofre version` (see
// cli/args.h for the flags). Bad usage prints a message and a pointer to `cofre --help` on stderr.
// Returns the process exit code: 0 on success, 1 on bad usage, on the first failed statement of
// a non-interactive run, or on a failed demo.
#ifndef COFRE_CLI_MAIN_H_
#define COFRE_CLI_MAIN_H_

namespace cofre::cli {
int Main(int argc, char** argv);
}  // namespace cofre::cli

#endif  // COFRE_CLI_MAIN_H_
