#include "engine/leaf_map.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <thread>

#include "engine/big_endian.h"
#include "engine/btree_payload.h"
#include "engine/sqlite_varint.h"
#include "util/sha256.h"

namespace cofre {

namespace {

constexpr uint8_t kInteriorTable = 0x05;
constexpr uint8_t kLeafTable = 0x0D;
constexpr int kMaxDepth = 40;

Status Bad(uint32_t pgno, const std::string& what) {
  return DataLossError("table b-tree page " + std::to_string(pgno) + ": " + what);
}

// The page's b-tree header and cell pointers, checked against the page's bounds.
struct Node {
  uint8_t type = 0;
  std::vector<uint32_t> cells;  // cell offsets
  uint32_t right = 0;           // interior pages: the right-most child
};

StatusOr<Node> ParseNode(std::string_view page, uint32_t pgno, uint32_t usable) {
  const size_t base = pgno == 1 ? 100 : 0;
  const auto* p = reinterpret_cast<const uint8_t*>(page.data());
  Node n;
  n.type = p[base];
  if (n.type != kInteriorTable && n.type != kLeafTable) return Bad(pgno, "not a table page");
  const size_t header = n.type == kInteriorTable ? 12 : 8;
  const uint32_t count = big_endian::Get16(p + base + 3);
  if (base + header + 2 * size_t{count} > usable) return Bad(pgno, "too many cells");
  if (n.type == kInteriorTable) n.right = big_endian::Get32(p + base + 8);
  const size_t content_min = base + header + 2 * size_t{count};
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t off = big_endian::Get16(p + base + header + 2 * i);
    if (off < content_min || off >= usable) return Bad(pgno, "cell outside the page");
    n.cells.push_back(off);
  }
  return n;
}

// The child page numbers of an interior table page, left to right (the right-most last).
StatusOr<std::vector<uint32_t>> Children(std::string_view page, uint32_t pgno, const Node& node,
                                         uint32_t usable) {
  const auto* p = reinterpret_cast<const uint8_t*>(page.data());
  std::vector<uint32_t> children;
  for (uint32_t off : node.cells) {
    if (off + 4 > usable) return Bad(pgno, "cell outside the page");
    children.push_back(big_endian::Get32(p + off));
  }
  children.push_back(node.right);
  return children;
}

class Sha256LeafHasher : public LeafHasher {
 public:
  void Add(std::string_view page) override { sha_->Update(page); }
  StatusOr<std::string> Finish() override {
    std::string d = sha_->Finish().substr(0, 16);
    sha_.emplace();
    return d;
  }

 private:
  std::optional<Sha256> sha_{std::in_place};
};

// The pages a walk reached, a bit each.
class PageSet {
 public:
  explicit PageSet(uint32_t page_count) : words_(page_count / 64 + 1) {}
  bool Has(uint32_t pgno) const { return (words_[pgno >> 6] >> (pgno & 63)) & 1; }
  void Add(uint32_t pgno) { words_[pgno >> 6] |= uint64_t{1} << (pgno & 63); }
  const std::vector<uint64_t>& words() const { return words_; }

 private:
  std::vector<uint64_t> words_;
};

// Pages are read through the walker's own PageReader: a walker is used by one thread at a time.
class Walker {
 public:
  // The reader's slots: the b-tree page being visited, and an overflow page of its cells.
  static constexpr int kTreeSlot = 0;
  static constexpr int kOverflowSlot = 1;

  explicit Walker(const PageView& view, std::unique_ptr<LeafHasher> hasher = nullptr,
                  const LeafCellVisitor* cells = nullptr)
      : view_(view),
        reader_(view),
        seen_(view.page_count()),
        hasher_(std::move(hasher)),
        visitor_(cells) {}
  Walker(const PageView& view, PageSet seen, std::unique_ptr<LeafHasher> hasher,
         const LeafCellVisitor* cells)
      : view_(view),
        reader_(view),
        seen_(std::move(seen)),
        hasher_(std::move(hasher)),
        visitor_(cells) {}
  const PageSet& seen() const { return seen_; }
  // The part (LeafCellVisitor) the next visited leaves belong to.
  void set_part(size_t part) { part_ = part; }

