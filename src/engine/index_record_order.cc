#include "engine/index_record_order.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <utility>

#include "engine/sqlite_varint.h"

namespace cofre {
namespace {

// Value classes in SQLite's order; a corrupt field sorts last. 0 is kept for "no field" in
// SortPrefix, and the class fits in 3 bits.
enum Class : uint8_t { kNull = 1, kNumeric = 2, kText = 3, kBlob = 4, kCorrupt = 5 };

// One decoded field. For kText/kBlob `p`/`n` are the body; for kCorrupt the whole record.
struct Field {
  uint8_t cls;
  bool is_int;
  int64_t i;
  double r;
  const uint8_t* p;
  size_t n;
};

// Big-endian two's complement integer of `n` (1..8) bytes.
inline int64_t ReadInt(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t k = 0; k < n; ++k) v = (v << 8) | p[k];
  const unsigned shift = static_cast<unsigned>(64 - 8 * n);
  return static_cast<int64_t>(v << shift) >> shift;
}

// Walks a record's fields, decoding the header incrementally. Never reads outside the record.
class Cursor {
 public:
  explicit Cursor(std::string_view record)
      : p_(reinterpret_cast<const uint8_t*>(record.data())), size_(record.size()) {
    uint64_t header_size;
    const size_t len = sqlite_varint::Get(p_, size_, &header_size);
    if (len == 0 || header_size < len || header_size > size_) {
      corrupt_ = true;
      return;
    }
    hdr_ = len;
    hdr_end_ = static_cast<size_t>(header_size);
    body_ = hdr_end_;
  }

  // Decodes the next field into `*f`; false when the record has no more fields. After a corrupt
  // field, there are none.
  bool Next(Field* f) {
    if (corrupt_) return EmitCorrupt(f);
    if (hdr_ >= hdr_end_) return false;
    uint64_t st;
    const uint8_t b = p_[hdr_];
    if (b < 0x80) {
      st = b;
      ++hdr_;
    } else {
      const size_t len = sqlite_varint::Get(p_ + hdr_, hdr_end_ - hdr_, &st);
      if (len == 0) return EmitCorrupt(f);
      hdr_ += len;
    }
    const size_t avail = size_ - body_;
    if (st >= 12) {
      const uint64_t n = (st - 12) >> 1;
      if (n > avail) return EmitCorrupt(f);
      f->cls = (st & 1) ? kText : kBlob;
      f->p = p_ + body_;
      f->n = static_cast<size_t>(n);
      body_ += f->n;
      return true;
    }
    static constexpr uint8_t kIntBytes[7] = {0, 1, 2, 3, 4, 6, 8};
    switch (st) {
      case 0:
        f->cls = kNull;
        return true;
      case 1:
      case 2:
      case 3:
      case 4:
      case 5:
      case 6: {
        const size_t n = kIntBytes[st];
        if (n > avail) return EmitCorrupt(f);
        f->cls = kNumeric;
        f->is_int = true;
        f->i = ReadInt(p_ + body_, n);
        body_ += n;
        return true;
      }
      case 7: {
        if (8 > avail) return EmitCorrupt(f);
        uint64_t bits = 0;
        for (size_t k = 0; k < 8; ++k) bits = (bits << 8) | p_[body_ + k];
        body_ += 8;
        const double r = std::bit_cast<double>(bits);
        if (std::isnan(r)) {
          f->cls = kNull;
          return true;
        }
        f->cls = kNumeric;
        f->is_int = false;
        f->r = r;
        return true;
      }
      case 8:
      case 9:
        f->cls = kNumeric;
        f->is_int = true;
        f->i = static_cast<int64_t>(st - 8);
        return true;
      default:  // 10 and 11 are reserved.
        return EmitCorrupt(f);
    }
  }

 private:
  bool EmitCorrupt(Field* f) {
    if (done_) return false;
    corrupt_ = true;
    done_ = true;
    f->cls = kCorrupt;
    f->p = p_;
    f->n = size_;
    return true;
  }

