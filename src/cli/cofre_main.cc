// The cofre binary: see cli/main.h for the command-line contract.
#include <malloc.h>

#include "cli/main.h"

int main(int argc, char** argv) {
  // Buffers of 1 MiB and more (upload parts, read windows, sort runs) are mmapped and go back to
  // the system when freed. glibc otherwise raises its mmap threshold after the first such free
  // and serves later ones from per-thread arenas, which keep the memory: with S3 or Azure parts
  // moving between threads, that alone cost 8-10 MiB of peak RSS (docs/storage.md, "Memory").
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  // Smaller blocks stay with the heap when freed, up to 4 MiB of it at the heap's top (glibc's
  // default gives back anything past 128 KiB): every page given back is faulted in again by the
  // next allocation, and a fault costs microseconds on a virtual machine. Without it a 1%
  // incremental of 1 GiB took 5-10% longer in alternating runs, a restore faulted 55k pages
  // rather than 35k; 16 MiB was no faster than 4, and cost a restore 3-5 MiB of peak RSS
  // (docs/performance.md).
  mallopt(M_TRIM_THRESHOLD, 4 << 20);
  return cofre::cli::Main(argc, argv);
}
