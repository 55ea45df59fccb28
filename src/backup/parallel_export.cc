#include "backup/parallel_export.h"

#include <algorithm>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <system_error>
#include <thread>

#include "backup/backup_checkpoint.h"
#include "backup/row_codec.h"

namespace cofre {
namespace {

// What one piece produced.
struct PieceOutput {
  proto::Table spans;  // only its spans are used
  uint64_t rows = 0;
  uint64_t bytes = 0;
};

// The queue of pieces shared by the workers, and what they report back.
class PieceQueue {
 public:
  explicit PieceQueue(size_t pieces) : total_(pieces) {}

  // The next piece to export, or false when there is none left or a worker failed.
  bool Next(size_t* piece) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!error_.ok() || next_ == total_) return false;
    *piece = next_++;
    return true;
  }
  void Done(Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!status.ok() && error_.ok()) error_ = std::move(status);
    ++done_;
    cv_.notify_all();
  }
  void WorkerExited() {
    std::lock_guard<std::mutex> lock(mu_);
    --workers_;
    cv_.notify_all();
  }
  void WorkerStarted() {
    std::lock_guard<std::mutex> lock(mu_);
    ++workers_;
  }
  // Waits until a piece is done after `seen` were, or every worker has exited; returns the
  // number done, and false once the workers have all exited.
  bool Wait(size_t seen, size_t* done) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return done_ != seen || workers_ == 0; });
    *done = done_;
    return workers_ > 0;
  }
  Status error() {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  const size_t total_;
  size_t next_ = 0;
  size_t done_ = 0;
  int workers_ = 0;
  Status error_;
};

}  // namespace

int DefaultExportThreads() {
  unsigned n = std::thread::hardware_concurrency();
  return static_cast<int>(std::clamp(n, 1u, 8u));
}

Status RunInParallel(int threads, size_t items,
                     const std::function<Status(int worker, size_t item)>& work,
                     const std::function<void(double)>& progress, std::stop_token stop) {
  PieceQueue queue(items);
  auto run = [&](int worker) {
    size_t next;
    while (queue.Next(&next)) {
      if (stop.stop_requested()) {
        queue.Done(CancelledError("the job was stopped (PAUSE, CANCEL or a server shutdown)"));
      } else {
        queue.Done(work(worker, next));
      }
    }
    queue.WorkerExited();
  };
  std::vector<std::thread> workers;
  for (int w = 0; w < std::max(1, threads); ++w) {
    queue.WorkerStarted();
    try {
      workers.emplace_back(run, w);
    } catch (const std::system_error& e) {
      queue.WorkerExited();
      if (workers.empty()) {
        return ResourceExhaustedError(std::string("cannot start a backup thread: ") + e.what());
      }
      break;  // go on with the workers that started
    }
  }
  size_t done = 0;
  while (queue.Wait(done, &done)) {
    if (progress) progress(0.99 * static_cast<double>(done) / std::max<size_t>(1, items));
  }
  for (auto& w : workers) w.join();
  return queue.error();
}

StatusOr<std::vector<ExportPiece>> PlanPieces(const SqliteDb& db, const TableSchema& schema,
                                              size_t index, const ParallelExportOptions& options) {
  std::vector<ExportPiece> pieces;
  const uint64_t max_pieces =
      static_cast<uint64_t>(std::max(1, options.threads) * std::max(1, options.pieces_per_thread));
  if (schema.without_rowid) {
    // No cheap way to cut a composite key into even ranges: one piece, scheduled first.
    pieces.push_back({index, "", "", std::numeric_limits<uint64_t>::max()});
    return pieces;
  }
  // Two subqueries: SQLite seeks a lone min() or max() of the rowid, but scans the whole table
  // for both in one SELECT (a serial second or so before the workers start, at 1 GiB).
  const std::string table = " FROM main." + QuoteIdent(schema.name) + ")";
  const std::string sql = "SELECT (SELECT min(" + schema.rowid_name + ")" + table +
                          ", (SELECT max(" + schema.rowid_name + ")" + table;
  ASSIGN_OR_RETURN(SqliteStmt stmt, db.Prepare(sql));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row || stmt.ColumnIsNull(0)) {
    pieces.push_back({index, "", "", 1});
    return pieces;
  }
  const int64_t lo = stmt.ColumnInt(0), hi = stmt.ColumnInt(1);
  // Rowids in [lo, hi]: span + 1 of them (unsigned arithmetic cannot overflow here).
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
  const uint64_t min_rows = std::max<uint64_t>(1, options.min_piece_rows);
  const uint64_t n = options.threads <= 1 ? 1 : std::min(max_pieces, span / min_rows + 1);
  const uint64_t step = span / n + 1;
  std::string start;
  for (uint64_t k = 1; k <= n; ++k) {
    std::string end;
    if (k < n)
      end = rowcodec::EncodeRowidKey(static_cast<int64_t>(static_cast<uint64_t>(lo) + k * step));
    uint64_t weight = k < n ? step : span - (n - 1) * step + 1;
    pieces.push_back({index, start, end, std::max<uint64_t>(1, weight)});
    start = std::move(end);
  }
  return pieces;
}

