// BtreeLevels: the interior levels of one SQLite b-tree built bottom-up from a key-ordered
// stream, for the bulk builders (bulk_btree.h).
//
// The leaf level (owned by the builder) reports each leaf it wrote together with the separator
// that follows it in key order; level 0 packs those into interior pages, reports each page it
// wrote to level 1 the same way, and so on. Separators are the cell bytes after the 4-byte left
// child: for a table b-tree the varint of the largest rowid in the left subtree, for an index
// b-tree the separating entry's cell (payload size varint, local payload, overflow page number;
// that entry lives only in the interior page: index b-trees are B-trees).
//
// Every interior page gets at least one cell (two children) by construction: a full page is held
// in memory until the next page of its level receives a cell, and at Finish the last cell of a
// held page moves to its successor when the successor would otherwise be empty. A page is written
// to a newly allocated page only once its level is known to have a successor page, so the single
// page of the top level is written at the tree's existing root page number. Memory: two pages per
// level.
// Thread-safety: one thread at a time.
#ifndef COFRE_ENGINE_BTREE_LEVELS_H_
#define COFRE_ENGINE_BTREE_LEVELS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/btree_page.h"
#include "engine/page_sink.h"
#include "util/status.h"

namespace cofre {

class BtreeLevels {
 public:
  // `type` is kTableInterior or kIndexInterior.
  BtreeLevels(BtreePageType type, PageSink* sink, uint32_t root_page);
  BtreeLevels(const BtreeLevels&) = delete;
  BtreeLevels& operator=(const BtreeLevels&) = delete;
  ~BtreeLevels();

  // True when no leaf has been reported yet (the tree is at most one leaf).
  bool empty() const { return levels_.empty(); }

  // Child page `child` of level `level` (0: a leaf) is followed in key order by `separator`.
  Status Add(size_t level, uint32_t child, std::string_view separator);
  // `last_child` is the last page of level `level`; finishes it and the levels above, writing
  // the top page at the root page number. REQUIRES: !empty().
  Status Finish(size_t level, uint32_t last_child);

  // Pages written so far.
  uint64_t pages_written() const { return pages_written_; }

 private:
  struct Level;
  Level& At(size_t level);
  // Writes `page` with right-most pointer `right` at a new page number, returned in *pgno.
  Status WriteNew(BtreePage& page, uint32_t right, uint32_t* pgno);

  const BtreePageType type_;
  PageSink* const sink_;
  const uint32_t root_page_;
  std::vector<std::unique_ptr<Level>> levels_;  // levels_[i] sits above level i - 1
  std::string cell_;                            // scratch
  uint64_t pages_written_ = 0;
};

}  // namespace cofre

#endif  // COFRE_ENGINE_BTREE_LEVELS_H_
