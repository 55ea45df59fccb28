// The steps of a restore that build SQLite files, shared by RunRestore (backup/restore.h) and
// table restores (backup/restore_tables.h): a database's schema, its rows (b-tree pages written
// directly where the plan allows, else INSERT), then its indexes, views, triggers, statistics,
// into a staging file. Internal to the restore.
// Thread-safety: one call per thread; RestoreProgress is used by one thread.
#ifndef COFRE_BACKUP_RESTORE_BUILD_H_
#define COFRE_BACKUP_RESTORE_BUILD_H_

#include <algorithm>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include "backup/live_counts.h"
#include "backup/record_prefetcher.h"
#include "backup/restore.h"
#include "backup/schema_guard.h"
#include "engine/sqlite.h"
#include "proto/backup_manifest.pb.h"
#include "util/status.h"

namespace cofre::restore_build {

// Tracks progress by logical bytes applied.
class RestoreProgress {
 public:
  RestoreProgress(const std::function<void(double)>& fn, uint64_t total, std::stop_token stop,
                  LiveCounts* live, uint64_t total_rows)
      : fn_(fn), total_(total), stop_(std::move(stop)), live_(live), total_rows_(total_rows) {}
  const std::stop_token& stop() const { return stop_; }
  // Cancelled once the job was asked to stop (checked between backup files).
  Status CheckStop() const {
    if (!stop_.stop_requested()) return Status::OK();
    return CancelledError("the job was stopped (PAUSE, CANCEL or a server shutdown)");
  }
  void Add(uint64_t bytes) {
    // A database loaded again through SQLite after its direct load gave up counts twice.
    done_ = std::min(done_ + bytes, total_);
    if (live_ && total_) {
      live_->bytes = done_;
      live_->rows = static_cast<uint64_t>(static_cast<double>(total_rows_) *
                                          static_cast<double>(done_) / static_cast<double>(total_));
    }
    if (fn_ && total_) fn_(0.99 * static_cast<double>(done_) / static_cast<double>(total_));
  }

 private:
  const std::function<void(double)>& fn_;
  uint64_t total_;
  std::stop_token stop_;
  LiveCounts* live_;
  uint64_t total_rows_;
  uint64_t done_ = 0;
};

// The database or table of that name in the manifest, or null.
const proto::Database* FindDatabase(const proto::BackupManifest& m, const std::string& name);
const proto::Table* FindTable(const proto::Database& db, const std::string& name);

// Starts reading the files of `tables` (in this order) on a background thread.
StatusOr<std::unique_ptr<RecordPrefetcher>> StartReading(
    const std::vector<const proto::Table*>& tables, const ChainStorage& storage,
    const ChainCrypto& crypto);

// Applies the files of every span of `table` to `schema_name`.`table` on `db`, taking their
// records from `records`, whose next units are those files (StartReading order); `*unit` is
// the index of the first and is advanced past the table's.
Status LoadTable(const SqliteDb& db, const std::string& schema_name, const proto::Table& table,
                 RecordPrefetcher& records, size_t* unit, RestoreProgress* progress,
                 RestoreResult* result);

// Sets the AUTOINCREMENT counter of `table` (when it has one) in `schema_name`.
Status RestoreSequence(const SqliteDb& db, const std::string& schema_name,
                       const proto::Table& table);

// SQLite worker threads for index builds: one per core besides the main thread, at most 2.
int SorterThreads();

// Recreates `obj` of `pdb` through `guard` (which checks its SQL first).
Status CreateObject(SchemaGuard& guard, const proto::Database& pdb, const proto::SchemaObject& obj);

// Builds a whole database into the staging file at `path`: the tables the plan covers by
// writing their pages directly (bulk_loader.h), the others through INSERT, then the remaining
// indexes, views and triggers through SQLite. `publish`: the file becomes a database, so it
// takes the source's journal mode and is synced; otherwise (a table restore's staging file, read
// once and removed) neither.
Status BuildDatabase(const std::string& path, const proto::Database& pdb,
                     const ChainStorage& storage, const ChainCrypto& crypto,
                     RestoreProgress* progress, RestoreResult* result, bool bulk, bool schema_only,
                     bool publish);

}  // namespace cofre::restore_build

#endif  // COFRE_BACKUP_RESTORE_BUILD_H_
