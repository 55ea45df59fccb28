#include "microbench_data.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "backup/row_codec.h"
#include "backup/table_exporter.h"
#include "dataset_generate.h"

namespace cofre::bench {
namespace {

[[noreturn]] void Die(const std::string& what, const Status& st) {
  std::fprintf(stderr, "microbench: %s: %s\n", what.c_str(), st.ToString().c_str());
  std::exit(1);
}

SqliteDb OpenPath(const std::string& path) {
  auto db = SqliteDb::Open(path, /*create=*/false, /*read_only=*/true);
  if (!db.ok()) Die("opening " + path, db.status());
  Status st = db->Exec("BEGIN");
  if (!st.ok()) Die("opening " + path, st);
  return std::move(*db);
}

MicrobenchData* Build() {
  auto* data = new MicrobenchData;
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("cofre-microbench-" + std::to_string(getpid()));
  fs::create_directories(dir);
  data->db_path = (dir / "bench.db").string();
  Generate(data->db_path, 16 << 20, /*seed=*/1);
  SqliteDb db = OpenPath(data->db_path);
  auto schema = ReadDatabaseSchema(db, "main", {});
  if (!schema.ok()) Die("reading the dataset schema", schema.status());
  data->tables = std::move(schema->tables);
  std::string key, body;
  for (const TableSchema& table : data->tables) {
    auto scan = TableScan::Prepare(db, table, "", "");
    if (!scan.ok()) Die("scanning " + table.name, scan.status());
    std::vector<std::string>& bodies = data->bodies.emplace_back();
    while (true) {
      auto row = scan->Step();
      if (!row.ok()) Die("scanning " + table.name, row.status());
      if (!*row) break;
      key.clear();
      EncodeScanKey(*scan, table, &key);
      EncodeScanRow(*scan, table, key, &body);
      rowcodec::PutVarint(&data->row_stream, body.size());
      data->row_stream.append(body);
      bodies.push_back(body);
    }
  }
  // The connections made later reopen the file; remove it when the process ends.
  static const fs::path cleanup = dir;
  std::atexit([] {
    std::error_code ec;
    fs::remove_all(cleanup, ec);
  });
  return data;
}

}  // namespace

const MicrobenchData& Data() {
  static const MicrobenchData* data = Build();
  return *data;
}

SqliteDb OpenDataset() { return OpenPath(Data().db_path); }

}  // namespace cofre::bench
