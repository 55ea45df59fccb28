// Shared inputs of the micro-benchmarks (bench/*_bench.cc): a small benchmark dataset, generated
// once per process by the same generator as `make bench` (dataset_generate.h), and the logical
// row stream a backup writes for it (length-prefixed record bodies, as in a data file).
// Thread-safety: the accessors may be called from any thread; the data is built on first use.
#ifndef COFRE_BENCH_MICROBENCH_DATA_H_
#define COFRE_BENCH_MICROBENCH_DATA_H_

#include <string>
#include <vector>

#include "backup/table_schema.h"
#include "engine/sqlite.h"

namespace cofre::bench {

struct MicrobenchData {
  std::string db_path;              // the dataset (about 16 MiB)
  std::vector<TableSchema> tables;  // its tables, as a backup reads them
  // Record bodies per table, as EncodeScanRow writes them.
  std::vector<std::vector<std::string>> bodies;
  // Every table's records, each a varint length then the body: what a data file compresses.
  std::string row_stream;
};

// The shared data; exits the process if it cannot be built.
const MicrobenchData& Data();

// A connection to the dataset, in a read transaction.
SqliteDb OpenDataset();

}  // namespace cofre::bench

#endif  // COFRE_BENCH_MICROBENCH_DATA_H_