  const uint8_t* p_;
  size_t size_;
  size_t hdr_ = 0;
  size_t hdr_end_ = 0;
  size_t body_ = 0;
  bool corrupt_ = false;
  bool done_ = false;
};

// memcmp, then the shorter first.
inline int CompareBinary(const uint8_t* a, size_t na, const uint8_t* b, size_t nb) {
  const size_t n = na < nb ? na : nb;
  if (n > 0) {
    const int r = std::memcmp(a, b, n);
    if (r != 0) return r < 0 ? -1 : 1;
  }
  return na < nb ? -1 : (na > nb ? 1 : 0);
}

inline uint8_t FoldAscii(uint8_t c) { return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }

// SQLite's nocaseCollatingFunc: sqlite3StrNICmp over the shorter length, which stops at a NUL in
// `a`, then the lengths.
int CompareNoCase(const uint8_t* a, size_t na, const uint8_t* b, size_t nb) {
  const size_t n = na < nb ? na : nb;
  size_t k = 0;
  // Skip identical 8-byte words without a NUL (the byte loop handles the NUL rule).
  for (; k + 8 <= n; k += 8) {
    uint64_t wa;
    uint64_t wb;
    std::memcpy(&wa, a + k, 8);
    std::memcpy(&wb, b + k, 8);
    if (wa != wb || ((wa - 0x0101010101010101) & ~wa & 0x8080808080808080) != 0) break;
  }
  for (; k < n; ++k) {
    const uint8_t ca = FoldAscii(a[k]);
    const uint8_t cb = FoldAscii(b[k]);
    if (ca != cb || a[k] == 0) {
      if (ca != cb) return ca < cb ? -1 : 1;
      break;  // Both NUL here: sqlite3StrNICmp reports equal.
    }
  }
  return na < nb ? -1 : (na > nb ? 1 : 0);
}

inline size_t RtrimLength(const uint8_t* p, size_t n) {
  while (n > 0 && p[n - 1] == ' ') --n;
  return n;
}

// SQLite's exact comparison of an integer with a (non-NaN) double (sqlite3IntFloatCompare).
int CompareIntReal(int64_t i, double r) {
  if (r < -9223372036854775808.0) return 1;
  if (r >= 9223372036854775808.0) return -1;
  const int64_t y = static_cast<int64_t>(r);  // Truncates toward zero; in range here.
  if (i < y) return -1;
  if (i > y) return 1;
  const double s = static_cast<double>(i);  // |i| == |trunc(r)| < 2^63: exact when r has a
  if (s < r) return -1;                     // fraction (then |r| < 2^52).
  if (s > r) return 1;
  return 0;
}

int CompareField(const Field& a, const Field& b, Collation collation) {
  if (a.cls != b.cls) return a.cls < b.cls ? -1 : 1;
  switch (a.cls) {
    case kNull:
      return 0;
    case kNumeric:
      if (a.is_int && b.is_int) return (a.i > b.i) - (a.i < b.i);
      if (!a.is_int && !b.is_int) return (a.r > b.r) - (a.r < b.r);
      if (a.is_int) return CompareIntReal(a.i, b.r);
      return -CompareIntReal(b.i, a.r);
    case kText:
      switch (collation) {
        case Collation::kBinary:
          return CompareBinary(a.p, a.n, b.p, b.n);
        case Collation::kNoCase:
          return CompareNoCase(a.p, a.n, b.p, b.n);
        case Collation::kRtrim:
          return CompareBinary(a.p, RtrimLength(a.p, a.n), b.p, RtrimLength(b.p, b.n));
      }
      return 0;
    default:  // kBlob, kCorrupt
      return CompareBinary(a.p, a.n, b.p, b.n);
  }
}

// Up to the first 7 bytes of `p`, big-endian, zero-padded, as the low 56 bits.
inline uint64_t BytesPrefix(const uint8_t* p, size_t n) {
  const size_t m = n < 7 ? n : 7;
  uint64_t v = 0;
  for (size_t k = 0; k < m; ++k) v = (v << 8) | p[k];
  return v << (8 * (7 - m));
}

}  // namespace

IndexRecordOrder::IndexRecordOrder(std::vector<IndexColumnOrder> columns)
    : columns_(std::move(columns)) {}

int IndexRecordOrder::CompareFields(std::string_view a, std::string_view b,
                                    size_t max_fields) const {
  Cursor ca(a);
  Cursor cb(b);
  Field fa;
  Field fb;
  const size_t ncols = columns_.size();
  for (size_t i = 0; i < max_fields; ++i) {
    const bool ha = ca.Next(&fa);
    const bool hb = cb.Next(&fb);
    if (!ha || !hb) return ha ? 1 : (hb ? -1 : 0);
    const IndexColumnOrder col = i < ncols ? columns_[i] : IndexColumnOrder{};
    const int r = CompareField(fa, fb, col.collation);
    if (r != 0) return col.descending ? -r : r;
  }
  return 0;
}

int IndexRecordOrder::Compare(std::string_view a, std::string_view b) const {
  return CompareFields(a, b, SIZE_MAX);
}

int IndexRecordOrder::ComparePrefix(std::string_view a, std::string_view b, size_t fields) const {
  return CompareFields(a, b, fields);
}

uint64_t IndexRecordOrder::SortPrefix(std::string_view record) const {
  Cursor c(record);
  Field f;
  if (!c.Next(&f)) return 0;
  const IndexColumnOrder col = columns_.empty() ? IndexColumnOrder{} : columns_[0];
  uint64_t value = 0;  // 61 bits, order-preserving (not strictly) within the class.
  switch (f.cls) {
    case kNumeric: {
      // Rounding to double is monotonic, so exact int/real order survives as <=.
      double d = f.is_int ? static_cast<double>(f.i) : f.r;
      if (d == 0) d = 0.0;  // -0.0 == 0.0
      const uint64_t bits = std::bit_cast<uint64_t>(d);
      const uint64_t ordered = (bits >> 63) ? ~bits : (bits | (uint64_t{1} << 63));
      value = ordered >> 3;
      break;
    }
    case kText: {
      size_t n = f.n;
      if (col.collation == Collation::kRtrim) n = RtrimLength(f.p, n);
      uint64_t v = 0;
      if (col.collation == Collation::kNoCase) {
        // Folded bytes up to a NUL (NOCASE ignores what follows one; see CompareNoCase).
        const size_t m = n < 7 ? n : 7;
        size_t k = 0;
        for (; k < m && f.p[k] != 0; ++k) v = (v << 8) | FoldAscii(f.p[k]);
        v <<= 8 * (7 - k);
      } else {
        v = BytesPrefix(f.p, n);
      }
      value = v << 5;
      break;
    }
    case kBlob:
      value = BytesPrefix(f.p, f.n) << 5;
      break;
    default:  // kNull, kCorrupt: every value of the class shares one prefix.
      break;
  }
  const uint64_t key = (uint64_t{f.cls} << 61) | value;
  return col.descending ? ~key : key;
}

bool IndexRecordOrder::FieldIsNull(std::string_view record, size_t i) {
  Cursor c(record);
  Field f;
  for (size_t k = 0;; ++k) {
    if (!c.Next(&f)) return false;
    if (k == i) return f.cls == kNull;
    if (f.cls == kCorrupt) return false;
  }
}

}  // namespace cofre
