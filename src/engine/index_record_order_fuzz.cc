// libFuzzer target for IndexRecordOrder (engine/index_record_order.h) on arbitrary bytes.
//
// Input: a flags byte (bits 0-1 the collation of field 0, bit 2 its direction, bits 3-4 and 5
// the same for field 1), two length bytes, then three records cut from the rest: the first two
// of the given lengths (clamped), the third the remainder.
// Invariants besides no crash, out-of-bounds read or undefined behaviour: Compare is reflexive
// and antisymmetric, agrees with ComparePrefix on all fields, is transitive on the three records
// (so std::sort stays safe on corrupt input), and SortPrefix never contradicts it.
//
// Build: CC=clang-14 CXX=clang++-14 cmake -S . -B build-asan -G Ninja -DCOFRE_FUZZ=ON
//        ninja -C build-asan index_record_order_fuzz
// Run:   build-asan/index_record_order_fuzz -max_total_time=60 fuzz/corpus/index_record_order
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/index_record_order.h"

namespace {

int Sign(int v) { return (v > 0) - (v < 0); }

void Check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 3) return 0;
  const uint8_t flags = data[0];
  auto collation = [](unsigned bits) { return static_cast<cofre::Collation>(bits % 3); };
  const cofre::IndexRecordOrder order(
      {{collation(flags & 3), (flags & 4) != 0}, {collation((flags >> 3) & 3), (flags & 32) != 0}});
  std::string_view rest(reinterpret_cast<const char*>(data + 3), size - 3);
  const size_t la = std::min<size_t>(data[1], rest.size());
  const std::string_view a = rest.substr(0, la);
  rest.remove_prefix(la);
  const size_t lb = std::min<size_t>(data[2], rest.size());
  const std::string_view b = rest.substr(0, lb);
  const std::string_view c = rest.substr(lb);

  const std::string_view records[3] = {a, b, c};
  for (const std::string_view x : records) {
    Check(order.Compare(x, x) == 0);
    for (size_t i = 0; i < 4; ++i) (void)cofre::IndexRecordOrder::FieldIsNull(x, i);
    for (const std::string_view y : records) {
      const int xy = order.Compare(x, y);
      Check(Sign(xy) == -Sign(order.Compare(y, x)));
      Check(Sign(xy) == Sign(order.ComparePrefix(x, y, SIZE_MAX)));
      if (xy < 0) Check(order.SortPrefix(x) <= order.SortPrefix(y));
      if (xy == 0) Check(order.SortPrefix(x) == order.SortPrefix(y));
    }
  }
  for (const std::string_view x : records) {
    for (const std::string_view y : records) {
      for (const std::string_view z : records) {
        if (order.Compare(x, y) <= 0 && order.Compare(y, z) <= 0) Check(order.Compare(x, z) <= 0);
      }
    }
  }
  return 0;
}
