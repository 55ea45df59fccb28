// SeenLayers: what a data directory remembers of the backup chains it wrote or read, so that a
// chain found shorter than before (its newest incremental layers deleted or hidden) or a LATEST
// rewound to an older full backup is noticed instead of restored silently (docs/robustness.md,
// "Hostile storage").
//
// For each collection (its redacted URI: never a secret), place of the incremental layers (the
// redacted incremental_location URI, or "" for the collection's incrementals/: a chain read
// without its incremental_location legitimately ends at its full backup) and full backup subdir,
// it keeps the
// chain id (hex; empty for unencrypted chains), the full backup's end time, and the newest layer
// it saw: number, directory and end time. Records only move forward. The table
// `seen_layers` lives in the system database (docs/robustness.md, "Hostile storage").
// Thread-safety: one thread at a time per object, like the DataDir it uses; several processes
// may share a data directory (each update is one statement).
#ifndef COFRE_BACKUP_SEEN_LAYERS_H_
#define COFRE_BACKUP_SEEN_LAYERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/data_dir.h"
#include "proto/backup_manifest.pb.h"

namespace cofre {

class SeenLayers {
 public:
  // `dir` must outlive the object.
  explicit SeenLayers(DataDir* dir) : dir_(dir) {}

  // Remembers `layers` (a chain's manifests, oldest first, as read from `collection_uri`):
  // the newest of them becomes the chain's newest seen layer unless a newer one is known.
  Status Record(const std::string& collection_uri, const std::string& layers_uri,
                const std::vector<proto::BackupManifest>& layers);
  // Remembers one layer written to `collection_uri`: layer `layer` (directory `layer_dir`,
  // ending at `end_micros`) of the chain of full backup `full_subdir` (id `chain_id`, raw bytes;
  // ending at `full_end_micros`).
  Status RecordLayer(const std::string& collection_uri, const std::string& layers_uri,
                     const std::string& full_subdir, const std::string& chain_id,
                     int64_t full_end_micros, uint32_t layer, const std::string& layer_dir,
                     int64_t end_micros);

  // What is wrong with reading `layers` of `collection_uri` (resolved through LATEST when
  // `via_latest`), given what this data directory saw before: one sentence per finding, empty
  // when nothing is known to be newer. Findings:
  //  - the chain ends at an earlier layer than one seen (its newest layers are gone);
  //  - the chain id differs from the one seen at that subdir (another chain took its place);
  //  - via LATEST: a full backup newer than the one LATEST names was seen in the collection.
  StatusOr<std::vector<std::string>> FindOlder(const std::string& collection_uri,
                                               const std::string& layers_uri,
                                               const std::vector<proto::BackupManifest>& layers,
                                               bool via_latest);

 private:
  Status Init();
  DataDir* dir_;
  bool initialized_ = false;
};

}  // namespace cofre

#endif  // COFRE_BACKUP_SEEN_LAYERS_H_
