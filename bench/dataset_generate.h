// Generation of the benchmark dataset: a deterministic SQLite database of
// about a requested size (see dataset_rows.h for its tables).
//
// Rows are bulk-inserted in rowid order with the rollback journal off, then
// the secondary indexes are built by sorting, then the database is switched
// to WAL mode. Tables grow together, in the proportions of a shop: per 64
// customers, ~256 orders, ~768 order items and ~800 events.
// Thread-safety: Generate may run concurrently only on distinct paths.
#ifndef COFRE_BENCH_DATASET_GENERATE_H_
#define COFRE_BENCH_DATASET_GENERATE_H_

#include <cstdint>
#include <string>

#include "dataset_rows.h"

namespace cofre::bench {

struct GenerateStats {
  int64_t rows[kTableCount] = {};
  int64_t file_bytes = 0;
  double seconds = 0;        // the whole generation
  double index_seconds = 0;  // of which building the secondary indexes
};

// Replaces `path` (and its -wal/-shm/-journal files) with a new dataset of
// about `target_bytes` (within a few percent; at least one block of rows),
// drawn from `seed`, shaped as `shape` says (dataset_rows.h). The same arguments give the same
// rows and file. Exits the process on any SQLite or file error.
GenerateStats Generate(const std::string& path, int64_t target_bytes, uint64_t seed,
                       DataShape shape = DataShape::kUniform);

}  // namespace cofre::bench

#endif  // COFRE_BENCH_DATASET_GENERATE_H_
