#include "engine/leaf_map.h"

#include <algorithm>
#include <atomic>
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

// Pages are read through the walker's own PageReader: a walker is used by one thread at a time.
class Walker {
 public:
  // The reader's slots: the b-tree page being visited, and an overflow page of its cells.
  static constexpr int kTreeSlot = 0;
  static constexpr int kOverflowSlot = 1;

  explicit Walker(const PageView& view)
      : view_(view), reader_(view), seen_(view.page_count() + 1, false) {}
  Walker(const PageView& view, std::vector<bool> seen)
      : view_(view), reader_(view), seen_(std::move(seen)) {}
  const std::vector<bool>& seen() const { return seen_; }

  // Marks `pgno` visited and reads it into the tree slot; an error when it was visited before.
  StatusOr<Node> Enter(uint32_t pgno, int depth, std::string_view* page) {
    if (depth > kMaxDepth) return Bad(pgno, "b-tree too deep");
    if (pgno == 0 || pgno > view_.page_count() || seen_[pgno]) {
      return Bad(pgno, "page out of range or reached twice");
    }
    seen_[pgno] = true;
    ASSIGN_OR_RETURN(*page, reader_.Read(pgno, kTreeSlot));
    return ParseNode(*page, pgno, view_.usable_size());
  }

  // (The page read last stays in the tree slot only until the first child is entered.)
  Status Visit(uint32_t pgno, int depth, std::vector<LeafRange>* out) {
    std::string_view page;
    ASSIGN_OR_RETURN(Node node, Enter(pgno, depth, &page));
    const auto* p = reinterpret_cast<const uint8_t*>(page.data());
    if (node.type == kInteriorTable) {
      ASSIGN_OR_RETURN(std::vector<uint32_t> children,
                       Children(page, pgno, node, view_.usable_size()));
      for (uint32_t child : children) RETURN_IF_ERROR(Visit(child, depth + 1, out));
      return Status::OK();
    }
    if (node.cells.empty()) return Status::OK();
    Sha256 digest;
    digest.Update(page);
    LeafRange leaf;
    const uint32_t usable = view_.usable_size();
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
    }
    leaf.digest = digest.Finish().substr(0, 16);
    if (!out->empty() && leaf.first <= out->back().last) {
      return Bad(pgno, "leaf ranges out of order");
    }
    out->push_back(std::move(leaf));
    return Status::OK();
  }

 private:
  // Adds the overflow chain starting at `pgno` that holds `remaining` payload bytes.
  Status HashOverflow(uint32_t pgno, uint64_t remaining, Sha256* digest) {
    const uint32_t per_page = view_.usable_size() - 4;
    while (remaining > 0) {
      if (pgno == 0 || pgno > view_.page_count() || seen_[pgno]) {
        return Bad(pgno, "overflow page out of range or reached twice");
      }
      seen_[pgno] = true;
      ASSIGN_OR_RETURN(std::string_view page, reader_.Read(pgno, kOverflowSlot));
      digest->Update(page);
      remaining -= std::min<uint64_t>(remaining, per_page);
      pgno = big_endian::Get32(page.data());
    }
    return Status::OK();
  }

  const PageView& view_;
  PageReader reader_;
  std::vector<bool> seen_;
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

StatusOr<std::vector<LeafRange>> MapTableLeaves(const PageView& view, uint32_t root, int threads) {
  std::vector<LeafRange> out;
  Walker top(view);
  if (threads <= 1) {
    RETURN_IF_ERROR(top.Visit(root, 0, &out));
    RETURN_IF_ERROR(view.Verify());
    return out;
  }
  // The subtrees to share out: the root's children, then theirs, until there are enough to
  // balance the threads (all of one level, in key order; interior pages only above them).
  constexpr size_t kSubtreesPerThread = 16;
  std::vector<uint32_t> level{root};
  int depth = 0;
  while (level.size() < kSubtreesPerThread * static_cast<size_t>(threads)) {
    std::vector<uint32_t> next;
    bool interior = true;
    std::vector<std::pair<std::string, Node>> pages;
    for (uint32_t pgno : level) {
      std::string page;
      if (pgno == 0 || pgno > view.page_count() || top.seen()[pgno]) {
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
  // Each thread maps whole subtrees with its own record of the pages it read, which starts from
  // the levels above; no page may then be read by two of them.
  std::vector<std::vector<LeafRange>> parts(level.size());
  std::vector<Status> errors(level.size());
  std::vector<std::unique_ptr<Walker>> walkers;
  for (int t = 0; t < threads; ++t) walkers.push_back(std::make_unique<Walker>(view, top.seen()));
  std::atomic<size_t> next{0};
  auto run = [&](Walker* walker) {
    for (size_t i; (i = next.fetch_add(1)) < level.size();) {
      errors[i] = walker->Visit(level[i], depth, &parts[i]);
      if (!errors[i].ok()) next = level.size();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(run, walkers[t].get());
  run(walkers[0].get());
  for (auto& th : pool) th.join();
  for (const Status& st : errors) RETURN_IF_ERROR(st);
  for (uint32_t p = 1; p <= view.page_count(); ++p) {
    int readers = 0;
    for (const auto& w : walkers) readers += w->seen()[p] && !top.seen()[p];
    if (readers > 1) return Bad(p, "page out of range or reached twice");
  }
  for (auto& part : parts) {
    if (!part.empty() && !out.empty() && part.front().first <= out.back().last) {
      return Bad(root, "leaf ranges out of order");
    }
    out.insert(out.end(), part.begin(), part.end());
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
    digest->Update(l.digest);
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
