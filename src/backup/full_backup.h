// RunFullBackup: takes a full backup of some databases (whole or some of their tables) into a
// collection, as one consistent snapshot, and commits it (docs/architecture.md §3): BACKUP-LOCK,
// data files, then the manifest, then LATEST (and the lock is deleted). A failed run removes what
// it wrote before returning its error; a killed one leaves an unfinished directory that listing and
// restore ignore and that its owner removes later (backup/unfinished_layers.h). Earlier backups
// and LATEST are untouched either way.
// Thread-safety: one call per thread; the storage must be thread-safe.
#ifndef COFRE_BACKUP_FULL_BACKUP_H_
#define COFRE_BACKUP_FULL_BACKUP_H_

#include <chrono>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "backup/chain_storage.h"
#include "backup/live_counts.h"
#include "backup/stored_file.h"
#include "backup/unfinished_layers.h"
#include "backup/zstd_stream.h"
#include "engine/data_dir.h"
#include "engine/snapshot.h"
#include "proto/backup_checkpoint.pb.h"
#include "proto/backup_manifest.pb.h"

namespace cofre {

struct BackupTarget {
  DatabaseInfo database;
  std::vector<std::string> tables;  // empty: the whole database
};

struct BackupSettings {
  uint64_t target_file_bytes = 32ull << 20;
  // Data files are compressed in frames of zstd.frame_bytes (backup/data_file_writer.h), on
  // their writer's thread (zstd.workers is not used).
  ZstdOptions zstd;
  // Full backups scan, compress and encrypt, and incrementals diff spans, on this many threads
  // (0: one per core, at most 8).
  int export_threads = 0;
  // Rowid tables are split for the threads in ranges of at least this many rowids (0: default).
  uint64_t min_piece_rows = 0;
  // Keys the change detector's leaf digests in unencrypted chains (backup/leaf_maps.h
  // ChainLeafDigest; the caller derives it from the data directory's node key). Null: SHA-256
  // digests, four times the CPU of keyed ones. Encrypted chains key them from their data key.
  const SecretBytes* leaf_digest_secret = nullptr;
  // The row digest cache's directory (backup/row_cache.h; the caller names one in its data
  // directory). Empty (the default): no cache is read or written, and incrementals read the
  // previous rows of changed ranges back from the backup.
  std::string row_cache_dir;
  // How long the snapshot may wait for busy database files (engine/snapshot.h).
  std::chrono::milliseconds snapshot_timeout{30000};
  // Checked between pieces of work: once requested, the backup fails with Cancelled and
  // publishes nothing.
  std::stop_token stop;
  // Counts what finished work items wrote, as they finish (may be null).
  LiveCounts* live = nullptr;
};

struct FullBackupRequest {
  // The collection (metadata, LATEST) and, for a locality-aware backup, where data files go.
  ChainStorage storage;
  std::vector<BackupTarget> targets;
  proto::Targets target_spec;   // recorded for incrementals and SHOW BACKUP
  ChainCrypto crypto;           // the chain's key, or none
  std::string encryption_info;  // serialized ENCRYPTION-INFO (encrypted chains only)
  BackupSettings settings;
  std::function<void(double)> progress;  // fraction completed, may be empty
  LayerOwnership ownership;              // who writes the layer directory
  // Checkpoints (backup/backup_checkpoint.h): where the record of finished spans is saved as the
  // backup goes (empty: nowhere, and a stopped backup removes what it wrote); with it, a stopped
  // backup (Cancelled) keeps its directory for a later run. `resume`: the record of an
  // interrupted run of the same job, with at least one finished span, to resume from: its
  // directory is written again and `crypto` must be the key of its ENCRYPTION-INFO.
  std::function<Status(const std::string&)> checkpoint;
  std::optional<proto::BackupCheckpoint> resume;
};

struct BackupResult {
  std::string subdir;  // full backup subdir, e.g. 2026/11/28-145137.12
  std::string layer_dir;
  int64_t end_micros = 0;
  uint64_t rows = 0;
  uint64_t index_entries = 0;
  uint64_t bytes = 0;
  // A resumed backup: how many runs wrote the layer, and of the spans earlier runs finished,
  // how many were kept unread (unchanged leaves) and how many were brought up to date.
  uint32_t runs = 1;
  uint64_t spans_kept = 0;
  uint64_t spans_brought = 0;
  // An incremental: how many rows its databases held at the snapshot, and how many of them it
  // read to find what changed (the rest were proved unchanged without reading them).
  uint64_t rows_in_snapshot = 0;
  uint64_t rows_read = 0;
  // What the user should know (e.g. writers of a rollback-journal file were blocked).
  std::vector<std::string> notices;
};

StatusOr<BackupResult> RunFullBackup(const FullBackupRequest& request);

// Takes the snapshot the backup of `targets` reads, one reader per thread wanted, and records in
// `result` the notices it calls for.
StatusOr<std::unique_ptr<Snapshot>> TakeBackupSnapshot(const std::vector<BackupTarget>& targets,
                                                       const BackupSettings& settings, int threads,
                                                       BackupResult* result);

// Records the database-level settings of `db` (page size, user_version, application_id).
Status DescribeDatabase(const SqliteDb& db, proto::Database* out);
// Reads sqlite_sequence (AUTOINCREMENT counters) of `db` into the manifest's tables.
Status ReadSequences(const SqliteDb& db, proto::Database* out);

}  // namespace cofre

#endif  // COFRE_BACKUP_FULL_BACKUP_H_
