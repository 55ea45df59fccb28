#include "engine/btree_levels.h"

#include <utility>

#include "engine/big_endian.h"

namespace cofre {
namespace {

void Put32(std::string* out, uint32_t v) { big_endian::Append32(out, v); }
uint32_t Get32(const std::string& s) { return big_endian::Get32(s.data()); }

}  // namespace

struct BtreeLevels::Level {
  Level(BtreePageType type, uint32_t page_size) : cur(type, page_size), held(type, page_size) {}
  BtreePage cur;
  // A full page waiting for `cur` to get its first cell; its right-most child and the separator
  // that follows it.
  BtreePage held;
  bool has_held = false;
  uint32_t held_right = 0;
  std::string held_separator;
};

BtreeLevels::BtreeLevels(BtreePageType type, PageSink* sink, uint32_t root_page)
    : type_(type), sink_(sink), root_page_(root_page) {}

BtreeLevels::~BtreeLevels() = default;

BtreeLevels::Level& BtreeLevels::At(size_t level) {
  while (levels_.size() <= level) {
    levels_.push_back(std::make_unique<Level>(type_, sink_->page_size()));
  }
  return *levels_[level];
}

Status BtreeLevels::WriteNew(BtreePage& page, uint32_t right, uint32_t* pgno) {
  ASSIGN_OR_RETURN(*pgno, sink_->NewPage());
  ++pages_written_;
  return sink_->Write(*pgno, page.Serialize(right));
}

Status BtreeLevels::Add(size_t level, uint32_t child, std::string_view separator) {
  Level& l = At(level);
  cell_.clear();
  Put32(&cell_, child);
  cell_.append(separator);
  if (l.has_held) {
    // `cur` is empty and gets its first cell: the held page now surely has a successor.
    l.cur.Append(cell_);
    l.has_held = false;
    uint32_t pgno;
    RETURN_IF_ERROR(WriteNew(l.held, l.held_right, &pgno));
    l.held.Clear();
    std::string sep = std::move(l.held_separator);
    return Add(level + 1, pgno, sep);
  }
  if (l.cur.Fits(cell_.size())) {
    l.cur.Append(cell_);
    return Status::OK();
  }
  // `cur` is full: `child` becomes its right-most pointer and `separator` goes up with it.
  std::swap(l.cur, l.held);
  l.has_held = true;
  l.held_right = child;
  l.held_separator.assign(separator);
  return Status::OK();
}

Status BtreeLevels::Finish(size_t level, uint32_t last_child) {
  Level& l = At(level);
  if (l.has_held) {
    // The successor would have no cell: move the held page's last cell over. A full interior
    // page holds at least four cells, so the held page keeps at least one.
    std::string last = l.held.TakeLast();
    const uint32_t last_left = Get32(last);
    uint32_t pgno;
    RETURN_IF_ERROR(WriteNew(l.held, last_left, &pgno));
    l.held.Clear();
    l.has_held = false;
    cell_.clear();
    Put32(&cell_, l.held_right);
    cell_.append(l.held_separator);
    l.cur.Append(cell_);
    RETURN_IF_ERROR(Add(level + 1, pgno, std::string_view(last).substr(4)));
  }
  if (levels_.size() == level + 1) {
    // The top level has a single page: it becomes the root.
    ++pages_written_;
    RETURN_IF_ERROR(sink_->Write(root_page_, l.cur.Serialize(last_child)));
    l.cur.Clear();
    return Status::OK();
  }
  uint32_t pgno;
  RETURN_IF_ERROR(WriteNew(l.cur, last_child, &pgno));
  l.cur.Clear();
  return Finish(level + 1, pgno);
}

}  // namespace cofre
