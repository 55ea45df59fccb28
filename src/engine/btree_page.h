// BtreePage: one SQLite b-tree page assembled in memory (the database file format, section
// "B-tree Pages"), for the bulk builders (bulk_btree.h).
//
// Layout written: the 8-byte (leaf) or 12-byte (interior) page header at offset 0 (never the
// page 1 layout: the bulk builders never write page 1), the cell pointer array right after it,
// and the cell content packed without gaps at the end of the page, first cell highest. There
// are no freeblocks and no fragmented bytes; the unallocated space between pointer array and
// cell content is zero. Cells are appended in key order; the last one can be taken back.
// Interior cells start with the 4-byte left child page number; the right-most pointer is given
// when the page is serialized.
// Thread-safety: a value; one thread at a time.
#ifndef COFRE_ENGINE_BTREE_PAGE_H_
#define COFRE_ENGINE_BTREE_PAGE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cofre {

// Page type flags (first byte of a b-tree page).
enum class BtreePageType : uint8_t {
  kIndexInterior = 0x02,
  kTableInterior = 0x05,
  kIndexLeaf = 0x0a,
  kTableLeaf = 0x0d,
};

class BtreePage {
 public:
  // REQUIRES: page_size is a power of two in [512, 65536].
  BtreePage(BtreePageType type, uint32_t page_size);

  BtreePageType type() const { return type_; }
  bool is_leaf() const;
  int cell_count() const { return static_cast<int>(offsets_.size()); }
  bool empty() const { return offsets_.empty(); }
  // True when a cell of `cell_size` bytes (plus its 2-byte pointer) fits.
  bool Fits(size_t cell_size) const;
  // Appends a cell. REQUIRES: Fits(cell.size()).
  void Append(std::string_view cell);
  // Removes the last cell and returns its bytes. REQUIRES: !empty().
  std::string TakeLast();
  // Drops every cell.
  void Clear();
  // The finished page bytes (page_size of them), valid until the next mutation. `right_child`
  // is the right-most pointer of an interior page (ignored for leaves).
  const char* Serialize(uint32_t right_child);

 private:
  size_t header_size() const { return is_leaf() ? 8 : 12; }

  BtreePageType type_;
  uint32_t page_size_;
  std::vector<char> buf_;          // the page; cell content grows down from the end
  std::vector<uint16_t> offsets_;  // cell offsets, in key order (0 stands for 65536: never used)
  size_t content_top_;             // offset of the lowest cell byte (page_size when empty)
};

}  // namespace cofre

#endif  // COFRE_ENGINE_BTREE_PAGE_H_
