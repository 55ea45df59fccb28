// RunIncrementalBackup: appends an incremental layer to a backup chain (docs/architecture.md §3).
//
// For every span of every table of the previous layer, the span's current rows (an ordered scan
// of its key range) are compared, by their exact encoded bytes, with the rows as of the previous
// layer, read back from the backup (SpanReader: the merge of the span's files; it costs one read
// of every file of the span from storage); the layer stores only the changed and new rows and
// tombstones for deleted keys, in key order, in one DELTA file per changed span. Tables whose key
// order cannot be reproduced outside SQLite (KeyOrder) are rewritten in full. New tables and
// tables whose definition changed are written in full; dropped ones disappear. A span whose
// deltas grow long or large against its base, or which grew past twice the target size, is
// rewritten in full (and split).
// The spans are diffed on settings.export_threads threads (0: one per core), as full backups
// export (backup/parallel_export.h): each thread has its own reader of one snapshot and does a
// span's whole work (scan, read of the previous state, compare, write), largest spans first;
// with one thread, the previous state is read on a second thread (SpanPrefetcher) so that the
// read still overlaps the scan. The manifest does not depend on the number of threads.
// The manifest written is complete on its own: it names, per span, the base and the deltas.
// Commit order as for full backups: BACKUP-LOCK, data files, then the manifest (and the lock is
// deleted); LATEST is not touched. A failed run removes what it wrote, as full backups do.
// With checkpoints, an interrupted incremental resumes as a full backup does (docs/architecture.md
// §9): the work items the interrupted run finished are brought to the new snapshot with one more
// DELTA file of this layer (or kept unread when their leaves did not change), the rest run anew.
// Thread-safety: one call per thread.
#ifndef COFRE_BACKUP_INCREMENTAL_BACKUP_H_
#define COFRE_BACKUP_INCREMENTAL_BACKUP_H_

#include <vector>

#include "backup/chain_storage.h"
#include "backup/full_backup.h"
#include "backup/key_order.h"
#include "backup/short_rows.h"
#include "backup/table_exporter.h"
#include "proto/backup_checkpoint.pb.h"

namespace cofre {

struct IncrementalBackupRequest {
  ChainStorage storage;
  std::vector<BackupTarget> targets;
  std::vector<proto::BackupManifest> chain;  // the existing layers, oldest first
  ChainCrypto crypto;
  BackupSettings settings;
  std::function<void(double)> progress;
  LayerOwnership ownership;  // who writes the layer directory
  // Checkpoints, as in FullBackupRequest: where the record of finished work is saved (empty:
  // nowhere, and a stopped backup removes what it wrote). `resume`: the record of an interrupted
  // run of the same job, with at least one finished span, whose layer follows `chain.back()`
  // (its previous_layer_dir) and is `chain.back().layer() + 1`: its directory is written again.
  std::function<Status(const std::string&)> checkpoint;
  std::optional<proto::BackupCheckpoint> resume;
};

// Compaction policy: a span is rewritten in full when it already has this many deltas, or when
// its deltas' logical bytes exceed this fraction of its base's.
inline constexpr int kMaxDeltasPerSpan = 8;
inline constexpr double kMaxDeltaFraction = 0.5;

StatusOr<BackupResult> RunIncrementalBackup(const IncrementalBackupRequest& request);

// Compares `span` (its rows as its files hold them, completed by `pad`) with `db`'s rows of its
// key range, as an incremental does, and sets `out` to the span with one more DELTA file (layer
// `opts.layer`) when rows changed; false in *kept when it must be written in full instead (keys
// out of order, grown past twice the target size). Resumed backups use it
// (backup/backup_checkpoint.h).
Status BringSpanToSnapshot(const SqliteDb& db, const TableSchema& schema, const KeyOrder& order,
                           const ShortRowDefaults& pad, const proto::Span& span,
                           const ChainStorage& storage, const ChainCrypto& crypto,
                           const ExportOptions& opts, proto::Span* out, bool* kept);

}  // namespace cofre

#endif  // COFRE_BACKUP_INCREMENTAL_BACKUP_H_
