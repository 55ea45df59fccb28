// LeafMap: the leaf pages of a rowid table's b-tree, in key order, each with the rowid range of
// its cells and a digest of its bytes and of the overflow pages its cells use. Two snapshots
// whose leaves intersecting a rowid range are the same (digests and ranges) hold the same rows in
// that range: every row lives in exactly one leaf, whose range contains its rowid, and equal
// bytes are equal cells (rowids, local payloads, overflow page numbers and overflow contents).
// This is the change detector of incremental backups: a range whose leaves are unchanged needs no
// row diff. Any doubt (a page that is not what a table b-tree holds, a cycle, ranges out of order)
// is an error, and the caller reads the rows instead.
// Thread-safety: pure functions; a PageView may be shared.
#ifndef COFRE_ENGINE_LEAF_MAP_H_
#define COFRE_ENGINE_LEAF_MAP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/page_view.h"

namespace cofre {

struct LeafRange {
  int64_t first = 0;   // smallest rowid of the leaf's cells
  int64_t last = 0;    // largest
  std::string digest;  // 16 bytes: SHA-256 (truncated) of the leaf and its overflow pages
  bool operator==(const LeafRange&) const = default;
};

// The non-empty leaves of the table b-tree rooted at `root`, left to right. With `threads` > 1,
// the subtrees a few levels below the root are read and hashed on that many threads (each page
// still read once: a page reached from two subtrees is an error, as on one thread); the result is
// the same.
StatusOr<std::vector<LeafRange>> MapTableLeaves(const PageView& view, uint32_t root,
                                                int threads = 1);

// Groups consecutive leaves into larger ranges (first of the first, last of the last, a digest of
// their digests), to keep the stored maps small. Group boundaries depend on the leaves' digests
// only (a boundary after a leaf whose digest's first two bytes are 0 modulo `average`), so a
// change moves the boundaries near it and no others. A grouped map is a map like any other:
// equal groups over a range mean equal rows. REQUIRES: average >= 1.
std::vector<LeafRange> GroupLeaves(const std::vector<LeafRange>& leaves, uint32_t average);

// True when `before` and `now` have the same leaves intersecting [lo, hi) (unset: unbounded), so
// that the table's rows with rowids in [lo, hi) are the same in both.
bool SameLeavesInRange(const std::vector<LeafRange>& before, const std::vector<LeafRange>& now,
                       std::optional<int64_t> lo, std::optional<int64_t> hi);

}  // namespace cofre

#endif  // COFRE_ENGINE_LEAF_MAP_H_
