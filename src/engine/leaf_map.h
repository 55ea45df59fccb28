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

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/page_view.h"

namespace cofre {

// 16 bytes held in place: a map holds a digest per leaf (about 260,000 per GiB), and a 16-byte
// std::string would be a heap allocation each.
struct LeafDigestBytes {
  std::array<char, 16> bytes{};
  LeafDigestBytes() = default;
  // The first 16 bytes of `s` (zeros past its end). Implicit: digests are made as strings.
  LeafDigestBytes(std::string_view s) {  // NOLINT(google-explicit-constructor)
    std::copy_n(s.data(), std::min(s.size(), bytes.size()), bytes.data());
  }
  LeafDigestBytes(const std::string& s)  // NOLINT(google-explicit-constructor)
      : LeafDigestBytes(std::string_view(s)) {}
  std::string_view view() const { return std::string_view(bytes.data(), bytes.size()); }
  char& operator[](size_t i) { return bytes[i]; }
  char operator[](size_t i) const { return bytes[i]; }
  bool operator==(const LeafDigestBytes&) const = default;
};

struct LeafRange {
  int64_t first = 0;       // smallest rowid of the leaf's cells
  int64_t last = 0;        // largest
  LeafDigestBytes digest;  // the LeafHasher's of the leaf and its overflow pages
  bool operator==(const LeafRange&) const = default;
};

// Makes leaf digests: the leaf page is added, then each overflow page of its cells, cell by cell
// in chain order, then Finish gives the 16-byte digest and starts the next. Two leaves with the
// same digest must have the same bytes: a collision is a change the incremental misses. A keyed
// digest (crypto/leaf_mac.h) gives its maps a key check, and maps are compared only with maps of
// the same kind and key (backup/leaf_maps.h).
class LeafHasher {
 public:
  virtual ~LeafHasher() = default;
  virtual void Add(std::string_view page) = 0;
  virtual StatusOr<std::string> Finish() = 0;
};
// One hasher per mapping thread.
using LeafHasherFactory = std::function<StatusOr<std::unique_ptr<LeafHasher>>()>;
// The unkeyed digest: the first 16 bytes of SHA-256.
StatusOr<std::unique_ptr<LeafHasher>> NewSha256LeafHasher();

// One cell of a table leaf, as the map read it: the row's rowid and record (its payload).
struct LeafCell {
  int64_t rowid = 0;
  std::string_view local;  // the payload's bytes on the leaf: all of it unless `overflow`
  bool overflow = false;   // the rest of the payload is on overflow pages
};

// Sees each non-empty leaf a map reads, after its digest, with all its cells in key order, on the
// thread that read it; the views are valid during the call only. `part` numbers the runs of
// subtrees MapTableLeaves shares out (0 on one thread): a part is read by one thread, its leaves
// come in key order, and a higher part holds higher rowids. Leaves of a map that fails were seen
// too.
using LeafCellVisitor =
    std::function<void(size_t part, const LeafRange& leaf, const std::vector<LeafCell>& cells)>;

// The non-empty leaves of the table b-tree rooted at `root`, left to right, digested by hashers
// from `hashers` (empty: NewSha256LeafHasher). With `threads` > 1, the subtrees a few levels
// below the root are read and hashed on that many threads (each page still read once: a page
// reached from two subtrees is an error, as on one thread); the result is the same. With
// `cells`, each leaf is also shown to it with its cells.
StatusOr<std::vector<LeafRange>> MapTableLeaves(const PageView& view, uint32_t root,
                                                int threads = 1,
                                                const LeafHasherFactory& hashers = {},
                                                const LeafCellVisitor& cells = {});

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
