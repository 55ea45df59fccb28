// Backup checkpoints: what a running backup (full or incremental) has finished, saved as it goes,
// and how a later run of the same job resumes from it instead of starting over
// (docs/architecture.md §9).
//
// A run records every span it finishes (its files are published before it is recorded) and saves
// the record (proto/backup_checkpoint.proto) through the owner's sink, from the calling thread,
// as the export reports progress and once more when it stops. A resumed run writes into the same
// layer directory, from a new snapshot: SQLite keeps no history, so the first run's snapshot is
// gone, and every finished span must be brought to the new one. It is, with the layer format's
// own means: the span keeps its files and gains a DELTA file (the rows changed since the run that
// wrote it, and tombstones), computed by comparing the span's rows as its files hold them with the
// new snapshot's rows, as an incremental does. What no finished span covers is exported anew. The
// layer's end time is the last run's snapshot, and it restores to exactly that state.
// Thread-safety: Finished() may be called from any thread; everything else from the thread that
// runs the backup.
#ifndef COFRE_BACKUP_BACKUP_CHECKPOINT_H_
#define COFRE_BACKUP_BACKUP_CHECKPOINT_H_

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "backup/chain_storage.h"
#include "backup/key_order.h"
#include "backup/leaf_maps.h"
#include "backup/parallel_export.h"
#include "backup/short_rows.h"
#include "backup/table_exporter.h"
#include "proto/backup_checkpoint.pb.h"

namespace cofre {

inline constexpr uint32_t kCheckpointFormatVersion = 1;

// Saves a serialized BackupCheckpoint (the job record's column); errors are reported but a backup
// does not stop for them (a later resume then redoes more).
using CheckpointSink = std::function<Status(const std::string& serialized)>;

class BackupCheckpointer {
 public:
  // `start`: the checkpoint of an interrupted run to resume (its spans are brought to this run's
  // snapshot), or a fresh one naming the layer directory.
  BackupCheckpointer(proto::BackupCheckpoint start, CheckpointSink sink);

  bool resuming() const { return resuming_; }
  const proto::BackupCheckpoint& start() const { return start_; }

  // The pieces of table `schema` of database `db` to run, in key order: `planned` (the pieces of
  // a new export) less the key ranges finished spans cover, and those spans (ExportPiece::
  // finished). Finished spans of another definition of the table, or that do not form disjoint
  // ranges, are dropped (their range is exported again).
  std::vector<ExportPiece> Pieces(const std::string& db, const TableSchema& schema,
                                  const std::optional<KeyOrder>& order,
                                  std::vector<ExportPiece> planned) const;

  // The finished spans of table `schema` of database `db` that tile exactly the key range
  // [start, end) (empty: unbounded), in key order: how an incremental's work item (a span of the
  // previous layer) that the interrupted run finished is found again. Empty when they do not
  // (none finished, a gap, an overlap: the item is run again).
  std::vector<const proto::Span*> Covering(const std::string& db, const TableSchema& schema,
                                           const KeyOrder& order, const std::string& start,
                                           const std::string& end) const;

  // The leaf maps of this run's snapshot, `now`, and those of the interrupted run's, read from
  // the file the record names (none when it names none or the file fails its checks). Writes
  // `now` into the layer directory and records it, for a later resume. `base`: the previous
  // layer's maps (an incremental's), which both are stored as a delta of (null: in full). Call
  // before Bring.
  Status UseLeafMaps(ExternalStorage& storage, const std::string& layer_dir,
                     const ChainCrypto& crypto, const LeafDigest& digest, const LeafMapSet& now,
                     const ResolvedLeafMaps* base);
  // The leaf maps file UseLeafMaps wrote (the layer's LEAF_MAPS).
  const proto::LeafMapsFile& leaf_maps() const { return current_.leaf_maps(); }

