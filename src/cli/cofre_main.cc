// The cofre binary: see cli/main.h for the command-line contract.
#include "cli/main.h"

int main(int argc, char** argv) { return cofre::cli::Main(argc, argv); }
