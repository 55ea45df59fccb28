// BackupLock: the ownership note a backup writes first into the layer directory it is about to
// fill ("BACKUP-LOCK", docs/format.md §1). It says which data directory and which job write the
// directory, from which process and host, since when, so that only the owner ever removes the
// directory if the backup never finishes (backup/unfinished_layers.h). It holds nothing secret
// and nothing about schemas or values. Once the layer is committed (manifest, then LATEST) the
// note is deleted; a note left beside a manifest (a crash in between) means nothing.
//
// Text format, one "key value" pair per line after a version line:
//   cofre-backup-lock 1
//   data_dir_id 3f9c...   (32 hex digits: the data directory's random id)
//   job_id 1023456789012345678
//   pid 4242
//   host build-7
//   started 1795000000000000  (microseconds since the epoch, UTC)
// Readers ignore unknown keys (later versions may add some).
// Thread-safety: pure functions.
#ifndef COFRE_BACKUP_BACKUP_LOCK_H_
#define COFRE_BACKUP_BACKUP_LOCK_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace cofre {

struct BackupLock {
  std::string data_dir_id;
  int64_t job_id = 0;
  int64_t pid = 0;
  std::string host;  // printable ASCII without spaces; others are replaced by '_'
  int64_t started_micros = 0;

  bool operator==(const BackupLock&) const = default;
};

std::string EncodeBackupLock(const BackupLock& lock);
// DataLoss when `text` is not a version 1 lock note or lacks data_dir_id or job_id.
StatusOr<BackupLock> ParseBackupLock(std::string_view text);

}  // namespace cofre

#endif  // COFRE_BACKUP_BACKUP_LOCK_H_
