// SortOrder: how ExternalSorter orders its byte strings. Implementations: IndexRecordOrder
// (SQLite index records, field by field) and BytewiseOrder (memcmp, for pre-encoded sort keys).
// Thread-safety: implementations are immutable values; concurrent calls are safe.
#ifndef COFRE_ENGINE_SORT_ORDER_H_
#define COFRE_ENGINE_SORT_ORDER_H_

#include <cstdint>
#include <cstring>
#include <string_view>

namespace cofre {

class SortOrder {
 public:
  virtual ~SortOrder() = default;
  // <0, 0 or >0 as `a` sorts before, with, or after `b`; a total preorder over any bytes.
  virtual int Compare(std::string_view a, std::string_view b) const = 0;
  // A 64-bit abbreviated key: SortPrefix(a) < SortPrefix(b) implies Compare(a, b) < 0.
  virtual uint64_t SortPrefix(std::string_view s) const = 0;
  // True for BytewiseOrder: the sorter then compares with BytewiseOrder::CompareBytes inline
  // instead of through Compare.
  virtual bool bytewise() const { return false; }
};

// Plain byte order: memcmp, then the shorter first. The prefix is the first 8 bytes, big-endian.
class BytewiseOrder final : public SortOrder {
 public:
  int Compare(std::string_view a, std::string_view b) const override { return CompareBytes(a, b); }
  bool bytewise() const override { return true; }
  // Compare's result (the sign of a.compare(b)), 8 bytes at a time: sort keys share long
  // prefixes (an index's leading text values), where a call to memcmp per comparison costs more
  // than the comparison.
  static int CompareBytes(std::string_view a, std::string_view b) {
    const size_t n = a.size() < b.size() ? a.size() : b.size();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t x, y;
      std::memcpy(&x, a.data() + i, 8);
      std::memcpy(&y, b.data() + i, 8);
      if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
    }
    for (; i < n; ++i) {
      const uint8_t x = static_cast<uint8_t>(a[i]), y = static_cast<uint8_t>(b[i]);
      if (x != y) return x < y ? -1 : 1;
    }
    return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
  }
  uint64_t SortPrefix(std::string_view s) const override { return Word(s, 0); }
  // Bytes [8 * word, 8 * word + 8) of `s`, big-endian, zeros past its end: strings in order by
  // their earlier bytes are in order by this word too (one that ends there sorts first, and pads
  // with zeros); equal words are told apart by CompareBytes.
  static uint64_t Word(std::string_view s, size_t word) {
    const size_t start = 8 * word;
    uint64_t w = 0;
    if (s.size() >= start + 8) {
      std::memcpy(&w, s.data() + start, 8);
      return __builtin_bswap64(w);
    }
    for (size_t i = start; i < start + 8; ++i) {
      w = (w << 8) | (i < s.size() ? static_cast<uint8_t>(s[i]) : 0);
    }
    return w;
  }
};

}  // namespace cofre

#endif  // COFRE_ENGINE_SORT_ORDER_H_
