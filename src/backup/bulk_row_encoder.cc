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
  out->append(reinterpret_cast<const char*>(&rowid), 8);
  const size_t length_at = out->size();
  out->append(8, '\0');  // the record's length, known once it is encoded in place
  sqlite_record::Append(values_, out);
  const uint64_t length = out->size() - length_at - 8;
  std::memcpy(out->data() + length_at, &length, 8);
  for (const SortThreadColumns& thread : threads_) {
    if (!thread.used) continue;
    projected_.clear();
    for (int c : thread.columns) projected_.push_back(values_[c]);
    scratch_.clear();
    sqlite_record::Append(projected_, &scratch_);
    rowcodec::PutVarint(out, scratch_.size());
    out->append(scratch_);
  }
  return Status::OK();
}

}  // namespace cofre
