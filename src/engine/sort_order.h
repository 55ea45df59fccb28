// SortOrder: how ExternalSorter orders its byte strings. Implementations: IndexRecordOrder
// (SQLite index records, field by field) and BytewiseOrder (memcmp, for pre-encoded sort keys).
// Thread-safety: implementations are immutable values; concurrent calls are safe.
#ifndef COFRE_ENGINE_SORT_ORDER_H_
#define COFRE_ENGINE_SORT_ORDER_H_

#include <cstdint>
#include <string_view>

namespace cofre {

class SortOrder {
 public:
  virtual ~SortOrder() = default;
  // <0, 0 or >0 as `a` sorts before, with, or after `b`; a total preorder over any bytes.
  virtual int Compare(std::string_view a, std::string_view b) const = 0;
  // A 64-bit abbreviated key: SortPrefix(a) < SortPrefix(b) implies Compare(a, b) < 0.
  virtual uint64_t SortPrefix(std::string_view s) const = 0;
};

// Plain byte order: memcmp, then the shorter first. The prefix is the first 8 bytes, big-endian.
class BytewiseOrder final : public SortOrder {
 public:
  int Compare(std::string_view a, std::string_view b) const override { return a.compare(b); }
  uint64_t SortPrefix(std::string_view s) const override {
    uint64_t p = 0;
    for (size_t i = 0; i < 8; ++i) {
      p = (p << 8) | (i < s.size() ? static_cast<uint8_t>(s[i]) : 0);
    }
    return p;
  }
};

}  // namespace cofre

#endif  // COFRE_ENGINE_SORT_ORDER_H_
