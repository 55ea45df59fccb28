// The change script of the benchmark: touches a fraction of the rows of every
// table, spread evenly over each table's key space.
//
// Of the rows picked, ~80% are updated (the table's updatable columns get new
// values), ~10% are deleted, and for the remaining ~10% a new row is appended
// at the end of the table (new ids, as an application would insert them).
// Thread-safety: one change per database at a time.
#ifndef COFRE_BENCH_DATASET_CHANGE_H_
#define COFRE_BENCH_DATASET_CHANGE_H_

#include <cstdint>
#include <string>

#include "dataset_rows.h"

namespace cofre::bench {

struct ChangeStats {
  int64_t rows_before[kTableCount] = {};
  int64_t updated[kTableCount] = {};
  int64_t inserted[kTableCount] = {};
  int64_t deleted[kTableCount] = {};
  double seconds = 0;
};

// Applies the change to the dataset at `path` in one transaction. Picks
// round(rows * fraction) rows per table (at least one in a non-empty
// table), one in each of that many equal slices of the table's rowids.
// Deterministic: the same database, fraction and seed give the same result.
// REQUIRES: 0 < fraction <= 1. Exits the process on any SQLite error.
ChangeStats ApplyChange(const std::string& path, double fraction, uint64_t seed);

}  // namespace cofre::bench

#endif  // COFRE_BENCH_DATASET_CHANGE_H_