Status ExportTablesInParallel(const Snapshot& snapshot, const std::vector<TableToExport>& tables,
                              ExternalStorage& storage, const ChainCrypto& crypto,
                              const ExportOptions& options, const ParallelExportOptions& parallel,
                              const std::function<void(double)>& progress) {
  auto annotate = [&](const Status& st, size_t t) {
    return st.Annotate("backing up table " + tables[t].database + "." + tables[t].schema->name);
  };
  const int threads = std::clamp(parallel.threads, 1, snapshot.readers_per_database());

  // Plan: every table's pieces, then an order that starts with the largest tables.
  std::vector<ExportPiece> pieces;
  std::vector<uint64_t> table_weight(tables.size(), 0);
  std::vector<std::optional<KeyOrder>> orders(tables.size());
  for (size_t t = 0; t < tables.size(); ++t) {
    ParallelExportOptions plan = parallel;
    plan.threads = threads;
    const SqliteDb& db = snapshot.reader(tables[t].database);
    auto planned = PlanPieces(db, *tables[t].schema, t, plan);
    if (!planned.ok()) return annotate(planned.status(), t);
    if (parallel.checkpoint && parallel.checkpoint->resuming()) {
      auto key_order = KeyOrder::ForTable(db, *tables[t].schema);
      if (!key_order.ok()) return annotate(key_order.status(), t);
      orders[t] = std::move(*key_order);
      *planned = parallel.checkpoint->Pieces(tables[t].database, *tables[t].schema, orders[t],
                                             std::move(*planned));
    }
    for (auto& p : *planned) {
      table_weight[t] = std::max(table_weight[t], p.weight);
      pieces.push_back(std::move(p));
    }
  }
  std::vector<size_t> order(pieces.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return table_weight[pieces[a].table] > table_weight[pieces[b].table];
  });

  // Run: workers take pieces in that order, each on its own reader.
  std::vector<PieceOutput> outputs(pieces.size());
  auto work = [&](int reader, size_t next) {
    const ExportPiece& piece = pieces[order[next]];
    const TableToExport& table = tables[piece.table];
    PieceOutput& out = outputs[order[next]];
    const SqliteDb& db = snapshot.reader(table.database, reader);
    std::unique_ptr<RowCacheWriter::Rows> digests;
    if (parallel.row_cache) {
      // A span brought from an interrupted run is not scanned whole: its table is left out.
      if (piece.finished) {
        parallel.row_cache->Drop(table.database, table.schema->name);
      } else {
        digests = parallel.row_cache->NewRows(table.database, table.schema->name);
      }
    }
    Status st =
        piece.finished
            ? parallel.checkpoint->Bring(db, table.database, *table.schema, *orders[piece.table],
                                         ShortRowDefaults(), *piece.finished, *parallel.chain,
                                         crypto, options, &out.spans, &out.rows, &out.bytes)
            : ExportRange(db, *table.schema, piece.start_key, piece.end_key, storage, crypto,
                          options, &out.spans, &out.rows, &out.bytes, digests.get());
    if (!st.ok()) return annotate(st, piece.table);
    if (digests) digests->Finish();
    if (parallel.checkpoint) {
      parallel.checkpoint->Finished(table.database, *table.schema, out.spans);
    }
    if (parallel.live) {
      parallel.live->rows += out.rows;
      parallel.live->bytes += out.bytes;
    }
    return st;
  };
  // The checkpoint is saved from this thread as pieces finish, and once more when they stop.
  auto report = [&](double fraction) {
    if (parallel.checkpoint) parallel.checkpoint->Flush().IgnoreError();
    if (progress) progress(fraction);
  };
  Status run = RunInParallel(threads, order.size(), work, report, parallel.stop);
  if (parallel.checkpoint) parallel.checkpoint->Flush().IgnoreError();
  RETURN_IF_ERROR(run);

  // Assemble: each table's spans in key order (pieces were planned in key order), numbered.
  for (size_t t = 0; t < tables.size(); ++t) DescribeTable(*tables[t].schema, tables[t].out);
  std::vector<uint64_t> rows(tables.size(), 0), bytes(tables.size(), 0);
  for (size_t i = 0; i < pieces.size(); ++i) {
    const size_t t = pieces[i].table;
    proto::Table* out = tables[t].out;
    for (auto& span : *outputs[i].spans.mutable_spans()) {
      span.set_id(static_cast<uint64_t>(out->spans_size()) + 1);
      *out->add_spans() = std::move(span);
    }
    rows[t] += outputs[i].rows;
    bytes[t] += outputs[i].bytes;
  }
  for (size_t t = 0; t < tables.size(); ++t) {
    proto::Table* out = tables[t].out;
    out->set_rows(rows[t]);
    out->set_logical_bytes(bytes[t]);
    auto entries =
        CountIndexEntries(snapshot.reader(tables[t].database), *tables[t].schema, rows[t]);
    if (!entries.ok()) return annotate(entries.status(), t);
    out->set_index_entries(*entries);
  }
  return Status::OK();
}

}  // namespace cofre
