#include "backup/restore.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "backup/restore_build.h"
#include "backup/restore_tables.h"
#include "util/file_util.h"

namespace cofre {

using restore_build::BuildDatabase;
using restore_build::FindDatabase;
using restore_build::FindTable;
using restore_build::RestoreProgress;
using restore_build::RestoreTablesInto;

StatusOr<RestoreResult> RunRestore(const RestoreRequest& req) {
  const proto::BackupManifest& m = *req.manifest;
  uint64_t total = 0, total_rows = 0;
  for (const auto& spec : req.databases) {
    const proto::Database* pdb = FindDatabase(m, spec.source);
    if (!pdb) return NotFoundError("database \"" + spec.source + "\" is not in the backup");
    for (const auto& t : pdb->tables()) {
      total += t.logical_bytes();
      total_rows += t.rows();
    }
  }
  for (const auto& spec : req.tables) {
    const proto::Database* pdb = FindDatabase(m, spec.source_database);
    if (!pdb)
      return NotFoundError("database \"" + spec.source_database + "\" is not in the backup");
    for (const auto& name : spec.tables) {
      const proto::Table* t = FindTable(*pdb, name);
      if (!t) {
        return NotFoundError("table " + spec.source_database + "." + name +
                             " is not in the backup");
      }
      total += t->logical_bytes();
      total_rows += t->rows();
    }
  }
  RestoreProgress progress(req.progress, total, req.stop, req.live, total_rows);
  RestoreResult result;

  // Whole databases: build every staging file, then publish them together.
  std::vector<std::pair<RestoreDatabaseSpec, std::string>> staged;
  auto discard = [&]() {
    for (auto& [spec, path] : staged) {
      RemoveFileIfExists(path, "staging file").IgnoreError();
    }
  };
  for (const auto& spec : req.databases) {
    ASSIGN_OR_RETURN(bool exists, req.data_dir->HasDatabase(spec.target));
    if (exists && !spec.replace_empty) {
      discard();
      return AlreadyExistsError("database \"" + spec.target + "\" already exists")
          .WithHint("drop it first, or restore under another name WITH new_db_name = '...'");
    }
    ASSIGN_OR_RETURN(std::string path, req.data_dir->NewStagingPath());
    staged.emplace_back(spec, path);
    Status st = BuildDatabase(path, *FindDatabase(m, spec.source), req.storage, req.crypto,
                              &progress, &result, req.bulk_pages, req.schema_only,
                              /*publish=*/true);
    if (st.ok()) st = progress.CheckStop();
    if (!st.ok()) {
      discard();
      return st.Annotate("restoring database " + spec.source);
    }
  }
  for (const auto& spec : req.tables) {
    ASSIGN_OR_RETURN(DatabaseInfo target, req.data_dir->GetDatabase(spec.target_database));
    Status st = RestoreTablesInto(target, *FindDatabase(m, spec.source_database), spec.tables,
                                  &progress, &result, req);
    if (!st.ok()) {
      discard();
      return st;
    }
  }
  std::vector<DataDir::Publication> pubs;
  for (const auto& [spec, path] : staged) pubs.push_back({spec.target, path, spec.replace_empty});
  if (Status st = req.data_dir->PublishDatabases(pubs); !st.ok()) {
    discard();
    return st;
  }
  if (req.progress) req.progress(1.0);
  return result;
}

}  // namespace cofre
