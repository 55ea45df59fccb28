#include "backup/bulk_row_encoder.h"

#include <algorithm>
#include <cstring>

#include "backup/data_file_format.h"

namespace cofre {

namespace fmt = data_file_format;

namespace {

sqlite_record::Value ToRecordValue(const rowcodec::ValueRef& v) {
  sqlite_record::Value out;
  switch (v.tag) {
    case fmt::kInteger:
      out.type = sqlite_record::Type::kInteger;
      out.i = v.i;
      break;
    case fmt::kReal:
      out.type = sqlite_record::Type::kReal;
      out.r = v.d;
      break;
    case fmt::kText:
      out.type = sqlite_record::Type::kText;
      out.bytes = v.bytes;
      break;
    case fmt::kBlob:
      out.type = sqlite_record::Type::kBlob;
      out.bytes = v.bytes;
      break;
    default:
      break;  // NULL
  }
  return out;
}

}  // namespace

Status BulkRowEncoder::Encode(std::string_view body, ByteBuffer* out) {
  // The row is decoded straight into the values its records are made of: the kind, a key of
  // one INTEGER (the rowid), the number of stored values, the values (row_codec.h).
  auto corrupt = [&](const char* what) {
    return DataLossError("backup has a row of table " + plan_.table->name() + " " + what);
  };
  size_t pos = 0;
  uint64_t key_values, count, zigzag;
  if (body.empty() || static_cast<uint8_t>(body[pos++]) != fmt::kRecordRow ||
      !rowcodec::GetVarint(body, &pos, &key_values) || key_values != 1 || pos >= body.size() ||
      static_cast<uint8_t>(body[pos++]) != fmt::kInteger ||
      !rowcodec::GetVarint(body, &pos, &zigzag)) {
    return corrupt("whose key is not one rowid");
  }
  const int64_t rowid = rowcodec::UnZigZag(zigzag);
  if (!rowcodec::GetVarint(body, &pos, &count) || count > body.size() - pos) {
    return corrupt("that is malformed");
  }
  if (count != short_rows_.columns()) RETURN_IF_ERROR(short_rows_.CheckCount(count, "backup"));
  const size_t stored = static_cast<size_t>(count);
  values_.resize(std::max(stored, short_rows_.columns()));
  rowcodec::ValueRef value;
  for (size_t i = 0; i < stored; ++i) {
    if (!rowcodec::ReadValue(body, &pos, &value)) return corrupt("with a malformed value");
    values_[i] =
        value.tag == fmt::kRowidValue ? sqlite_record::Value::Integer(rowid) : ToRecordValue(value);
  }
  if (pos != body.size()) return corrupt("with trailing bytes");
  for (size_t i = stored; i < values_.size(); ++i) {
    values_[i] = ToRecordValue(short_rows_.Missing(i));
  }
  if (plan_.rowid_alias >= 0) values_[plan_.rowid_alias] = sqlite_record::Value();
  // Every record is written straight into `out`, sized once for all of them; the serial types
  // are worked out once for the table record and the projections.
  layout_.Reset(values_);
  const uint64_t length = layout_.Size();
  size_t total = 16 + length;
  projection_bytes_.assign(threads_.size(), 0);
  for (size_t t = 0; t < threads_.size(); ++t) {
    if (!threads_[t].used) continue;
    projection_bytes_[t] = layout_.Size(threads_[t].columns);
    total += rowcodec::kMaxVarintBytes + projection_bytes_[t];
  }
  char* p = out->Extend(total);
  std::memcpy(p, &rowid, 8);
  std::memcpy(p + 8, &length, 8);
  p = layout_.Write(p + 16);
  for (size_t t = 0; t < threads_.size(); ++t) {
    if (!threads_[t].used) continue;
    p += rowcodec::PutVarint(projection_bytes_[t], p);
    p = layout_.Write(threads_[t].columns, p);
  }
  out->Truncate(static_cast<size_t>(p - out->data()));  // the varints' unused room
  return Status::OK();
}

}  // namespace cofre