  // Marks `pgno` visited and reads it into the tree slot; an error when it was visited before.
  StatusOr<Node> Enter(uint32_t pgno, int depth, std::string_view* page) {
    if (depth > kMaxDepth) return Bad(pgno, "b-tree too deep");
    if (pgno == 0 || pgno > view_.page_count() || seen_.Has(pgno)) {
      return Bad(pgno, "page out of range or reached twice");
    }
    seen_.Add(pgno);
    ASSIGN_OR_RETURN(*page, reader_.Read(pgno, kTreeSlot));
    return ParseNode(*page, pgno, view_.usable_size());
  }

  // Visits sibling subtrees `pages` (in key order). Once the first of them proves to be a leaf,
  // the others are read ahead a batch at a time (PageReader::Prefetch): leaves are most of a
  // b-tree's pages, and read in key order they are scattered. Interior pages are read as asked.
  Status VisitSiblings(const uint32_t* pages, size_t count, int depth,
                       std::vector<LeafRange>* out) {
    if (count == 0) return Status::OK();
    bool leaf = false;
    RETURN_IF_ERROR(Visit(pages[0], depth, out, &leaf));
    if (!leaf) {
      for (size_t i = 1; i < count; ++i) RETURN_IF_ERROR(Visit(pages[i], depth, out));
      return Status::OK();
    }
    // Its own list: a sibling that is not a leaf (a malformed tree) reads ahead below it, which
    // only makes the rest of this batch read as asked.
    const size_t window = reader_.batch_pages();
    std::vector<uint32_t> batch;
    for (size_t i = 1; i < count; i += window) {
      batch.assign(pages + i, pages + std::min(count, i + window));
      reader_.Prefetch(batch);
      for (uint32_t pgno : batch) RETURN_IF_ERROR(Visit(pgno, depth, out));
    }
    return Status::OK();
  }

  // (The page read last stays in the tree slot only until the first child is entered.) *is_leaf
  // (when given) says whether `pgno` is a leaf.
  Status Visit(uint32_t pgno, int depth, std::vector<LeafRange>* out, bool* is_leaf = nullptr) {
    std::string_view page;
    ASSIGN_OR_RETURN(Node node, Enter(pgno, depth, &page));
    const auto* p = reinterpret_cast<const uint8_t*>(page.data());
    if (is_leaf) *is_leaf = node.type == kLeafTable;
    if (node.type == kInteriorTable) {
      ASSIGN_OR_RETURN(std::vector<uint32_t> children,
                       Children(page, pgno, node, view_.usable_size()));
      return VisitSiblings(children.data(), children.size(), depth + 1, out);
    }
    if (node.cells.empty()) return Status::OK();
    if (!hasher_) return InternalError("a leaf reached by a walker without a hasher");
    LeafHasher& digest = *hasher_;
    digest.Add(page);
    LeafRange leaf;
    const uint32_t usable = view_.usable_size();
    const bool visit = visitor_ && *visitor_;
    if (visit) cells_.clear();
    for (size_t i = 0; i < node.cells.size(); ++i) {
      const uint32_t off = node.cells[i];
      uint64_t payload = 0, rowid = 0;
      size_t a = sqlite_varint::Get(p + off, usable - off, &payload);
      if (a == 0) return Bad(pgno, "cell outside the page");
      size_t b = sqlite_varint::Get(p + off + a, usable - off - a, &rowid);
      if (b == 0) return Bad(pgno, "cell outside the page");
      const int64_t key = static_cast<int64_t>(rowid);
      if (i == 0) leaf.first = key;
      if (i > 0 && key <= leaf.last) return Bad(pgno, "rowids out of order");
      leaf.last = key;
      const uint64_t local = LocalPayloadSize(usable, payload, PayloadKind::kTableLeaf);
      if (off + a + b + local > usable) return Bad(pgno, "payload outside the page");
      if (local < payload) {
        if (off + a + b + local + 4 > usable) return Bad(pgno, "payload outside the page");
        RETURN_IF_ERROR(
            HashOverflow(big_endian::Get32(p + off + a + b + local), payload - local, &digest));
      }
      if (visit) {
        cells_.push_back(
            {key, std::string_view(page.data() + off + a + b, local), local < payload});
      }
    }
    ASSIGN_OR_RETURN(std::string leaf_digest, digest.Finish());
    leaf.digest = leaf_digest;
    if (!out->empty() && leaf.first <= out->back().last) {
      return Bad(pgno, "leaf ranges out of order");
    }
    // The leaf's page is still in the tree slot: overflow pages are read through their own.
    if (visit) (*visitor_)(part_, leaf, cells_);
    out->push_back(std::move(leaf));
    return Status::OK();
  }

