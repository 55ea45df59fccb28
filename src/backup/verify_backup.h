// VerifyBackupData: RESTORE ... WITH schema_only, verify_backup_table_data. Reads every data file
// a restore of the chosen tables would read, as a restore reads it (SpanReader through
// SpanPrefetcher: storage, size and SHA-256 or authentication, decryption, decompression, record
// decoding, end record and record count, the merge of each span's files), decodes every live
// row, and checks it against the manifest: a row's key and column counts, each span's and each
// table's row count. Writes nothing.
//
// A damaged span does not stop the check: every problem found is reported (DataLoss naming the
// file or span and the table), up to a limit; storage errors other than damage (Unavailable,
// PermissionDenied, ...) stop it at once. Memory is bounded by the prefetchers' blocks (a few
// spans ahead, a few MiB), whatever the size of the backup.
// Thread-safety: one call per thread; it runs a background thread per span read ahead.
#ifndef COFRE_BACKUP_VERIFY_BACKUP_H_
#define COFRE_BACKUP_VERIFY_BACKUP_H_

#include <functional>
#include <string>
#include <vector>

#include "backup/chain_storage.h"
#include "backup/stored_file.h"
#include "proto/backup_manifest.pb.h"

namespace cofre {

struct VerifyTarget {
  std::string database;  // name in the backup
  const proto::Table* table = nullptr;
};

struct VerifyRequest {
  ChainStorage storage;
  ChainCrypto crypto;
  std::vector<VerifyTarget> tables;  // in the order to read them
  // Called with the fraction done (0..1), by logical bytes read.
  std::function<void(double)> progress;
  // How many problems are listed in the error before "and N more".
  size_t max_listed_problems = 20;
};

struct VerifyResult {
  uint64_t rows = 0;           // live rows read (spans read file by file: row records read)
  uint64_t files = 0;          // data files read
  uint64_t logical_bytes = 0;  // as the manifest counts them
};

// OK with counts when every file and row checks out; DataLoss listing the problems otherwise.
StatusOr<VerifyResult> VerifyBackupData(const VerifyRequest& request);

}  // namespace cofre

#endif  // COFRE_BACKUP_VERIFY_BACKUP_H_
