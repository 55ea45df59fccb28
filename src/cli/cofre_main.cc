// The cofre binary: see cli/main.h for the command-line contract.
#include <malloc.h>

#include "cli/main.h"

int main(int argc, char** argv) {
  // Buffers of 1 MiB and more (upload parts, read windows, sort runs) are mmapped and go back to
  // the system when freed. glibc otherwise raises its mmap threshold after the first such free
  // and serves later ones from per-thread arenas, which keep the memory: with S3 or Azure parts
  // moving between threads, that alone cost 8-10 MiB of peak RSS (docs/storage.md, "Memory").
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  return cofre::cli::Main(argc, argv);
}
