#include "backup/unfinished_layers.h"

#include <vector>

#include "backup/collection.h"

namespace cofre {
namespace {

// The storages that may hold files of a layer directory: its home first, then the localities.
std::vector<ExternalStorage*> LayerStorages(const ChainStorage& storage, LayerKind kind) {
  std::vector<ExternalStorage*> out{&LayerHome(storage, kind)};
  for (const auto& [name, s] : storage.localities) {
    bool seen = false;
    for (ExternalStorage* o : out) seen = seen || o == s;
    if (!seen) out.push_back(s);
  }
  return out;
}

StatusOr<std::vector<std::string>> ListObjects(ExternalStorage& storage, const std::string& dir) {
  std::vector<std::string> out;
  RETURN_IF_ERROR(storage.List(dir + "/", "", [&](const ListEntry& e) {
    if (!e.is_prefix) out.push_back(e.path);
    return Status::OK();
  }));
  return out;
}

StatusOr<bool> Exists(ExternalStorage& storage, const std::string& path) {
  StatusOr<uint64_t> size = storage.Size(path);
  if (size.ok()) return true;
  if (IsNotFound(size.status())) return false;
  return size.status();
}

}  // namespace

ExternalStorage& LayerHome(const ChainStorage& storage, LayerKind kind) {
  return kind == LayerKind::kFull ? *storage.collection : storage.layers();
}

Status ClaimLayer(const ChainStorage& storage, LayerKind kind, const std::string& dir,
                  const LayerOwnership& ownership) {
  if (ownership.claim) RETURN_IF_ERROR(ownership.claim(kind, dir));
  if (ownership.lock.data_dir_id.empty()) return Status::OK();
  ExternalStorage& home = LayerHome(storage, kind);
  Status st =
      WriteSmallFile(home, dir + "/" + collection::kLockFile, EncodeBackupLock(ownership.lock));
  // A failed writer removes its temp file; the directories it created go too.
  if (!st.ok()) home.RemoveLeftovers(dir).IgnoreError();
  return st;
}

Status RemoveLayerFiles(const ChainStorage& storage, LayerKind kind, const std::string& dir) {
  ExternalStorage& home = LayerHome(storage, kind);
  const std::string manifest = dir + "/" + collection::kManifestFile;
  const std::string lock = dir + "/" + collection::kLockFile;
  // The manifest first: from then on the directory is no longer a backup anyone lists.
  RETURN_IF_ERROR(home.Delete(manifest));
  for (ExternalStorage* s : LayerStorages(storage, kind)) {
    ASSIGN_OR_RETURN(std::vector<std::string> paths, ListObjects(*s, dir));
    for (const std::string& path : paths) {
      if (s == &home && path == lock) continue;
      RETURN_IF_ERROR(s->Delete(path));
    }
    RETURN_IF_ERROR(s->RemoveLeftovers(dir));
  }
  // The lock last: until it goes, the owner can find and finish this removal.
  RETURN_IF_ERROR(home.Delete(lock));
  return home.RemoveLeftovers(dir);
}

StatusOr<AbandonedLayer> RemoveAbandonedLayer(const ChainStorage& storage, LayerKind kind,
                                              const std::string& dir,
                                              const std::string& data_dir_id, int64_t job_id) {
  ExternalStorage& home = LayerHome(storage, kind);
  ASSIGN_OR_RETURN(bool committed, Exists(home, dir + "/" + collection::kManifestFile));
  StatusOr<std::string> text = ReadSmallFile(home, dir + "/" + collection::kLockFile, 4096);
  auto owned = [&](const std::string& lock_text) {
    StatusOr<BackupLock> lock = ParseBackupLock(lock_text);
    return lock.ok() && lock->data_dir_id == data_dir_id && lock->job_id == job_id;
  };
  if (committed) {
    // Killed between the commit and the lock's deletion (maybe while LATEST was written): the
    // stale lock goes, and so does a full backup's torn LATEST write.
    if (text.ok() && owned(*text)) {
      if (kind == LayerKind::kFull) {
        RETURN_IF_ERROR(home.RemoveInterruptedWrites(collection::kLatestFile));
      }
      RETURN_IF_ERROR(home.Delete(dir + "/" + collection::kLockFile));
    }
    return AbandonedLayer::kCommitted;
  }
  if (!text.ok()) {
    if (!IsNotFound(text.status())) return text.status();
    // No lock: the owner was killed while writing it (only its temp file can be there), or the
    // files are someone else's.
    for (ExternalStorage* s : LayerStorages(storage, kind)) {
      ASSIGN_OR_RETURN(std::vector<std::string> paths, ListObjects(*s, dir));
      if (!paths.empty()) return AbandonedLayer::kNotOwned;
    }
    for (ExternalStorage* s : LayerStorages(storage, kind)) {
      RETURN_IF_ERROR(s->RemoveLeftovers(dir));
    }
    return AbandonedLayer::kRemoved;
  }
  if (!owned(*text)) return AbandonedLayer::kNotOwned;
  RETURN_IF_ERROR(RemoveLayerFiles(storage, kind, dir));
  return AbandonedLayer::kRemoved;
}

UnfinishedLayerGuard::~UnfinishedLayerGuard() {
  if (!committed_) RemoveLayerFiles(storage_, kind_, dir_).IgnoreError();
}

void UnfinishedLayerGuard::Commit() {
  committed_ = true;
  LayerHome(storage_, kind_).Delete(dir_ + "/" + collection::kLockFile).IgnoreError();
}

}  // namespace cofre
