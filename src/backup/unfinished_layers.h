// Unfinished layers: the layer directories a backup started and never committed (no
// BACKUP_MANIFEST), and how cofre gets rid of them without ever touching another backup's.
//
// Invariants:
//  1. Before it writes anything into its layer directory, a backup has its owner record the
//     directory (LayerOwnership::claim: the sql layer stores it with the job) and then writes
//     BACKUP-LOCK (backup/backup_lock.h) as the directory's first object.
//  2. A backup that fails removes what it wrote before returning its error (UnfinishedLayerGuard,
//     best effort); a committed one deletes its BACKUP-LOCK.
//  3. A directory is removed later (RemoveAbandonedLayer) only when its owner asks for it by the
//     record of invariant 1 (its job is no longer running), it has no BACKUP_MANIFEST, and its
//     BACKUP-LOCK names that owner: the same data directory id and job id. A directory without a
//     BACKUP-LOCK is removed only when it holds no object at all (a kill while the lock itself
//     was being written leaves just a temp file and empty directories).
//  4. Nothing with a BACKUP_MANIFEST is ever removed, except by the backup that wrote it, while
//     it fails (the manifest went out and LATEST could not be written). When the owner finds
//     its own lock still beside a manifest (killed between the commit and the lock's deletion),
//     that lock goes, with what a torn write of LATEST left (local temp files of LATEST; a
//     concurrent writer of LATEST at that very moment would fail cleanly and remove its
//     backup, never damage one).
// Directories of other data directories, other machines and older cofre versions are never
// candidates, so concurrent backups into one collection are safe.
// Thread-safety: free functions over thread-safe storages; a guard is used by one thread.
#ifndef COFRE_BACKUP_UNFINISHED_LAYERS_H_
#define COFRE_BACKUP_UNFINISHED_LAYERS_H_

#include <functional>
#include <string>

#include "backup/backup_lock.h"
#include "backup/chain_storage.h"

namespace cofre {

// Stored in job records: never renumber.
enum class LayerKind { kFull = 1, kIncremental = 2 };

// The storage holding a layer's manifest and BACKUP-LOCK: the collection for a full backup,
// ChainStorage::layers() for an incremental one.
ExternalStorage& LayerHome(const ChainStorage& storage, LayerKind kind);

// What a backup needs to own its layer directory (invariant 1). Both parts may be empty (unit
// tests): then nothing is recorded and no BACKUP-LOCK is written.
struct LayerOwnership {
  BackupLock lock;  // written when lock.data_dir_id is not empty
  // Records that the caller's job owns `dir` (in LayerHome(kind)); an error fails the backup
  // before anything is written.
  std::function<Status(LayerKind kind, const std::string& dir)> claim;
};

// Claims `dir` and writes its BACKUP-LOCK. On error, nothing of the directory is left.
Status ClaimLayer(const ChainStorage& storage, LayerKind kind, const std::string& dir,
                  const LayerOwnership& ownership);

// Removes every file of layer directory `dir` in every storage of the chain that can hold its
// files (its home and the localities): the manifest first, the BACKUP-LOCK last, then what
// interrupted writes left there and the emptied directories. Stops at the first error (the lock
// stays, so the owner can try again).
Status RemoveLayerFiles(const ChainStorage& storage, LayerKind kind, const std::string& dir);

enum class AbandonedLayer {
  kRemoved,    // it was the owner's and is gone (or was already gone)
  kCommitted,  // it has a BACKUP_MANIFEST: a complete backup, left alone (but for its lock)
  kNotOwned,   // its BACKUP-LOCK names another owner, is unreadable, or it has files but no lock
};
// Removes layer directory `dir`, which the job `job_id` of the data directory `data_dir_id` once
// claimed and which is no longer being written, when invariant 3 allows it.
StatusOr<AbandonedLayer> RemoveAbandonedLayer(const ChainStorage& storage, LayerKind kind,
                                              const std::string& dir,
                                              const std::string& data_dir_id, int64_t job_id);

// Removes the layer directory of a failing backup when it goes out of scope, unless Commit()
// was called (invariant 2). Removal is best effort: its errors are dropped, the backup's own
// error is what the user sees.
class UnfinishedLayerGuard {
 public:
  UnfinishedLayerGuard(const ChainStorage& storage, LayerKind kind, std::string dir)
      : storage_(storage), kind_(kind), dir_(std::move(dir)) {}
  ~UnfinishedLayerGuard();
  UnfinishedLayerGuard(const UnfinishedLayerGuard&) = delete;
  UnfinishedLayerGuard& operator=(const UnfinishedLayerGuard&) = delete;

  // The layer is committed: keeps it, and deletes its BACKUP-LOCK (best effort).
  void Commit();
  // The layer stays unfinished, lock included, for a later run of its job to resume; its owner
  // removes it if the job is canceled instead.
  void Keep() { committed_ = true; }

 private:
  const ChainStorage& storage_;
  const LayerKind kind_;
  const std::string dir_;
  bool committed_ = false;
};

}  // namespace cofre

#endif  // COFRE_BACKUP_UNFINISHED_LAYERS_H_
