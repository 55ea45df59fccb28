#include "engine/btree_page.h"

#include <cassert>
#include <cstring>

#include "engine/big_endian.h"

namespace cofre {
namespace {

using big_endian::Put16;
using big_endian::Put32;

}  // namespace

BtreePage::BtreePage(BtreePageType type, uint32_t page_size)
    : type_(type), page_size_(page_size), buf_(page_size, 0), content_top_(page_size) {}

bool BtreePage::is_leaf() const {
  return type_ == BtreePageType::kIndexLeaf || type_ == BtreePageType::kTableLeaf;
}

bool BtreePage::Fits(size_t cell_size) const {
  const size_t pointers_end = header_size() + 2 * (offsets_.size() + 1);
  return cell_size <= content_top_ && pointers_end <= content_top_ - cell_size;
}

void BtreePage::Append(std::string_view cell) {
  assert(Fits(cell.size()));
  content_top_ -= cell.size();
  std::memcpy(buf_.data() + content_top_, cell.data(), cell.size());
  // A cell never starts at offset 65536 (the header is in front of it), so 16 bits suffice.
  offsets_.push_back(static_cast<uint16_t>(content_top_));
}

std::string BtreePage::TakeLast() {
  assert(!offsets_.empty());
  const size_t start = offsets_.back();
  const size_t end = offsets_.size() == 1 ? page_size_ : offsets_[offsets_.size() - 2];
  std::string cell(buf_.data() + start, end - start);
  offsets_.pop_back();
  content_top_ = end;
  return cell;
}

void BtreePage::Clear() {
  offsets_.clear();
  content_top_ = page_size_;
}

const char* BtreePage::Serialize(uint32_t right_child) {
  char* p = buf_.data();
  const size_t hdr = header_size();
  p[0] = static_cast<char>(type_);
  Put16(p + 1, 0);  // no freeblocks
  Put16(p + 3, static_cast<uint32_t>(offsets_.size()));
  // A content area starting at 65536 (empty 64 KiB page) is written as 0.
  Put16(p + 5, static_cast<uint32_t>(content_top_ == 65536 ? 0 : content_top_));
  p[7] = 0;  // no fragmented free bytes
  if (!is_leaf()) Put32(p + 8, right_child);
  char* ptr = p + hdr;
  for (uint16_t off : offsets_) {
    Put16(ptr, off);
    ptr += 2;
  }
  std::memset(ptr, 0, static_cast<size_t>(p + content_top_ - ptr));
  return p;
}

}  // namespace cofre
