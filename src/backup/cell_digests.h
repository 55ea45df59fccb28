// Cell digests: the change detector's finest grain, one digest per row of the SQLite record its
// table leaf holds (docs/architecture.md §3 item 15).
//
// The leaf maps (backup/leaf_maps.h) find the leaves that changed; the row digest cache
// (backup/row_cache.h) then compares the rows of those leaves with SQLite's reading of them. A
// changed leaf usually holds one changed row among a dozen, and every one of them costs a step
// through SQLite. A cell digest tells them apart first: the keyed digest (crypto/row_digest.h)
// of the record bytes of one cell, taken from the leaf while it is mapped (engine/leaf_map.h
// LeafCell). The cache keeps every row's cell digest beside its row entry (the table's cell
// entries). The next incremental digests the cells of the changed leaves only, compares them with
// the cached ones as the leaves are mapped, and SQLite then reads just the rowids whose digest
// differs, appeared or went.
//
// Why that is sound: under the same table definition, equal record bytes are the same row
// (SQLite decodes a record from its bytes alone); a record that overflows its leaf has digest 0,
// which equals nothing. Every row of this snapshot is a cell of exactly one leaf whose range holds
// its rowid (engine/leaf_map.h); a leaf equal to one of the previous snapshot (range and digest)
// holds the same rows, whose cached cells are passed over by count; every row of the previous
// snapshot has a cached cell entry, taken from its leaf then. So a rowid whose row may differ is
// one of: a cell of a changed leaf whose digest is not the cached one (or that has none), or a
// cached cell that no leaf holds any more. The one thing a damaged or mistaken cache could then
// hide is a row that went (its cell missing from the cache): the layer would count one row more
// than the snapshot's leaves hold, and the incremental checks those counts for every table the
// cell digests served before it writes its manifest (CheckCellCounts). Anything else that does
// not add up (a failed read of the cache, a count off in a run of unchanged leaves, a budget
// exceeded) leaves the table to the row diff of its changed leaves, as without cell digests.
// Thread-safety: a collector's visitor may be called from the mapping threads at once (one part
// per thread); Finish once they are done.
#ifndef COFRE_BACKUP_CELL_DIGESTS_H_
#define COFRE_BACKUP_CELL_DIGESTS_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "backup/leaf_maps.h"
#include "backup/row_cache.h"
#include "crypto/row_digest.h"
#include "engine/leaf_map.h"

namespace cofre {

// The digest of `cell`: 0 when its record overflows the leaf, nonzero otherwise.
uint64_t CellDigest(const RowDigestKey& key, const LeafCell& cell);

// Takes the cells of a table's leaves while MapTableLeaves reads them, in one of two ways:
// - ToCache: every cell's digest goes to `writer` as the table's cell entries (a layer whose
//   previous one has no cells to compare with);
// - Compare: each leaf that is not among `then` (the leaves of the previous layer's snapshot) has
//   its cells compared with `cached` (the previous layer's entries in `cache`), and the rowids
//   whose rows may differ are kept, at most `budget` for all tables together; the cell entries
//   go to `writer` (when given): the cached ones for the other leaves, the new ones for these.
class CellCollector {
 public:
  static std::unique_ptr<CellCollector> ToCache(std::shared_ptr<const RowDigestKey> key,
                                                RowCacheWriter* writer, const std::string& db,
                                                const std::string& table);
  static std::unique_ptr<CellCollector> Compare(
      std::shared_ptr<const RowDigestKey> key, const RowCache& cache, const RowCache::Table& cached,
      const std::vector<LeafRange>& then, RowCacheWriter* writer, const std::string& db,
      const std::string& table, std::atomic<int64_t>* budget);
  ~CellCollector();

  // The visitor to map the table with; valid while the collector lives.
  const LeafCellVisitor& visitor() const { return visitor_; }
  // Made by Compare: Finish gives the rowids to read.
  bool compares() const { return cache_ != nullptr; }

  // Once the table was mapped whole: registers its cell entries with the writer and, for
  // Compare, gives the rowids whose rows may differ, in increasing order. False when not every
  // cell was taken (no cell entries are then kept, and *differ is not to be used).
  bool Finish(std::vector<int64_t>* differ);

  // How many cells the map showed: the table's rows in this snapshot, once it was mapped whole.
  uint64_t cells_seen() const { return cells_seen_; }

 private:
  struct Part;
  CellCollector();
  // The part's state, opened at its first leaf. A thread maps a part whole before it starts
  // another, so the part a thread saw before is closed (its reading state freed, its entries
  // registered) when it moves on.
  Part& PartFor(size_t part);
  // Passes over the part's batch of unchanged leaves in the cached cells, copying them.
  void FlushBatch(Part& part);
  void Close(Part& part);
  void Visit(size_t part, const LeafRange& leaf, const std::vector<LeafCell>& cells);

  const uint64_t id_;  // never reused: what a thread remembers of the collector it fed last
  std::shared_ptr<const RowDigestKey> key_;
  RowCacheWriter* writer_ = nullptr;
  std::string db_, table_;
  const RowCache* cache_ = nullptr;  // Compare
  const RowCache::Table* cached_ = nullptr;
  const std::vector<LeafRange>* then_ = nullptr;
  std::atomic<int64_t>* budget_ = nullptr;
  std::atomic<bool> failed_{false};
  std::atomic<uint64_t> cells_seen_{0};
  std::mutex mu_;
  std::map<size_t, std::unique_ptr<Part>> parts_;
  LeafCellVisitor visitor_;
};

// A database's collectors by table name, and the visitors ComputeLeafMaps maps them with.
using CellCollectors = std::map<std::string, std::unique_ptr<CellCollector>>;
CellVisitors VisitorsOf(const CellCollectors& collectors);

// The ranges of [lo, hi) (unset: unbounded) between the rowids of `differ` (increasing, from
// CellCollector::Finish): the rowids whose rows are the same as in the previous layer.
std::vector<RowidRange> RangesBetween(std::optional<int64_t> lo, std::optional<int64_t> hi,
                                      const std::vector<int64_t>& differ);

// Copies the cached cell entries of a table whose database file did not change to `writer`.
bool KeepCachedCells(const RowCache& cache, const RowCache::Table& cached, RowCacheWriter* writer,
                     const std::string& db, const std::string& table);

}  // namespace cofre

#endif  // COFRE_BACKUP_CELL_DIGESTS_H_
