#include "cli/main.h"

#include <cstdio>
#include <cstring>

namespace cofre::cli {
int Main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "version") == 0) {
    std::printf("cofre 0.1.0\n");
    return 0;
  }
  std::fprintf(stderr, "usage: cofre sql|demo|version\n");
  return 1;
}
}  // namespace cofre::cli
