// libFuzzer target for RESTORE's planning path over an untrusted manifest: decode the
// BackupManifest protobuf, create each database's schema through the SchemaGuard
// (backup/schema_guard.h) and plan its direct load (CreateRestoreSchema, restore.h), all in
// in-memory SQLite databases (no file is written). Then, as BuildDatabase does after the rows,
// every index, view and trigger is created through a guard on a fresh in-memory database.
//
// Input: the BackupManifest protobuf (the file's framing and checksum are manifest_fuzz's).
// Invariants besides no crash, leak or undefined behaviour:
//   - a refused schema is DataLoss naming "backup manifest" (or an SQLite error of a valid
//     statement: InvalidArgument);
//   - whatever is created, the database holds only objects the manifest names (and SQLite's
//     sqlite_sequence and automatic indexes, and ANALYZE's tables when the manifest has
//     statistics): no statement of a manifest creates anything else (a virtual table's module
//     creates only the shadow tables the manifest lists as tables).
//
// Build: CC=clang-14 CXX=clang++-14 cmake -S . -B build-asan -G Ninja -DCOFRE_FUZZ=ON
//        ninja -C build-asan restore_plan_fuzz
// Run:   build-asan/restore_plan_fuzz -max_total_time=60 fuzz/corpus/restore_plan
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "backup/restore.h"
#include "backup/schema_guard.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

// Bounds that keep one input fast; real manifests this size exercise nothing more.
constexpr int kMaxDatabases = 4;
constexpr int kMaxTables = 32;
constexpr int kMaxObjects = 32;

void CheckRefusal(const cofre::Status& st) {
  if (st.ok()) return;
  if (st.code() == cofre::StatusCode::kDataLoss) {
    Check(st.message().find("backup manifest") != std::string::npos);
  } else {
    Check(st.code() == cofre::StatusCode::kInvalidArgument ||
          st.code() == cofre::StatusCode::kResourceExhausted);
  }
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Creates every table, then every other object, as restore does; checks what exists after.
void CreateAll(const cofre::proto::Database& pdb) {
  auto db = cofre::SqliteDb::Open(":memory:", /*create=*/true);
  Check(db.ok());
  std::set<std::string> tables, names;
  for (const auto& t : pdb.tables()) tables.insert(t.name());
  for (const auto& t : pdb.tables()) names.insert(Lower(t.name()));
  for (const auto& o : pdb.objects()) names.insert(Lower(o.name()));
  for (const auto& vt : pdb.virtual_tables()) names.insert(Lower(vt.name()));
  {
    cofre::SchemaGuard guard(*db, tables);
    for (const auto& t : pdb.tables()) {
      CheckRefusal(guard.Create(cofre::ExpectedTable(pdb.name(), t), t.create_sql()));
    }
    for (const auto& vt : pdb.virtual_tables()) {
      auto want = cofre::ExpectedVirtualTable(pdb, vt);
      if (!want.ok()) {
        Check(want.status().code() == cofre::StatusCode::kDataLoss);
        continue;
      }
      CheckRefusal(guard.Create(*want, vt.sql()));
    }
    for (const auto& o : pdb.objects()) {
      auto want = cofre::ExpectedSchemaObject(pdb.name(), o);
      if (!want.ok()) {
        Check(want.status().code() == cofre::StatusCode::kDataLoss);
        continue;
      }
      CheckRefusal(guard.Create(*want, o.sql()));
    }
  }
  auto q = db->Prepare("SELECT name FROM main.sqlite_schema");
  Check(q.ok());
  while (true) {
    auto row = q->Step();
    Check(row.ok());
    if (!*row) break;
    std::string name = Lower(q->ColumnText(0));
    Check(names.count(name) || name == "sqlite_sequence" ||
          name.rfind("sqlite_autoindex_", 0) == 0 || (name == "sqlite_stat1" && pdb.has_stat1()) ||
          (name == "sqlite_stat4" && pdb.has_stat4()));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cofre::proto::BackupManifest m;
  if (!m.ParseFromArray(data, static_cast<int>(size))) return 0;
  if (m.databases_size() > kMaxDatabases) return 0;
  for (const auto& pdb : m.databases()) {
    if (pdb.tables_size() > kMaxTables || pdb.objects_size() > kMaxObjects ||
        pdb.virtual_tables_size() > kMaxObjects) {
      return 0;
    }
  }
  for (const auto& pdb : m.databases()) {
    for (bool bulk : {true, false}) {
      cofre::StatusOr<cofre::BulkLoadPlan> plan = cofre::CreateRestoreSchema(":memory:", pdb, bulk);
      CheckRefusal(plan.status());
      if (plan.ok() && !bulk) Check(plan->tables.empty());
    }
    CreateAll(pdb);
  }
  return 0;
}