 private:
  // Adds the overflow chain starting at `pgno` that holds `remaining` payload bytes.
  Status HashOverflow(uint32_t pgno, uint64_t remaining, LeafHasher* digest) {
    const uint32_t per_page = view_.usable_size() - 4;
    while (remaining > 0) {
      if (pgno == 0 || pgno > view_.page_count() || seen_.Has(pgno)) {
        return Bad(pgno, "overflow page out of range or reached twice");
      }
      seen_.Add(pgno);
      ASSIGN_OR_RETURN(std::string_view page, reader_.Read(pgno, kOverflowSlot));
      digest->Add(page);
      remaining -= std::min<uint64_t>(remaining, per_page);
      pgno = big_endian::Get32(page.data());
    }
    return Status::OK();
  }

  const PageView& view_;
  PageReader reader_;
  PageSet seen_;
  std::unique_ptr<LeafHasher> hasher_;  // null: only for walking the levels above the leaves
  const LeafCellVisitor* visitor_ = nullptr;
  size_t part_ = 0;
  std::vector<LeafCell> cells_;  // the visited leaf's
};

// The leaves of `map` intersecting [lo, hi).
std::pair<size_t, size_t> Intersecting(const std::vector<LeafRange>& map, std::optional<int64_t> lo,
                                       std::optional<int64_t> hi) {
  size_t begin = 0, end = map.size();
  if (lo) {
    begin = std::partition_point(map.begin(), map.end(),
                                 [&](const LeafRange& l) { return l.last < *lo; }) -
            map.begin();
  }
  if (hi) {
    end = std::partition_point(map.begin(), map.end(),
                               [&](const LeafRange& l) { return l.first < *hi; }) -
          map.begin();
  }
  return {begin, std::max(begin, end)};
}

}  // namespace

StatusOr<std::unique_ptr<LeafHasher>> NewSha256LeafHasher() {
  return std::unique_ptr<LeafHasher>(new Sha256LeafHasher());
}

