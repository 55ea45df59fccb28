// ChainStorage: where the files of one backup chain live. The collection holds LATEST, the full
// backup (ENCRYPTION-INFO, manifest, data) and, by default, the incremental layers under
// "incrementals/". With incremental_location, incremental layers live in another storage
// instead, at "<full subdir>/<YYYYMMDD>/<HHMMSS.ss>/" (as CockroachDB lays them out), and their
// data files are marked in the manifest so readers know where to find them.
// Thread-safety: a plain value over thread-safe storages.
#ifndef COFRE_BACKUP_CHAIN_STORAGE_H_
#define COFRE_BACKUP_CHAIN_STORAGE_H_

#include <string>

#include "proto/backup_manifest.pb.h"
#include "storage/external_storage.h"

namespace cofre {

struct ChainStorage {
  ExternalStorage* collection = nullptr;
  ExternalStorage* incremental_location = nullptr;  // null: layers inside the collection

  // The storage incremental layers are written to and listed from.
  ExternalStorage& layers() const {
    return incremental_location ? *incremental_location : *collection;
  }
  // The prefix of incremental layer directories in layers().
  std::string layers_prefix() const { return incremental_location ? "" : "incrementals/"; }
  // The storage that holds `file`.
  ExternalStorage& For(const proto::DataFile& file) const {
    return file.in_incremental_location() && incremental_location ? *incremental_location
                                                                   : *collection;
  }
  // The storage that holds the manifest of layer `layer` (0 = the full backup).
  ExternalStorage& ForLayer(uint32_t layer) const { return layer == 0 ? *collection : layers(); }
};

}  // namespace cofre

#endif  // COFRE_BACKUP_CHAIN_STORAGE_H_