  // Brings finished span `span` of table `schema` of database `db` to `reader`'s snapshot as
  // one span appended to `out`: as it is when the interrupted run finished it and its leaves are
  // the same in both runs' maps (nothing is read), else with a DELTA file of layer
  // `options.layer` when rows changed; when it cannot be diffed (too many deltas, grown past
  // twice the target size, keys out of order), its range is exported again as new spans. `pad`
  // completes the rows earlier layers stored before an ADD COLUMN (backup/short_rows.h).
  Status Bring(const SqliteDb& reader, const std::string& db, const TableSchema& schema,
               const KeyOrder& order, const ShortRowDefaults& pad, const proto::Span& span,
               const ChainStorage& storage, const ChainCrypto& crypto, const ExportOptions& options,
               proto::Table* out, uint64_t* rows, uint64_t* bytes) const;

  // Records the spans of `out` as finished (any thread).
  void Finished(const std::string& db, const TableSchema& schema, const proto::Table& out);

  // Finished spans this run kept unread (leaves unchanged), and brought up to date by a diff.
  uint64_t spans_kept() const { return kept_; }
  uint64_t spans_diffed() const { return diffed_; }
  uint32_t run() const { return start_.runs() + 1; }

  // Saves the checkpoint through the sink when it changed since the last save.
  Status Flush();

  // Every data file the checkpoint names (paths relative to the storage root).
  std::set<std::string> ReferencedFiles() const;

 private:
  const proto::BackupCheckpoint start_;
  const bool resuming_;
  LeafMapSet leaves_before_;  // of the interrupted run's snapshot
  const LeafMapSet* leaves_now_ = nullptr;
  std::map<const proto::Span*, uint32_t> runs_of_;  // the run of each span of start_
  mutable std::atomic<uint64_t> kept_{0}, diffed_{0};
  CheckpointSink sink_;
  std::mutex mu_;
  proto::BackupCheckpoint current_;
  bool dirty_ = false;
};

// What a run that keeps checkpoints writes, for StartCheckpoints.
struct CheckpointedLayer {
  std::string layer_dir;
  std::string full_subdir;
  uint32_t layer = 0;              // 0: a full backup
  std::string previous_layer_dir;  // an incremental: the layer it follows
};

// Starts the checkpoints of a run writing `layer` into `*out`: the record is `resume` (an
// interrupted run's, to resume from) or a new one, and is saved through `sink` at once. On a
// resume, the data files of the layer in `data` that no finished span names are deleted first.
// Returns the number the run's first new data file takes.
StatusOr<uint64_t> StartCheckpoints(const CheckpointedLayer& layer,
                                    const std::optional<proto::BackupCheckpoint>& resume,
                                    CheckpointSink sink, ExternalStorage& data,
                                    std::optional<BackupCheckpointer>* out);

// The layer's LEAF_MAPS in `manifest`: with checkpoints, the file the run wrote when it started
// (UseLeafMaps); otherwise `now`, written into `layer_dir` of `storage` now (a delta of `base`
// when given).
Status RecordLeafMaps(const BackupCheckpointer* checkpoint, ExternalStorage& storage,
                      const std::string& layer_dir, const ChainCrypto& crypto,
                      const LeafDigest& digest, const LeafMapSet& now, const ResolvedLeafMaps* base,
                      proto::BackupManifest* manifest);

// After the commit of a layer written with checkpoints: how many runs wrote it and what they did
// with finished spans (into the out-parameters), and, for a resumed run, the data files under
// `layer_dir` of `data` that `manifest` does not name are deleted (finished spans written again;
// best effort: they are unlisted).
void AfterCommit(const BackupCheckpointer& checkpoint, ExternalStorage& data,
                 const std::string& layer_dir, const proto::BackupManifest& manifest,
                 uint32_t* runs, uint64_t* spans_kept, uint64_t* spans_brought);

// Deletes the data files under `layer_dir`/data/ in `storage` that `keep` does not name (files
// of spans no longer used, and those a killed run wrote after its last checkpoint), and what
// interrupted writes left there. Returns the highest data file number it found, deleted or
// kept (0: none): a resumed run numbers its files after it, so that no path ever names two
// different files (a reader holding a path from the interrupted run never sees other content).
StatusOr<uint64_t> RemoveUnreferencedDataFiles(ExternalStorage& storage,
                                               const std::string& layer_dir,
                                               const std::set<std::string>& keep);

// The data files `manifest` names.
std::set<std::string> ManifestFiles(const proto::BackupManifest& manifest);

}  // namespace cofre

#endif  // COFRE_BACKUP_BACKUP_CHECKPOINT_H_
