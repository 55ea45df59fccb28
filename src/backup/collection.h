// Collection: the layout of a backup collection on storage (docs/architecture.md §3, docs/format.md
// §1).
//
//   LATEST                                     "/<full subdir>" of the newest full backup
//   <YYYY>/<MM>/<DD>-<HHMMSS>.<ss>/            a full backup, named by its UTC end time
//     ENCRYPTION-INFO, BACKUP_MANIFEST, data/<n>.cfd
//   incrementals/<full subdir>/<YYYYMMDD>/<HHMMSS>.<ss>/   incremental layers
// A backup directory without a BACKUP_MANIFEST is unfinished and is ignored by listing and
// restore; backup/unfinished_layers.h removes the ones a data directory's failed runs left.
// Thread-safety: free functions over a thread-safe ExternalStorage.
#ifndef COFRE_BACKUP_COLLECTION_H_
#define COFRE_BACKUP_COLLECTION_H_

#include <functional>
#include <string>
#include <vector>

#include "storage/external_storage.h"

namespace cofre::collection {

inline constexpr char kLatestFile[] = "LATEST";
inline constexpr char kManifestFile[] = "BACKUP_MANIFEST";
inline constexpr char kEncryptionInfoFile[] = "ENCRYPTION-INFO";
inline constexpr char kIncrementalsDir[] = "incrementals";
// The ownership note of a layer directory being written (backup/backup_lock.h).
inline constexpr char kLockFile[] = "BACKUP-LOCK";

// "2026/11/28-145137.12" for an end time in microseconds since the epoch (UTC).
std::string FullSubdir(int64_t end_micros);
// "20261128/145137.12": an incremental layer's path below incrementals/<full subdir>/.
std::string IncrementalSubdir(int64_t end_micros);
// Normalises a user-given subdir ("/2026/11/28-145137.12" or without the slash). InvalidArgument
// when it does not have the shape of a full backup's subdir.
StatusOr<std::string> NormalizeSubdir(const std::string& text);
// How SHOW BACKUPS and LATEST print a subdir: with a leading '/'.
std::string DisplaySubdir(const std::string& subdir);

// The full backups of the collection (those with a manifest), oldest first.
StatusOr<std::vector<std::string>> ListFullBackups(ExternalStorage& storage);
// The incremental layer directories of a full backup, finished or not, oldest first, as paths
// relative to the root of `storage`, found under `<prefix><full_subdir>/` (prefix
// "incrementals/" inside a collection, "" in an incremental_location). A layer is finished when
// it has a manifest: the caller reads each manifest and skips the layers that have none.
StatusOr<std::vector<std::string>> ListIncrementalDirs(ExternalStorage& storage,
                                                       const std::string& prefix,
                                                       const std::string& full_subdir);
// "<prefix><full subdir>/<YYYYMMDD>/<HHMMSS>.<ss>": an incremental layer's directory.
std::string IncrementalLayerDir(const std::string& prefix, const std::string& full_subdir,
                                int64_t end_micros);
// Resolves "LATEST" (reading the LATEST file) or a given subdir, checking that its manifest
// exists. NotFound with a clear message when the collection or the backup is absent.
StatusOr<std::string> ResolveFullBackup(ExternalStorage& storage, const std::string& spec);
// The same without the check, for a caller that reads the manifest at once and turns its
// NotFound into BackupNotFoundError (one request less).
StatusOr<std::string> ResolveFullBackupName(ExternalStorage& storage, const std::string& spec);
// NotFound: full backup `subdir` has no manifest in `storage`.
Status BackupNotFoundError(const ExternalStorage& storage, const std::string& subdir);
// The first of `name(micros)`, `name(micros + 10 ms)`, ... that has neither a BACKUP_MANIFEST nor
// a BACKUP-LOCK yet in `storage`: two backups ending in the same hundredth of a second would
// otherwise share a directory (it waits those 10 ms, so names stay ordered by time). A name is
// also taken when this process handed it out for the same storage in the last 10 minutes: two
// backups of one server (a schedule's and a statement's) may both look before either has
// written its BACKUP-LOCK. Thread-safe: concurrent calls are serialized.
StatusOr<std::string> FreeLayerDir(ExternalStorage& storage,
                                   const std::function<std::string(int64_t)>& name, int64_t micros);
// Writes LATEST.
Status WriteLatest(ExternalStorage& storage, const std::string& full_subdir);

// Formats microseconds since the epoch as "2026-11-28 14:51:37.123456" (UTC).
std::string FormatTimestamp(int64_t micros);

}  // namespace cofre::collection

#endif  // COFRE_BACKUP_COLLECTION_H_
