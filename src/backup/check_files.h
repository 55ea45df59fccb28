// CheckBackupFiles: SHOW BACKUP ... WITH check_files. Every data file that any layer of a chain
// names must be present in its storage with the size its manifest records. Only sizes are
// read (one metadata request per file); contents are checked by RESTORE ... WITH schema_only,
// verify_backup_table_data (backup/verify_backup.h).
// Thread-safety: a pure function over thread-safe storages.
#ifndef COFRE_BACKUP_CHECK_FILES_H_
#define COFRE_BACKUP_CHECK_FILES_H_

#include <string>
#include <vector>

#include "backup/chain_storage.h"
#include "proto/backup_manifest.pb.h"

namespace cofre {

struct CheckFilesResult {
  uint64_t files = 0;       // distinct data files checked
  uint64_t file_bytes = 0;  // their recorded sizes
  // One sentence per missing or wrongly sized file, naming the file, its table and layer.
  std::vector<std::string> problems;
};

// Checks the files of `layers` (a chain's manifests, oldest first). Errors other than a missing
// file (the storage is unreachable, access denied) are returned as they are.
StatusOr<CheckFilesResult> CheckBackupFiles(const ChainStorage& storage,
                                            const std::vector<proto::BackupManifest>& layers);

}  // namespace cofre

#endif  // COFRE_BACKUP_CHECK_FILES_H_
