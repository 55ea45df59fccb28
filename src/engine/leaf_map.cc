#include "engine/leaf_map.h"

#include <algorithm>

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

StatusOr<Node> ParseNode(const std::string& page, uint32_t pgno, uint32_t usable) {
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

class Walker {
 public:
  Walker(const PageView& view) : view_(view), seen_(view.page_count() + 1, false) {}

  Status Visit(uint32_t pgno, int depth, std::vector<LeafRange>* out) {
    if (depth > kMaxDepth) return Bad(pgno, "b-tree too deep");
    if (pgno == 0 || pgno > view_.page_count() || seen_[pgno]) {
      return Bad(pgno, "page out of range or reached twice");
    }
    seen_[pgno] = true;
    std::string page;
    RETURN_IF_ERROR(view_.Read(pgno, &page));
    ASSIGN_OR_RETURN(Node node, ParseNode(page, pgno, view_.usable_size()));
    const auto* p = reinterpret_cast<const uint8_t*>(page.data());
    if (node.type == kInteriorTable) {
      std::vector<uint32_t> children;
      for (uint32_t off : node.cells) {
        if (off + 4 > view_.usable_size()) return Bad(pgno, "cell outside the page");
        children.push_back(big_endian::Get32(p + off));
      }
      children.push_back(node.right);
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
    std::string page;
    while (remaining > 0) {
      if (pgno == 0 || pgno > view_.page_count() || seen_[pgno]) {
        return Bad(pgno, "overflow page out of range or reached twice");
      }
      seen_[pgno] = true;
      RETURN_IF_ERROR(view_.Read(pgno, &page));
      digest->Update(page);
      remaining -= std::min<uint64_t>(remaining, per_page);
      pgno = big_endian::Get32(page.data());
    }
    return Status::OK();
  }

  const PageView& view_;
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

StatusOr<std::vector<LeafRange>> MapTableLeaves(const PageView& view, uint32_t root) {
  std::vector<LeafRange> out;
  Walker walker(view);
  RETURN_IF_ERROR(walker.Visit(root, 0, &out));
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
