#include "engine/index_sort_key.h"

#include <bit>
#include <cmath>
#include <cstring>

namespace cofre::index_sort_key {

namespace {

// The double's bits made order-preserving as an unsigned integer.
uint64_t OrderedBits(double d) {
  if (d == 0) d = 0;  // -0.0 sorts with 0.0
  const uint64_t bits = std::bit_cast<uint64_t>(d);
  return (bits >> 63) ? ~bits : bits | (uint64_t{1} << 63);
}

void AppendNumber(double rounded, int64_t remainder, std::string* out) {
  char key[13];
  key[0] = 0x02;
  // Big-endian, so that byte order is numeric order.
  uint64_t bits = OrderedBits(rounded);
  uint32_t rest = static_cast<uint32_t>(static_cast<int64_t>(remainder) + (int64_t{1} << 31));
  if constexpr (std::endian::native == std::endian::little) {
    bits = __builtin_bswap64(bits);
    rest = __builtin_bswap32(rest);
  }
  std::memcpy(key + 1, &bits, 8);
  std::memcpy(key + 9, &rest, 4);
  out->append(key, sizeof(key));
}

void AppendInteger(int64_t i, std::string* out) {
  constexpr int64_t kExact = int64_t{1} << 53;  // every integer up to here is an exact double
  const double d = static_cast<double>(i);
  if (i >= -kExact && i <= kExact) {
    AppendNumber(d, 0, out);
    return;
  }
  // |i - d| <= 1024 for any int64; d may be 2^63, which only __int128 holds.
  const __int128 rest = static_cast<__int128>(i) - static_cast<__int128>(d);
  AppendNumber(d, static_cast<int64_t>(rest), out);
}

void AppendEscaped(uint8_t tag, std::string_view bytes, std::string* out) {
  out->push_back(static_cast<char>(tag));
  if (bytes.find('\0') == std::string_view::npos) {  // nothing to escape: one copy
    out->append(bytes);
    out->append(2, '\0');
    return;
  }
  for (char c : bytes) {
    out->push_back(c);
    if (c == 0) out->push_back(static_cast<char>(0xff));
  }
  out->push_back(0);
  out->push_back(0);
}

bool AppendText(std::string_view text, Collation collation, std::string* out) {
  switch (collation) {
    case Collation::kBinary:
      AppendEscaped(0x03, text, out);
      return true;
    case Collation::kRtrim: {
      size_t n = text.size();
      while (n > 0 && text[n - 1] == ' ') --n;
      AppendEscaped(0x03, text.substr(0, n), out);
      return true;
    }
    case Collation::kNoCase: {
      if (text.find('\0') != std::string_view::npos) return false;
      out->push_back(0x03);
      const size_t start = out->size();
      out->append(text);
      for (size_t i = start; i < out->size(); ++i) {
        const char c = (*out)[i];
        if (c >= 'A' && c <= 'Z') (*out)[i] = static_cast<char>(c + 32);
      }
      out->append(2, '\0');
      return true;
    }
  }
  return false;
}

}  // namespace

bool Append(std::span<const sqlite_record::Value> fields, std::span<const IndexColumnOrder> order,
            std::string* out) {
  using sqlite_record::Type;
  for (size_t f = 0; f < fields.size(); ++f) {
    const IndexColumnOrder column = f < order.size() ? order[f] : IndexColumnOrder{};
    const size_t start = out->size();
    const sqlite_record::Value& v = fields[f];
    switch (v.type) {
      case Type::kNull:
        out->push_back(0x01);
        break;
      case Type::kInteger:
        AppendInteger(v.i, out);
        break;
      case Type::kReal:
        if (std::isnan(v.r)) {
          out->push_back(0x01);  // SQLite stores NaN as NULL
        } else {
          AppendNumber(v.r, 0, out);
        }
        break;
      case Type::kText:
        if (!AppendText(v.bytes, column.collation, out)) return false;
        break;
      case Type::kBlob:
        AppendEscaped(0x04, v.bytes, out);
        break;
    }
    if (column.descending) {
      for (size_t i = start; i < out->size(); ++i) (*out)[i] = static_cast<char>(~(*out)[i]);
    }
  }
  return true;
}

}  // namespace cofre::index_sort_key
