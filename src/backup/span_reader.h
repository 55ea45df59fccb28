// SpanReader: the rows of one span of a backup as of the layer whose manifest lists it. It
// merges the span's files (its BASE file, then its DELTA files in layer order) by key: for a key
// in several files the newest file wins, and a tombstone deletes the key. Next() yields every
// live row once, in key order (KeyOrder), as the encoded key and the whole record body (kind,
// key, values: exactly what a backup wrote for the row).
//
// Every file must be in strictly increasing key order; one that is not makes Next() fail with
// FailedPrecondition and out_of_order() true (a caller that can do without the merge, such as an
// incremental backup rewriting the span in full, treats that as "cannot merge", not as damage).
// Legacy spans (whose BASE file names a row digest file: written by cofre 0.1, which appended a
// DELTA file's tombstones after its rows in no order) are read with each DELTA file's tombstones
// collected and sorted first; memory then grows with the number of deleted keys in those files.
// Corrupt or tampered files are DataLoss naming the file, as for restore.
//
// Costs: every file of the span is read from storage, start to end, once (twice for DELTA files
// of legacy spans), or with key ranges given, only the frames of those ranges. Memory: one
// DataFileReader buffer per file. Thread-safety: one thread at a time. The views Next() returns are
// valid until the next call.
#ifndef COFRE_BACKUP_SPAN_READER_H_
#define COFRE_BACKUP_SPAN_READER_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backup/chain_storage.h"
#include "backup/data_file_reader.h"
#include "backup/key_order.h"
#include "backup/stored_file.h"

namespace cofre {

class SpanReader {
 public:
  // Opens every file of `span`. `storage` and `crypto` must outlive the reader. With `only`, a
  // file with a frame index is read only in the frames that may hold keys in those ranges
  // (backup/data_file_frames.h), and Next() yields the live rows in the ranges (when the
  // ranges' bounds are rowids; otherwise it may yield other rows too).
  static StatusOr<std::unique_ptr<SpanReader>> Open(const ChainStorage& storage,
                                                    const proto::Span& span,
                                                    const ChainCrypto& crypto, KeyOrder order,
                                                    const KeyRanges* only = nullptr);

  // The next live row: false at the end of the span.
  StatusOr<bool> Next(std::string_view* key, std::string_view* body);

  // True after Next() failed because a file's keys are not in increasing order.
  bool out_of_order() const { return out_of_order_; }

 private:
  // One ordered stream of records: a file, or the sorted tombstones of a legacy DELTA file.
  struct Input {
    std::string path;
    std::unique_ptr<DataFileReader> reader;  // null: `tombstones` instead
    bool skip_tombstones = false;            // legacy DELTA file: tombstones come from elsewhere
    std::vector<std::string> tombstones;     // sorted tombstone records (kind byte, key)
    size_t next_tombstone = 0;
    int age = 0;        // position of the file in the span: higher is newer
    bool live = false;  // `body` and `key` hold the current record
    std::string_view body, key;
    std::string last_key;  // the previous record's key, for the order check
    bool has_last = false;
    size_t range = 0;  // the first of `ranges_` its next key can be in
  };
  // [lo, hi) (unset: unbounded)
  using RowidBounds = std::pair<std::optional<int64_t>, std::optional<int64_t>>;

  SpanReader(KeyOrder order) : order_(std::move(order)) {}
  Status Advance(Input& in);
  // Whether `key`, the next key of `in`, lies in `ranges_` (moving in.range past ranges below it).
  bool InRanges(Input& in, std::string_view key) const;
  Status CollectTombstones(const ChainStorage& storage, const proto::DataFile& file,
                           const ChainCrypto& crypto, Input* in);

  KeyOrder order_;
  std::vector<Input> inputs_;
  std::vector<size_t> pending_;  // inputs positioned at the last key returned: advance first
  bool out_of_order_ = false;
  // With `only` of rowid bounds: records outside them are passed over as they are read.
  std::vector<RowidBounds> ranges_;
  bool filter_ = false;
};

}  // namespace cofre

#endif  // COFRE_BACKUP_SPAN_READER_H_
