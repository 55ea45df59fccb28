// ChainStorage: where the files of one backup chain live. The collection holds LATEST, the full
// backup (ENCRYPTION-INFO, manifest, data) and, by default, the incremental layers under
// "incrementals/". With incremental_location, incremental layers live in another storage
// instead, at "<full subdir>/<YYYYMMDD>/<HHMMSS.ss>/" (as CockroachDB lays them out), and their
// data files are marked in the manifest so readers know where to find them.
//
// A locality-aware chain (backup/locality.h) also has one collection per non-default locality:
// data files written by a node of that locality go there, at the same
// path relative to the collection as in the default one; every DataFile records its locality.
// Manifests, ENCRYPTION-INFO and LATEST stay in the default collection. (cofre refuses
// incremental_location for locality-aware chains, so the two never combine.)
// Thread-safety: a plain value over thread-safe storages.
#ifndef COFRE_BACKUP_CHAIN_STORAGE_H_
#define COFRE_BACKUP_CHAIN_STORAGE_H_

#include <map>
#include <string>

#include "proto/backup_manifest.pb.h"
#include "storage/external_storage.h"
#include "util/status.h"

namespace cofre {

struct ChainStorage {
  ExternalStorage* collection = nullptr;            // the default collection
  ExternalStorage* incremental_location = nullptr;  // null: layers inside the collection
  // The collection of each non-default locality, by tier ("region=us-west").
  std::map<std::string, ExternalStorage*> localities;
  // The locality new data files go to: a key of `localities`, or "" for the default.
  std::string write_locality;

  // The storage incremental layers are written to and listed from.
  ExternalStorage& layers() const {
    return incremental_location ? *incremental_location : *collection;
  }
  // The prefix of incremental layer directories in layers().
  std::string layers_prefix() const { return incremental_location ? "" : "incrementals/"; }
  // The storage that holds `file`. REQUIRES: Covers() accepted the
  // manifest naming `file`.
  ExternalStorage& For(const proto::DataFile& file) const {
    if (!file.locality().empty()) {
      auto it = localities.find(file.locality());
      if (it != localities.end()) return *it->second;
    }
    return file.in_incremental_location() && incremental_location ? *incremental_location
                                                                  : *collection;
  }
  // The storage new data files of layer `layer` (0 = the full backup) are written to.
  ExternalStorage& DataFor(uint32_t layer) const {
    if (!write_locality.empty()) return *localities.at(write_locality);
    return ForLayer(layer);
  }
  // The storage that holds the manifest of layer `layer` (0 = the full backup).
  ExternalStorage& ForLayer(uint32_t layer) const { return layer == 0 ? *collection : layers(); }
  // Records in `file`, a new data file of layer `layer`, where DataFor(layer) put it.
  void MarkWritten(uint32_t layer, proto::DataFile* file) const {
    file->set_in_incremental_location(layer > 0 && incremental_location != nullptr);
    file->set_locality(write_locality);
  }
  // The same for every file of the spans of `table` from span `first` on, all new files of layer
  // `layer`.
  void MarkWritten(uint32_t layer, proto::Table* table, int first = 0) const {
    for (int i = first; i < table->spans_size(); ++i) {
      for (auto& file : *table->mutable_spans(i)->mutable_files()) MarkWritten(layer, &file);
    }
  }

  // OK when every data file `manifest` names is in a storage of this chain; otherwise
  // FailedPrecondition naming the first missing locality and the backup (`display`).
  Status Covers(const proto::BackupManifest& manifest, const std::string& display) const;
};

}  // namespace cofre

#endif  // COFRE_BACKUP_CHAIN_STORAGE_H_
