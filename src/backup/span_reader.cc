#include "backup/span_reader.h"

#include <algorithm>

#include "backup/data_file_format.h"
#include "backup/row_codec.h"

namespace cofre {

namespace fmt = data_file_format;

StatusOr<std::unique_ptr<SpanReader>> SpanReader::Open(const ChainStorage& storage,
                                                       const proto::Span& span,
                                                       const ChainCrypto& crypto, KeyOrder order,
                                                       const KeyRanges* only) {
  std::unique_ptr<SpanReader> r(new SpanReader(std::move(order)));
  const bool legacy = span.files_size() > 0 && !span.files(0).legacy_digest_path().empty();
  if (only) {
    r->filter_ = true;
    for (const auto& [start, end] : *only) {
      RowidBounds b;
      int64_t rowid = 0;
      if (!start.empty()) {
        r->filter_ = r->filter_ && rowcodec::DecodeRowidKey(start, &rowid);
        b.first = rowid;
      }
      if (!end.empty()) {
        r->filter_ = r->filter_ && rowcodec::DecodeRowidKey(end, &rowid);
        b.second = rowid;
      }
      r->ranges_.push_back(b);
    }
  }
  r->inputs_.reserve(2 * span.files_size());
  for (int i = 0; i < span.files_size(); ++i) {
    const proto::DataFile& file = span.files(i);
    if (legacy && file.kind() == proto::FILE_KIND_DELTA) {
      Input tombstones;
      tombstones.path = file.path();
      tombstones.age = i;
      RETURN_IF_ERROR(r->CollectTombstones(storage, file, crypto, &tombstones));
      r->inputs_.push_back(std::move(tombstones));
    }
    Input in;
    in.path = file.path();
    in.age = i;
    in.skip_tombstones = legacy && file.kind() == proto::FILE_KIND_DELTA;
    if (only && !legacy && HasFrameIndex(file)) {
      ASSIGN_OR_RETURN(
          in.reader, DataFileReader::OpenFrames(storage.For(file), file, crypto, r->order_, *only));
    } else {
      ASSIGN_OR_RETURN(in.reader, DataFileReader::Open(storage.For(file), file, crypto));
    }
    r->inputs_.push_back(std::move(in));
  }
  // Only now that inputs_ no longer moves may records point into it.
  for (auto& in : r->inputs_) RETURN_IF_ERROR(r->Advance(in));
  return r;
}

Status SpanReader::CollectTombstones(const ChainStorage& storage, const proto::DataFile& file,
                                     const ChainCrypto& crypto, Input* in) {
  ASSIGN_OR_RETURN(auto reader, DataFileReader::Open(storage.For(file), file, crypto));
  std::string_view body;
  while (true) {
    ASSIGN_OR_RETURN(bool more, reader->NextBody(&body));
    if (!more) break;
    if (static_cast<uint8_t>(body[0]) == fmt::kRecordTombstone) in->tombstones.emplace_back(body);
  }
  std::sort(in->tombstones.begin(), in->tombstones.end(),
            [this](const std::string& a, const std::string& b) {
              return order_.Compare(std::string_view(a).substr(1), std::string_view(b).substr(1)) <
                     0;
            });
  return Status::OK();
}

Status SpanReader::Advance(Input& in) {
  if (in.live) {
    in.last_key.assign(in.key);
    in.has_last = true;
  }
  in.live = false;
  while (true) {
    std::string_view body;
    if (!in.reader) {
      if (in.next_tombstone == in.tombstones.size()) return Status::OK();
      body = in.tombstones[in.next_tombstone++];
    } else {
      ASSIGN_OR_RETURN(bool more, in.reader->NextBody(&body));
      if (!more) return Status::OK();
    }
    const uint8_t kind = static_cast<uint8_t>(body[0]);
    const size_t key_len = EncodedKeyLength(body.substr(1));
    if ((kind != fmt::kRecordRow && kind != fmt::kRecordTombstone) || key_len == 0 ||
        (kind == fmt::kRecordTombstone && body.size() != 1 + key_len)) {
      return DataLossError("backup file " + in.path + " is corrupt: a record is malformed");
    }
    if (kind == fmt::kRecordTombstone && in.skip_tombstones) continue;
    std::string_view key = body.substr(1, key_len);
    if (filter_ && !InRanges(in, key)) continue;
    if (in.has_last && order_.Compare(in.last_key, key) >= 0) {
      out_of_order_ = true;
      return FailedPreconditionError("backup file " + in.path +
                                     " does not hold its keys in increasing order");
    }
    in.body = body;
    in.key = key;
    in.live = true;
    return Status::OK();
  }
}

bool SpanReader::InRanges(Input& in, std::string_view key) const {
  int64_t rowid = 0;
  if (!rowcodec::DecodeRowidKey(key, &rowid)) return true;  // not a rowid: kept
  // Keys come in increasing order: ranges wholly below this one are done for this input.
  while (in.range < ranges_.size() && ranges_[in.range].second &&
         rowid >= *ranges_[in.range].second) {
    ++in.range;
  }
  return in.range < ranges_.size() &&
         (!ranges_[in.range].first || rowid >= *ranges_[in.range].first);
}

StatusOr<bool> SpanReader::Next(std::string_view* key, std::string_view* body) {
  while (true) {
    for (size_t i : pending_) RETURN_IF_ERROR(Advance(inputs_[i]));
    pending_.clear();
    int best = -1;
    for (size_t i = 0; i < inputs_.size(); ++i) {
      const Input& in = inputs_[i];
      if (!in.live) continue;
      if (best < 0) {
        best = static_cast<int>(i);
        continue;
      }
      int c = order_.Compare(in.key, inputs_[best].key);
      if (c < 0 || (c == 0 && in.age >= inputs_[best].age)) best = static_cast<int>(i);
    }
    if (best < 0) return false;
    const Input& winner = inputs_[best];
    for (size_t i = 0; i < inputs_.size(); ++i) {
      if (inputs_[i].live &&
          (static_cast<int>(i) == best || order_.Compare(inputs_[i].key, winner.key) == 0)) {
        pending_.push_back(i);
      }
    }
    if (static_cast<uint8_t>(winner.body[0]) == fmt::kRecordTombstone) continue;
    *key = winner.key;
    *body = winner.body;
    return true;
  }
}

}  // namespace cofre
