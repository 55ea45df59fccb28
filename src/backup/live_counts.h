// LiveCounts: rows and logical bytes a running BACKUP or RESTORE has done so far, for progress
// reports (SHOW JOBS' job record, the shell's progress line). A BACKUP counts what its finished
// work items wrote (an incremental: changed rows); a RESTORE the logical bytes of the backup files
// it applied, and rows in proportion of the manifest's row counts.
// Thread-safety: updated by any worker thread, read by any thread.
#ifndef COFRE_BACKUP_LIVE_COUNTS_H_
#define COFRE_BACKUP_LIVE_COUNTS_H_

#include <atomic>
#include <cstdint>

namespace cofre {

struct LiveCounts {
  std::atomic<uint64_t> rows{0};
  std::atomic<uint64_t> bytes{0};
};

}  // namespace cofre

#endif  // COFRE_BACKUP_LIVE_COUNTS_H_
