// DiffSpan: the delta of one span of a previous layer against the current snapshot, for
// incremental backups (backup/incremental_backup.h) and resumed full backups.
//
// The span's previous state (a SpanReader, or a SpanPrefetcher reading one on another thread)
// and a scan of the span's key range on a snapshot reader are walked in lockstep, both in key
// order; what differs goes to one DELTA file. Rowid ranges the change detector proved unchanged
// (backup/leaf_maps.h) are neither scanned nor compared. Rows stored before an ADD COLUMN are
// completed with the table's short-row defaults before they are compared (backup/short_rows.h).
// Thread-safety: one call per span; different spans may be diffed on different threads, each on
// its own reader.
#ifndef COFRE_BACKUP_SPAN_DIFF_H_
#define COFRE_BACKUP_SPAN_DIFF_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backup/chain_storage.h"
#include "backup/data_file_format.h"
#include "backup/data_file_writer.h"
#include "backup/key_order.h"
#include "backup/leaf_maps.h"
#include "backup/row_cache.h"
#include "backup/row_codec.h"
#include "backup/short_rows.h"
#include "backup/table_exporter.h"
#include "backup/table_schema.h"
#include "engine/sqlite.h"

namespace cofre {

// What a layer (or a span's delta) stored.
struct LayerStats {
  uint64_t rows = 0;
  uint64_t index_entries = 0;
  uint64_t bytes = 0;
  uint64_t rows_read = 0;  // rows read from the snapshot to make them
};

// How DiffSpan compares a previous row with a scanned one and counts its bytes: the stored rows
// of a SpanReader as they are; cached digests have overloads of their own (backup/row_cache.h).
template <typename Previous>
bool PreviousRowSame(const Previous& /*previous*/, std::string_view row, std::string_view body) {
  return rowcodec::SameRow(row, body);
}
template <typename Previous>
uint64_t PreviousRowBytes(const Previous& /*previous*/, std::string_view row) {
  return row.size();
}

// Writes the delta of one span; returns false in *kept when the span must be rewritten instead.
// The span's previous state (`previous`: a SpanReader, or a SpanPrefetcher reading one on another
// thread) and the current scan of its key range are walked in lockstep, both in key order: a key
// only in the scan is a new row, a key only in the previous state a deleted one (tombstone), a
// key in both a changed row when its encoded bytes differ. A stream found out of order makes the
// span rewritten in full. Previous rows stored before an ADD COLUMN are completed with `pad`
// before they are compared (backup/short_rows.h). Rows with rowids in `unchanged` (ranges the
// change detector proved the same, backup/leaf_maps.h) are neither scanned nor compared: the
// scan covers the rest of the span, and previous rows in those ranges are passed over. With
// `recorder`, every scanned row is also shown to it, in key order, before it is compared.
template <typename Previous>
Status DiffSpan(Previous& previous, const SqliteDb& db, const TableSchema& schema,
                const KeyOrder& order, const ShortRowDefaults& pad,
                const std::vector<RowidRange>& unchanged, const proto::Span& prev,
                const ChainStorage& storage, const ChainCrypto& crypto, const ExportOptions& opts,
                proto::Span* out, bool* kept, LayerStats* stats,
                SpanRowRecorder* recorder = nullptr) {
  *kept = false;
  std::vector<std::pair<std::string, std::string>> ranges;
  if (unchanged.empty()) {
    ranges.emplace_back(prev.start_key(), prev.end_key());
  } else {
    std::optional<int64_t> lo, hi;
    if (!SpanRowidRange(prev, &lo, &hi)) return Status::OK();
    ranges = ChangedKeyRanges(lo, hi, unchanged);
  }
  size_t next_range = 0;
  std::optional<TableScan> scan;
  bool scanning = false;  // `scan` is on a range with rows left to step
  // Moves to the next scanned row, across the ranges; false at the end. A range's scan reuses the
  // previous range's statements when it can.
  auto step = [&]() -> StatusOr<bool> {
    while (true) {
      if (scanning) {
        ASSIGN_OR_RETURN(bool row, scan->Step());
        if (row) return true;
        scanning = false;
      }
      if (next_range == ranges.size()) return false;
      const auto& [start, end] = ranges[next_range++];
      if (scan && scan->CanRestart(start, end)) {
        RETURN_IF_ERROR(scan->Restart(start, end));
      } else {
        ASSIGN_OR_RETURN(TableScan s, TableScan::Prepare(db, schema, start, end));
        scan.emplace(std::move(s));
      }
      scanning = true;
    }
  };
  size_t next_unchanged = 0;
  // Whether a previous row lies in an unchanged range (keys come in increasing order).
  auto in_unchanged = [&](std::string_view key, bool* usable) {
    if (unchanged.empty()) return false;
    int64_t rowid = 0;
    if (!rowcodec::DecodeRowidKey(key, &rowid)) {
      *usable = false;
      return false;
    }
    while (next_unchanged < unchanged.size() && unchanged[next_unchanged].second < rowid) {
      ++next_unchanged;
    }
    return next_unchanged < unchanged.size() && unchanged[next_unchanged].first <= rowid;
  };
  std::unique_ptr<DataFileWriter> writer;
  std::string key, last_key, body, tombstone, completed;
  // Rows (and bytes) scanned now, and previous rows outside the unchanged ranges (each one either
  // matched with a scanned row or deleted). Previous rows inside them may not be read at all
  // (SpanReader's frames), so the span's counts are the previous ones plus the difference.
  uint64_t rows = 0, bytes = 0, compared_rows = 0, compared_bytes = 0;
  auto write = [&](std::string_view record) -> Status {
    if (!writer) {
      // A delta holds the few rows that changed in the span: its first frame is rarely followed
      // by another worth a dictionary, and building one costs more than it saves (+0.5% bytes
      // without it on the bench's 1% change, docs/performance.md).
      ZstdOptions zstd = opts.zstd;
      zstd.first_frame_dictionary = false;
      ASSIGN_OR_RETURN(writer, DataFileWriter::Open(storage.DataFor(opts.layer),
                                                    NewDataFilePath(opts) + ".cfd", crypto, zstd));
    }
    return writer->AddRecord(record);
  };
  std::string_view prev_key, prev_body;
  bool have_prev = false;
  // Moves to the next row of the previous state outside the unchanged ranges (counting those it
  // passes over); false in *usable when the merge is impossible.
  auto advance = [&](bool* usable) -> Status {
    *usable = true;
    while (true) {
      auto more = previous.Next(&prev_key, &prev_body);
      if (!more.ok()) {
        if (previous.out_of_order()) {
          *usable = false;
          return Status::OK();
        }
        return more.status();
      }
      have_prev = *more;
      if (!have_prev) return Status::OK();
      if (!in_unchanged(prev_key, usable)) {
        ++compared_rows;
        compared_bytes += PreviousRowBytes(previous, prev_body);
        return Status::OK();
      }
    }
  };
  auto write_tombstone = [&]() -> Status {
    tombstone.assign(1, static_cast<char>(data_file_format::kRecordTombstone));
    tombstone.append(prev_key);
    return write(tombstone);
  };
  bool usable = true;
  RETURN_IF_ERROR(advance(&usable));
  if (!usable) return Status::OK();
  bool scanned = false;
  while (true) {
    ASSIGN_OR_RETURN(bool row, step());
    if (!row) break;
    key.clear();
    EncodeScanKey(*scan, schema, &key);
    if (scanned && order.Compare(last_key, key) >= 0) return Status::OK();  // SQLite disagrees
    scanned = true;
    EncodeScanRow(*scan, schema, key, &body);
    if (recorder) recorder->Scanned(key, body);
    ++rows;
    ++stats->rows_read;
    bytes += body.size();
    int c = -1;
    while (have_prev && (c = order.Compare(prev_key, key)) < 0) {
      RETURN_IF_ERROR(write_tombstone());
      RETURN_IF_ERROR(advance(&usable));
      if (!usable) return Status::OK();
    }
    bool same = false;
    if (have_prev && c == 0) {
      if (pad.any()) {
        RETURN_IF_ERROR(pad.CompleteBody(prev_body, &completed));
        prev_body = completed;
      }
      same = PreviousRowSame(previous, prev_body, body);
      RETURN_IF_ERROR(advance(&usable));
      if (!usable) return Status::OK();
    }
    if (!same) RETURN_IF_ERROR(write(body));
    std::swap(key, last_key);
  }
  while (have_prev) {
    RETURN_IF_ERROR(write_tombstone());
    RETURN_IF_ERROR(advance(&usable));
    if (!usable) return Status::OK();
  }
  if (!unchanged.empty()) {
    // Counts that do not add up (a span recorded with other counts): rewrite it instead.
    if (compared_rows > prev.rows() || compared_bytes > prev.logical_bytes()) return Status::OK();
    rows += prev.rows() - compared_rows;
    bytes += prev.logical_bytes() - compared_bytes;
  }
  // Grown past twice the target: rewrite and split (the writer is abandoned).
  if (bytes > 2 * opts.target_file_bytes) return Status::OK();
  *out = prev;
  out->set_rows(rows);
  out->set_logical_bytes(bytes);
  if (writer) {
    proto::DataFile* file = out->add_files();
    file->set_layer(opts.layer);
    file->set_kind(proto::FILE_KIND_DELTA);
    storage.MarkWritten(opts.layer, file);
    RETURN_IF_ERROR(writer->Finish(file));
    stats->rows += file->rows();
    stats->bytes += file->logical_bytes();
    stats->index_entries += file->rows() * schema.indexes.size();
  }
  *kept = true;
  return Status::OK();
}

}  // namespace cofre

#endif  // COFRE_BACKUP_SPAN_DIFF_H_
