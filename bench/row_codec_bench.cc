// Micro-benchmarks of the row codec (backup/row_codec.h, backup/table_exporter.h) on the rows of
// the benchmark dataset: the SQLite scan alone, the scan with encoding (a full backup's producer
// side), decoding, and what a restore's span prefetchers make of each row (BulkRowEncoder: the
// table record and the sorting threads' projections). Argument: the table, by position in the
// dataset's schema (customers, orders, order_items, events).
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <algorithm>

#include "backup/bulk_row_encoder.h"
#include "backup/row_codec.h"
#include "backup/table_exporter.h"
#include "microbench_data.h"

namespace cofre::bench {
namespace {

uint64_t TableBytes(size_t t) {
  uint64_t bytes = 0;
  for (const auto& b : Data().bodies[t]) bytes += b.size();
  return bytes;
}

// Steps a key-order scan of the whole table; with `encode`, also encodes every row.
void Scan(benchmark::State& state, bool encode) {
  const size_t t = static_cast<size_t>(state.range(0));
  const TableSchema& table = Data().tables[t];
  SqliteDb db = OpenDataset();
  std::string key, body;
  for (auto _ : state) {
    auto scan = TableScan::Prepare(db, table, "", "");
    if (!scan.ok()) return state.SkipWithError(scan.status().ToString().c_str());
    while (true) {
      auto row = scan->Step();
      if (!row.ok() || !*row) break;
      if (!encode) continue;
      key.clear();
      EncodeScanKey(*scan, table, &key);
      EncodeScanRow(*scan, table, key, &body);
      benchmark::DoNotOptimize(body.data());
    }
  }
  state.SetLabel(table.name);
  state.SetItemsProcessed(state.iterations() * Data().bodies[t].size());
  state.SetBytesProcessed(state.iterations() * TableBytes(t));
}

void BM_ScanRows(benchmark::State& state) { Scan(state, false); }
void BM_ScanEncodeRows(benchmark::State& state) { Scan(state, true); }

void BM_DecodeRows(benchmark::State& state) {
  const size_t t = static_cast<size_t>(state.range(0));
  rowcodec::Record rec;
  for (auto _ : state) {
    for (const std::string& body : Data().bodies[t]) {
      Status st = rowcodec::DecodeRecord(body, &rec);
      if (!st.ok()) return state.SkipWithError(st.ToString().c_str());
      benchmark::DoNotOptimize(rec.values.data());
    }
  }
  state.SetLabel(Data().tables[t].name);
  state.SetItemsProcessed(state.iterations() * Data().bodies[t].size());
  state.SetBytesProcessed(state.iterations() * TableBytes(t));
}

// The columns each of two sorting threads receives for table `t`: its indexes' columns, the
// indexes dealt out round robin as a restore on two cores does (bulk_loader.cc).
std::vector<SortThreadColumns> ThreadColumns(size_t t) {
  std::vector<SortThreadColumns> threads(2);
  SqliteDb db = OpenDataset();
  const TableSchema& table = Data().tables[t];
  for (size_t i = 0; i < table.indexes.size(); ++i) {
    SortThreadColumns& thread = threads[i % 2];
    thread.used = true;
    auto info = db.Prepare("SELECT cid FROM pragma_index_info('" + table.indexes[i].name + "')");
    if (!info.ok()) continue;
    while (sqlite3_step(info->get()) == SQLITE_ROW) {
      const int cid = sqlite3_column_int(info->get(), 0);
      if (cid >= 0) thread.columns.push_back(cid);
    }
  }
  for (SortThreadColumns& thread : threads) {
    std::sort(thread.columns.begin(), thread.columns.end());
    thread.columns.erase(std::unique(thread.columns.begin(), thread.columns.end()),
                         thread.columns.end());
  }
  return threads;
}

void BM_BulkEncodeRows(benchmark::State& state) {
  const size_t t = static_cast<size_t>(state.range(0));
  const TableSchema& schema = Data().tables[t];
  proto::Table table;
  table.set_name(schema.name);
  for (const std::string& column : schema.columns) table.add_columns()->set_name(column);
  auto defaults = ShortRowDefaults::ForTable(table);
  if (!defaults.ok()) return state.SkipWithError(defaults.status().ToString().c_str());
  BulkTablePlan plan;
  plan.table = &table;
  plan.rowid_alias = schema.columns.empty() || schema.columns[0] != "id" ? -1 : 0;
  const std::vector<SortThreadColumns> threads = ThreadColumns(t);
  BulkRowEncoder encoder(plan, *defaults, threads);
  ByteBuffer block;
  for (auto _ : state) {
    for (const std::string& body : Data().bodies[t]) {
      // Blocks of 1 MiB, as the prefetchers fill them.
      if (block.size() >= (1 << 20)) block.clear();
      Status st = encoder.Encode(body, &block);
      if (!st.ok()) return state.SkipWithError(st.ToString().c_str());
    }
    benchmark::DoNotOptimize(block.data());
  }
  state.SetLabel(schema.name);
  state.SetItemsProcessed(state.iterations() * Data().bodies[t].size());
  state.SetBytesProcessed(state.iterations() * TableBytes(t));
}

void Tables(benchmark::internal::Benchmark* b) {
  for (size_t t = 0; t < Data().tables.size(); ++t) b->Arg(static_cast<int64_t>(t));
}

BENCHMARK(BM_ScanRows)->Apply(Tables)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScanEncodeRows)->Apply(Tables)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeRows)->Apply(Tables)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BulkEncodeRows)->Apply(Tables)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cofre::bench
