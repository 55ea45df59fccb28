// SHOW BACKUP, SHOW BACKUP SCHEMAS and SHOW BACKUP FILES: result sets describing the layers of
// one backup chain (oldest first), in CockroachDB's columns.
// Thread-safety: pure functions.
#ifndef COFRE_BACKUP_SHOW_BACKUP_H_
#define COFRE_BACKUP_SHOW_BACKUP_H_

#include <vector>

#include "proto/backup_manifest.pb.h"
#include "util/result_set.h"

namespace cofre {

enum class ShowBackupKind { kObjects, kSchemas, kFiles };

ResultSet ShowBackupResult(const std::vector<proto::BackupManifest>& layers, ShowBackupKind kind);

}  // namespace cofre

#endif  // COFRE_BACKUP_SHOW_BACKUP_H_
