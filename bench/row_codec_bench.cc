// Micro-benchmarks of the row codec (backup/row_codec.h, backup/table_exporter.h) on the rows of
// the benchmark dataset: the SQLite scan alone, the scan with encoding (a full backup's producer
// side), and decoding (what restore does per row). Argument: the table, by position in the
// dataset's schema (customers, orders, order_items, events).
#include <benchmark/benchmark.h>

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

void Tables(benchmark::internal::Benchmark* b) {
  for (size_t t = 0; t < Data().tables.size(); ++t) b->Arg(static_cast<int64_t>(t));
}

BENCHMARK(BM_ScanRows)->Apply(Tables)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ScanEncodeRows)->Apply(Tables)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeRows)->Apply(Tables)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cofre::bench
