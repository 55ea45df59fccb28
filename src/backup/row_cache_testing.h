// Manifests for the row cache's tests (row_cache_test.cc, cell_digests_test.cc): a chain's full
// backup, and its layers holding one table, d.t.
#ifndef COFRE_BACKUP_ROW_CACHE_TESTING_H_
#define COFRE_BACKUP_ROW_CACHE_TESTING_H_

#include <cstdint>
#include <string>

#include "proto/backup_manifest.pb.h"

namespace cofre::row_cache_testing {

// The full backup of chain "chain" in `subdir`, ended at 1000 µs.
inline proto::BackupManifest FullManifest(const std::string& subdir) {
  proto::BackupManifest m;
  m.set_chain_id("chain");
  m.set_full_subdir(subdir);
  m.set_layer_dir(subdir);
  m.set_end_time_micros(1000);
  return m;
}

// Layer `layer` of `full`'s chain, its table d.t of `rows` rows and `bytes` bytes.
inline proto::BackupManifest LayerManifest(const proto::BackupManifest& full, uint32_t layer,
                                           uint64_t rows, uint64_t bytes) {
  proto::BackupManifest m = full;
  m.set_layer(layer);
  if (layer > 0) m.set_layer_dir("incrementals/x/" + std::to_string(layer));
  m.set_end_time_micros(1000 + layer);
  auto* database = m.add_databases();
  database->set_name("d");
  auto* table = database->add_tables();
  table->set_name("t");
  table->set_rows(rows);
  table->set_logical_bytes(bytes);
  return m;
}

}  // namespace cofre::row_cache_testing

#endif  // COFRE_BACKUP_ROW_CACHE_TESTING_H_
