// BulkRowEncoder: turns a table's backed-up rows into what the page-writing restore
// (bulk_loader.h) needs of them, on the span prefetchers' threads: the table b-tree's record and,
// for each sorting thread, a record of the columns its indexes read (docs/performance.md,
// "Rows encoded off the loading thread").
// Thread-safety: one encoder per thread; the plan, defaults and columns it refers to are read
// only and must outlive it.
#ifndef COFRE_BACKUP_BULK_ROW_ENCODER_H_
#define COFRE_BACKUP_BULK_ROW_ENCODER_H_

#include <string>
#include <string_view>
#include <vector>

#include "backup/bulk_load_plan.h"
#include "backup/row_codec.h"
#include "backup/short_rows.h"
#include "engine/sqlite_record.h"
#include "util/byte_buffer.h"
#include "util/status.h"

namespace cofre {

// The table columns a sorting thread needs for the entries of its indexes of one table, in the
// order of the projected records the loading thread hands it (`used` false: no index there).
struct SortThreadColumns {
  bool used = false;
  std::vector<int> columns;
};

// Turns a table's backed-up rows into what the restore needs of them: the rowid and the length
// of the row's SQLite record (8 bytes each, native order), the record, then for each sorting thread
// with indexes of the table the length (varint) and bytes of the SQLite record of the columns
// it needs (SortThreadColumns). Runs on the span prefetchers' threads (one encoder each), so that
// the loading thread, the restore's critical path, only appends ready records and the sorting
// threads receive only their indexes' columns.
class BulkRowEncoder {
 public:
  BulkRowEncoder(const BulkTablePlan& plan, const ShortRowDefaults& short_rows,
                 const std::vector<SortThreadColumns>& threads)
      : plan_(plan), short_rows_(short_rows), threads_(threads) {}

  // Appends the encoding of the backed-up row `body` (a row_codec record body) to `*out`,
  // decoding it straight into the records' values. DataLoss for a malformed row, a row that is
  // not one of a rowid table's, or one that cannot be completed to the table's columns.
  Status Encode(std::string_view body, ByteBuffer* out);

 private:
  const BulkTablePlan& plan_;
  const ShortRowDefaults& short_rows_;  // completes rows stored before an ADD COLUMN
  const std::vector<SortThreadColumns>& threads_;
  std::vector<sqlite_record::Value> values_;
  sqlite_record::RecordLayout layout_;    // of values_: the table record and the projections
  std::vector<size_t> projection_bytes_;  // per sorting thread
};

}  // namespace cofre

#endif  // COFRE_BACKUP_BULK_ROW_ENCODER_H_
