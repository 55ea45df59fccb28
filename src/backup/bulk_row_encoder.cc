#include "backup/bulk_row_encoder.h"

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

Status BulkRowEncoder::Encode(std::string_view body, std::string* out) {
  RETURN_IF_ERROR(rowcodec::DecodeRecord(body, &record_));
  if (record_.kind != fmt::kRecordRow || record_.key_values.size() != 1 ||
      record_.key_values[0].tag != fmt::kInteger) {
    return DataLossError("backup has a row of table " + plan_.table->name() +
                         " whose key is not one rowid");
  }
  RETURN_IF_ERROR(short_rows_.Complete(&record_.values, "backup"));
  const int64_t rowid = record_.key_values[0].i;
  values_.resize(record_.values.size());
  for (size_t i = 0; i < values_.size(); ++i) values_[i] = ToRecordValue(record_.values[i]);
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
  const size_t start = out->size();
  out->resize(start + total);
  char* p = out->data() + start;
  std::memcpy(p, &rowid, 8);
  std::memcpy(p + 8, &length, 8);
  p = layout_.Write(p + 16);
  for (size_t t = 0; t < threads_.size(); ++t) {
    if (!threads_[t].used) continue;
    p += rowcodec::PutVarint(projection_bytes_[t], p);
    p = layout_.Write(threads_[t].columns, p);
  }
  out->resize(static_cast<size_t>(p - out->data()));  // the varints' unused room
  return Status::OK();
}

}  // namespace cofre