StatusOr<std::vector<LeafRange>> MapTableLeaves(const PageView& view, uint32_t root, int threads,
                                                const LeafHasherFactory& hashers,
                                                const LeafCellVisitor& cells) {
  auto new_hasher = [&]() { return hashers ? hashers() : NewSha256LeafHasher(); };
  std::vector<LeafRange> out;
  if (threads <= 1) {
    ASSIGN_OR_RETURN(std::unique_ptr<LeafHasher> hasher, new_hasher());
    Walker top(view, std::move(hasher), &cells);
    RETURN_IF_ERROR(top.Visit(root, 0, &out));
    RETURN_IF_ERROR(view.Verify());
    return out;
  }
  // The subtrees to share out: the root's children, then theirs, until there are enough to
  // balance the threads (all of one level, in key order; interior pages only above them).
  constexpr size_t kSubtreesPerThread = 16;
  Walker top(view);
  std::vector<uint32_t> level{root};
  int depth = 0;
  while (level.size() < kSubtreesPerThread * static_cast<size_t>(threads)) {
    std::vector<uint32_t> next;
    bool interior = true;
    std::vector<std::pair<std::string, Node>> pages;
    for (uint32_t pgno : level) {
      std::string page;
      if (pgno == 0 || pgno > view.page_count() || top.seen().Has(pgno)) {
        return Bad(pgno, "page out of range or reached twice");
      }
      RETURN_IF_ERROR(view.Read(pgno, &page));
      ASSIGN_OR_RETURN(Node node, ParseNode(page, pgno, view.usable_size()));
      if (node.type != kInteriorTable) interior = false;
      pages.emplace_back(std::move(page), std::move(node));
    }
    if (!interior) break;  // a level of leaves (or a malformed tree): map from this level
    for (size_t i = 0; i < level.size(); ++i) {
      std::string_view page;
      RETURN_IF_ERROR(top.Enter(level[i], depth, &page).status());
      ASSIGN_OR_RETURN(std::vector<uint32_t> children,
                       Children(pages[i].first, level[i], pages[i].second, view.usable_size()));
      next.insert(next.end(), children.begin(), children.end());
    }
    level = std::move(next);
    ++depth;
  }
  // Each thread maps parts, runs of consecutive subtrees of the level (at most kSubtreesPerThread
  // per thread: a part is the unit the cell visitor sees, and the unit read ahead), with its own
  // record of the pages it read, which starts from the levels above; no page may then be read by
  // two of them.
  const size_t part_count =
      std::min(level.size(), kSubtreesPerThread * static_cast<size_t>(threads));
  auto part_begin = [&](size_t part) { return part * level.size() / part_count; };
  std::vector<std::vector<LeafRange>> parts(part_count);
  std::vector<Status> errors(part_count);
  std::vector<std::unique_ptr<Walker>> walkers;
  for (int t = 0; t < threads; ++t) {
    ASSIGN_OR_RETURN(std::unique_ptr<LeafHasher> hasher, new_hasher());
    walkers.push_back(std::make_unique<Walker>(view, top.seen(), std::move(hasher), &cells));
  }
  std::atomic<size_t> next{0};
  auto run = [&](Walker* walker) {
    for (size_t i; (i = next.fetch_add(1)) < part_count;) {
      walker->set_part(i);
      const size_t begin = part_begin(i);
      errors[i] =
          walker->VisitSiblings(level.data() + begin, part_begin(i + 1) - begin, depth, &parts[i]);
      if (!errors[i].ok()) next = part_count;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(run, walkers[t].get());
  run(walkers[0].get());
  for (auto& th : pool) th.join();
  for (const Status& st : errors) RETURN_IF_ERROR(st);
  // No page below the shared levels was reached by two walkers.
  const std::vector<uint64_t>& shared = top.seen().words();
  std::vector<uint64_t> reached(shared.size(), 0);
  for (const auto& w : walkers) {
    const std::vector<uint64_t>& mine = w->seen().words();
    for (size_t i = 0; i < reached.size(); ++i) {
      const uint64_t fresh = mine[i] & ~shared[i];
      if (const uint64_t twice = fresh & reached[i]; twice != 0) {
        return Bad(static_cast<uint32_t>(i * 64 + std::countr_zero(twice)),
                   "page out of range or reached twice");
      }
      reached[i] |= fresh;
    }
  }
  size_t total = 0;
  for (const auto& part : parts) total += part.size();
  out.reserve(total);
  for (auto& part : parts) {
    if (!part.empty() && !out.empty() && part.front().first <= out.back().last) {
      return Bad(root, "leaf ranges out of order");
    }
    out.insert(out.end(), std::make_move_iterator(part.begin()),
               std::make_move_iterator(part.end()));
  }
  RETURN_IF_ERROR(view.Verify());
  return out;
}

std::vector<LeafRange> GroupLeaves(const std::vector<LeafRange>& leaves, uint32_t average) {
  std::vector<LeafRange> out;
  std::optional<Sha256> digest;
  LeafRange group;
  for (size_t i = 0; i < leaves.size(); ++i) {
    const LeafRange& l = leaves[i];
    if (!digest) {
      digest.emplace();
      group.first = l.first;
    }
    digest->Update(l.digest.view());
    group.last = l.last;
    const uint32_t mark =
        (static_cast<uint8_t>(l.digest[0]) << 8) | static_cast<uint8_t>(l.digest[1]);
    if (mark % average == 0 || i + 1 == leaves.size()) {
      group.digest = digest->Finish().substr(0, 16);
      out.push_back(group);
      digest.reset();
    }
  }
  return out;
}

bool SameLeavesInRange(const std::vector<LeafRange>& before, const std::vector<LeafRange>& now,
                       std::optional<int64_t> lo, std::optional<int64_t> hi) {
  auto [b0, b1] = Intersecting(before, lo, hi);
  auto [n0, n1] = Intersecting(now, lo, hi);
  if (b1 - b0 != n1 - n0) return false;
  return std::equal(before.begin() + b0, before.begin() + b1, now.begin() + n0);
}

}  // namespace cofre
