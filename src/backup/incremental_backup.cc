#include "backup/incremental_backup.h"

#include <algorithm>
#include <atomic>
#include <limits>

#include "backup/backup_checkpoint.h"
#include "backup/cell_digests.h"
#include "backup/collection.h"
#include "backup/data_file_format.h"
#include "backup/data_file_reader.h"
#include "backup/data_file_writer.h"
#include "backup/database_settings.h"
#include "backup/key_order.h"
#include "backup/leaf_maps.h"
#include "backup/manifest_format.h"
#include "backup/manifest_io.h"
#include "backup/parallel_export.h"
#include "backup/restore_build.h"
#include "backup/row_cache.h"
#include "backup/short_rows.h"
#include "backup/span_diff.h"
#include "backup/span_prefetcher.h"
#include "backup/table_exporter.h"
#include "backup/table_schema.h"
#include "engine/snapshot.h"
#include "util/version.h"

namespace cofre {

namespace fmt = data_file_format;

using restore_build::FindDatabase;

namespace {

const proto::Table* FindTable(const proto::BackupManifest& m, const std::string& db,
                              const std::string& table) {
  const proto::Database* d = FindDatabase(m, db);
  if (!d) return nullptr;
  for (const auto& t : d->tables()) {
    if (t.name() == table) return &t;
  }
  return nullptr;
}

// True when database `db`'s files are proved the same as at `prev`'s snapshot
// (engine/file_state.h): then its rows and leaves are the previous layer's.
bool FileUnchanged(const Snapshot& snapshot, const proto::BackupManifest& prev,
                   const std::string& db) {
  const proto::Database* before = FindDatabase(prev, db);
  const std::string& now = snapshot.file_state(db);
  return before && !now.empty() && before->file_state() == now;
}

// Copies `db`'s maps from `before` into `out` when `before` has one for every rowid table of
// `schema`; false otherwise (then they are computed).
bool CopyLeafMaps(const LeafMapSet& before, const std::string& db, const DatabaseSchema& schema,
                  LeafMapSet* out) {
  for (const auto& table : schema.tables) {
    if (!table.without_rowid && !before.count({db, table.name})) return false;
  }
  for (const auto& table : schema.tables) {
    auto it = before.find({db, table.name});
    if (it != before.end()) (*out)[it->first] = it->second;
  }
  return true;
}

bool NeedsCompaction(const proto::Span& span) {
  if (span.files_size() - 1 >= kMaxDeltasPerSpan) return true;
  uint64_t delta_bytes = 0;
  for (int i = 1; i < span.files_size(); ++i) delta_bytes += span.files(i).logical_bytes();
  return delta_bytes > kMaxDeltaFraction * static_cast<double>(span.files(0).logical_bytes());
}

// A table of the new layer and how it is backed up.
struct TableJob {
  std::string database;
  const TableSchema* schema = nullptr;
  proto::Table* out = nullptr;
  const proto::Table* before = nullptr;  // its previous layer; null: written in full
  // `before`'s key order, when it can be reproduced; on a resume, also a new table's (to find its
  // finished spans), when it can.
  std::optional<KeyOrder> order;
  ShortRowDefaults short_rows;  // completes the previous layer's rows (`out`'s)
  // The table's leaves in the previous layer's snapshot and in this one (backup/leaf_maps.h):
  // both set only when unchanged spans can be told without reading rows.
  const std::vector<LeafRange>* leaves_before = nullptr;
  const std::vector<LeafRange>* leaves_now = nullptr;
  // The database file is proved unchanged since the previous layer's snapshot (the same
  // engine/file_state.h token): every span is kept as it is.
  bool file_unchanged = false;
  // The row digest cache (backup/row_cache.h): the previous layer's entries of the table, and its
  // leaves then and now, one entry per leaf; all three set only when the cache can serve.
  const RowCache::Table* cached = nullptr;
  const std::vector<LeafRange>* leaves_then = nullptr;
  const std::vector<LeafRange>* leaves_fine = nullptr;
  // With `cached`: the rowids whose rows may differ from the previous layer's, as the cell
  // digests tell (backup/cell_digests.h); null when they could not tell.
  const std::vector<int64_t>* differ = nullptr;
};

// The row digest caches of an incremental: the previous layer's (to read) and this layer's (to
// write); either may be null.
struct RowCaches {
  const RowCache* before = nullptr;
  RowCacheWriter* now = nullptr;
};

// A unit of work for one thread: a span of the previous layer to diff (or rewrite), a key range
// of a table written in full, or, on a resume, a span the interrupted run finished.
struct WorkItem {
  size_t table = 0;                   // index into the TableJobs
  const proto::Span* span = nullptr;  // null: write [start_key, end_key) in full
  std::string start_key, end_key;
  uint64_t weight = 0;                    // the estimated work, to schedule large items first
  const proto::Span* finished = nullptr;  // set: bring it to this snapshot (BackupCheckpointer)
};

// What a work item produced.
struct WorkOutput {
  bool kept = false;      // `delta_span` replaces the span (with a DELTA file when it changed)
  bool recorded = false;  // a kept span's rows are in this layer's row digest cache
  proto::Span delta_span;
  proto::Table written;  // otherwise: the spans written in full (only spans are used)
  LayerStats stats;
};

// Copies the previous cache's entries of rowids [lo, hi) of a kept span into this layer's cache;
// false when it could not (no cache of the table, a failed read).
bool KeepCachedRows(const TableJob& table, std::optional<int64_t> lo, std::optional<int64_t> hi,
                    const RowCaches& caches) {
  if (!caches.now || !caches.before || !table.cached) return false;
  if ((hi && lo && *hi <= *lo) || (hi && *hi == std::numeric_limits<int64_t>::min())) return true;
  // A recorder that scans nothing copies the whole range (by segment where it can).
  SpanRowRecorder recorder(
      caches.now->NewRows(table.database, table.schema->name),
      std::make_unique<RowCacheCursor>(
          *caches.before, *table.cached,
          std::vector<RowidRange>{{lo.value_or(std::numeric_limits<int64_t>::min()),
                                   hi ? *hi - 1 : std::numeric_limits<int64_t>::max()}}));
  return recorder.Finish();
}

// Diffs a span against the previous cache's digests (backup/row_cache.h): the changed leaves'
// ranges are scanned and compared with the cached entries of the same rowids; nothing is read
// from the backup. The span's entries go to this layer's cache.
Status IncrementCachedSpan(const SqliteDb& db, const TableJob& table, const proto::Span& span,
                           std::optional<int64_t> lo, std::optional<int64_t> hi,
                           const RowCaches& caches, const ChainStorage& storage,
                           const ChainCrypto& crypto, const ExportOptions& opts, WorkOutput* out) {
  if (SameLeavesInRange(*table.leaves_then, *table.leaves_fine, lo, hi)) {
    out->delta_span = span;
    out->kept = true;
    out->recorded = KeepCachedRows(table, lo, hi, caches);
    return Status::OK();
  }
  std::vector<RowidRange> unchanged =
      UnchangedRowidRanges(*table.leaves_then, *table.leaves_fine, lo, hi);
  // Within the changed leaves, only the rows whose cells differ are read.
  if (table.differ) unchanged = RangesBetween(lo, hi, *table.differ);
  RowCacheCursor previous(*caches.before, *table.cached, ChangedRowidRanges(lo, hi, unchanged));
  std::optional<SpanRowRecorder> recorder;
  if (caches.now) {
    // Both cursors step through the same segments: each is read once.
    auto kept = std::make_unique<RowCacheCursor>(*caches.before, *table.cached, unchanged);
    kept->ShareSegmentsWith(&previous);
    previous.ShareSegmentsWith(kept.get());
    recorder.emplace(caches.now->NewRows(table.database, table.schema->name), std::move(kept));
    previous.ShareDigestsWith(&*recorder);
  }
  // Cached digests are of complete rows: no short-row completion applies.
  RETURN_IF_ERROR(DiffSpan(previous, db, *table.schema, *table.order, ShortRowDefaults(), unchanged,
                           span, storage, crypto, opts, &out->delta_span, &out->kept, &out->stats,
                           recorder ? &*recorder : nullptr));
  if (out->kept && recorder) out->recorded = recorder->Finish();
  return Status::OK();
}

// Diffs one span (DiffSpan) when it can be kept and has a key order; otherwise writes it again.
// With `prefetch`, the previous state is read on a thread of its own.
Status IncrementSpan(const SqliteDb& db, const TableJob& table, const proto::Span& span,
                     bool prefetch, const RowCaches& caches, const ChainStorage& storage,
                     const ChainCrypto& crypto, const ExportOptions& opts, WorkOutput* out) {
  if (NeedsCompaction(span) || !table.order) return Status::OK();
  if (table.file_unchanged) {
    out->delta_span = span;
    out->kept = true;
    std::optional<int64_t> lo, hi;
    out->recorded = SpanRowidRange(span, &lo, &hi) && KeepCachedRows(table, lo, hi, caches);
    return Status::OK();
  }
  if (table.cached && table.leaves_then && table.leaves_fine && caches.before) {
    std::optional<int64_t> lo, hi;
    if (SpanRowidRange(span, &lo, &hi)) {
      return IncrementCachedSpan(db, table, span, lo, hi, caches, storage, crypto, opts, out);
    }
  }
  // The change detector: a span whose leaves are the same as in the previous layer's snapshot
  // holds the same rows; it is kept as it is, without a scan or a read of the previous state.
  // Otherwise only the parts of the span whose leaf groups changed are scanned and compared.
  std::optional<int64_t> lo, hi;
  std::vector<RowidRange> unchanged;
  if (table.leaves_before && table.leaves_now && SpanRowidRange(span, &lo, &hi)) {
    if (SameLeavesInRange(*table.leaves_before, *table.leaves_now, lo, hi)) {
      out->delta_span = span;
      out->kept = true;
      return Status::OK();
    }
    unchanged = UnchangedRowidRanges(*table.leaves_before, *table.leaves_now, lo, hi);
  }
  // The previous state is read back only in the frames of the changed ranges.
  KeyRanges changed;
  if (!unchanged.empty()) changed = ChangedKeyRanges(lo, hi, unchanged);
  auto open = [&]() {
    return SpanReader::Open(storage, span, crypto, *table.order,
                            unchanged.empty() ? nullptr : &changed);
  };
  if (prefetch) {
    SpanPrefetcher previous(open);
    return DiffSpan(previous, db, *table.schema, *table.order, table.short_rows, unchanged, span,
                    storage, crypto, opts, &out->delta_span, &out->kept, &out->stats);
  }
  ASSIGN_OR_RETURN(std::unique_ptr<SpanReader> previous, open());
  return DiffSpan(*previous, db, *table.schema, *table.order, table.short_rows, unchanged, span,
                  storage, crypto, opts, &out->delta_span, &out->kept, &out->stats);
}

// Brings a span the interrupted run finished to this snapshot. The layer's counts take only
// what this layer stores: its own files.
Status BringFinished(const SqliteDb& db, const TableJob& table, const proto::Span& finished,
                     const BackupCheckpointer& checkpoint, const ChainStorage& storage,
                     const ChainCrypto& crypto, const ExportOptions& opts, WorkOutput* out) {
  uint64_t rows = 0, bytes = 0;
  RETURN_IF_ERROR(checkpoint.Bring(db, table.database, *table.schema, *table.order,
                                   table.short_rows, finished, storage, crypto, opts, &out->written,
                                   &rows, &bytes));
  for (const auto& span : out->written.spans()) {
    for (const auto& file : span.files()) {
      if (file.layer() != opts.layer) continue;
      out->stats.rows += file.rows();
      out->stats.bytes += file.logical_bytes();
      // A table written in full counts its index entries once assembled.
      if (table.before) out->stats.index_entries += file.rows() * table.schema->indexes.size();
    }
  }
  return Status::OK();
}

Status RunWorkItem(const SqliteDb& db, const TableJob& table, const WorkItem& item, bool prefetch,
                   const BackupCheckpointer* checkpoint, const RowCaches& caches,
                   const ChainStorage& storage, const ChainCrypto& crypto,
                   const ExportOptions& opts, WorkOutput* out) {
  if (item.finished) {
    if (caches.now) caches.now->Drop(table.database, table.schema->name);
    return BringFinished(db, table, *item.finished, *checkpoint, storage, crypto, opts, out);
  }
  std::string_view start = item.start_key, end = item.end_key;
  if (item.span) {
    RETURN_IF_ERROR(
        IncrementSpan(db, table, *item.span, prefetch, caches, storage, crypto, opts, out));
    if (out->kept) {
      // A span diffed against the backup (or kept) without the cache: its rows are read once
      // more, from the snapshot, for this layer's cache (after a cache miss, once).
      if (caches.now && !out->recorded && !table.schema->without_rowid) {
        auto rows = caches.now->NewRows(table.database, table.schema->name);
        RETURN_IF_ERROR(RecordRangeDigests(db, *table.schema, item.span->start_key(),
                                           item.span->end_key(), rows.get(),
                                           &out->stats.rows_read));
        rows->Finish();
      }
      return Status::OK();
    }
    start = item.span->start_key();
    end = item.span->end_key();
  }
  uint64_t rows = 0, bytes = 0;
  std::unique_ptr<RowCacheWriter::Rows> digests;
  if (caches.now) digests = caches.now->NewRows(table.database, table.schema->name);
  RETURN_IF_ERROR(ExportRange(db, *table.schema, start, end, storage.DataFor(opts.layer), crypto,
                              opts, &out->written, &rows, &bytes, digests.get()));
  if (digests) digests->Finish();
  storage.MarkWritten(opts.layer, &out->written);
  out->stats.rows += rows;
  out->stats.bytes += bytes;
  out->stats.rows_read += rows;
  // A table written in full counts its index entries once assembled.
  if (item.span) out->stats.index_entries += rows * table.schema->indexes.size();
  return Status::OK();
}

// The work items of `tables`: every span of an incremented table, pieces of the others
// (PlanPieces), in table and key order. On a resume (`checkpoint` resuming), what the interrupted
// run finished replaces the items it covers.
StatusOr<std::vector<WorkItem>> PlanWork(const Snapshot& snapshot,
                                         const std::vector<TableJob>& tables,
                                         const ParallelExportOptions& parallel,
                                         const BackupCheckpointer* checkpoint) {
  const bool resuming = checkpoint && checkpoint->resuming();
  std::vector<WorkItem> items;
  auto bring = [&](size_t t, const proto::Span* span) {
    WorkItem item{t, nullptr, span->start_key(), span->end_key(), span->logical_bytes()};
    item.finished = span;
    items.push_back(std::move(item));
  };
  for (size_t t = 0; t < tables.size(); ++t) {
    const TableJob& table = tables[t];
    if (table.before) {
      for (const auto& span : table.before->spans()) {
        std::vector<const proto::Span*> done;
        if (resuming) {
          done = checkpoint->Covering(table.database, *table.schema, *table.order, span.start_key(),
                                      span.end_key());
        }
        for (const proto::Span* f : done) bring(t, f);
        if (done.empty()) items.push_back({t, &span, "", "", span.logical_bytes()});
      }
      continue;
    }
    auto pieces = PlanPieces(snapshot.reader(table.database), *table.schema, t, parallel);
    if (!pieces.ok()) {
      return pieces.status().Annotate("backing up table " + table.database + "." +
                                      table.schema->name);
    }
    if (resuming) {
      *pieces = checkpoint->Pieces(table.database, *table.schema, table.order, std::move(*pieces));
    }
    for (auto& p : *pieces) {
      if (p.finished) {
        bring(t, p.finished);
        continue;
      }
      // Their size is unknown without a scan: scheduled first.
      items.push_back({t, nullptr, std::move(p.start_key), std::move(p.end_key),
                       std::numeric_limits<uint64_t>::max()});
    }
  }
  return items;
}

// Puts the outputs of `items` into their tables, in key order: kept spans keep their id, spans
// written anew take the next free one.
void AssembleSpans(const std::vector<TableJob>& tables, const std::vector<WorkItem>& items,
                   std::vector<WorkOutput>& outputs, LayerStats* stats) {
  for (size_t i = 0; i < items.size(); ++i) {
    proto::Table* out = tables[items[i].table].out;
    WorkOutput& o = outputs[i];
    if (o.kept) {
      *out->add_spans() = std::move(o.delta_span);
    } else {
      for (auto& span : *o.written.mutable_spans()) {
        uint64_t id = 1;
        for (const auto& s : out->spans()) id = std::max<uint64_t>(id, s.id() + 1);
        span.set_id(id);
        *out->add_spans() = std::move(span);
      }
    }
    stats->rows += o.stats.rows;
    stats->bytes += o.stats.bytes;
    stats->index_entries += o.stats.index_entries;
    stats->rows_read += o.stats.rows_read;
  }
}

}  // namespace

Status BringSpanToSnapshot(const SqliteDb& db, const TableSchema& schema, const KeyOrder& order,
                           const ShortRowDefaults& pad, const proto::Span& span,
                           const ChainStorage& storage, const ChainCrypto& crypto,
                           const ExportOptions& opts, proto::Span* out, bool* kept) {
  ASSIGN_OR_RETURN(std::unique_ptr<SpanReader> previous,
                   SpanReader::Open(storage, span, crypto, order));
  LayerStats stats;
  return DiffSpan(*previous, db, schema, order, pad, {}, span, storage, crypto, opts, out, kept,
                  &stats);
}

StatusOr<BackupResult> RunIncrementalBackup(const IncrementalBackupRequest& req) {
  const ChainStorage& storage = req.storage;
  const proto::BackupManifest& prev = req.chain.back();
  const int threads =
      req.settings.export_threads > 0 ? req.settings.export_threads : DefaultExportThreads();
  ASSIGN_OR_RETURN(LeafDigest digest, ChainLeafDigest(req.crypto, req.settings.leaf_digest_secret));
  // One reader per thread, all on the same state (engine/snapshot.h).
  BackupResult result;
  ASSIGN_OR_RETURN(auto snapshot, TakeBackupSnapshot(req.targets, req.settings, threads, &result));
  result.subdir = prev.full_subdir();
  result.end_micros = std::max(snapshot->time_micros(), prev.end_time_micros() + 1);
  const uint32_t layer = prev.layer() + 1;
  if (req.resume) {
    // The interrupted run's directory, named by its snapshot; this run's snapshot is the end.
    if (req.resume->layer() != layer || req.resume->previous_layer_dir() != prev.layer_dir() ||
        req.resume->full_subdir() != prev.full_subdir()) {
      return FailedPreconditionError("the checkpoint of layer " + req.resume->layer_dir() +
                                     " does not follow the chain's last layer");
    }
    result.layer_dir = req.resume->layer_dir();
  } else {
    ASSIGN_OR_RETURN(result.layer_dir, collection::FreeLayerDir(
                                           storage.layers(),
                                           [&](int64_t micros) {
                                             return collection::IncrementalLayerDir(
                                                 storage.layers_prefix(), result.subdir, micros);
                                           },
                                           result.end_micros));
  }
  RETURN_IF_ERROR(ClaimLayer(storage, LayerKind::kIncremental, result.layer_dir, req.ownership));
  UnfinishedLayerGuard guard(storage, LayerKind::kIncremental, result.layer_dir);
  std::optional<BackupCheckpointer> checkpoint;
  uint64_t first_file = 1;
  if (req.checkpoint) {
    ASSIGN_OR_RETURN(
        first_file,
        StartCheckpoints({result.layer_dir, result.subdir, layer, prev.layer_dir()}, req.resume,
                         req.checkpoint, storage.DataFor(layer), &checkpoint));
  }

  proto::BackupManifest manifest;
  manifest.set_format_version(manifest_format::kFormatVersion);
  manifest.set_chain_id(prev.chain_id());
  manifest.set_full_subdir(prev.full_subdir());
  manifest.set_layer_dir(result.layer_dir);
  manifest.set_layer(layer);
  manifest.set_backup_type(proto::BACKUP_TYPE_INCREMENTAL);
  manifest.set_start_time_micros(prev.end_time_micros());
  manifest.set_end_time_micros(result.end_micros);
  *manifest.mutable_targets() = prev.targets();
  manifest.set_encrypted(prev.encrypted());
  manifest.set_cofre_version(kCofreVersion);
  for (const auto& layer : req.chain) {
    auto* s = manifest.add_previous_layers();
    s->set_layer(layer.layer());
    s->set_dir(layer.layer_dir());
    s->set_start_time_micros(layer.start_time_micros());
    s->set_end_time_micros(layer.end_time_micros());
  }

  std::atomic<uint64_t> next_file{first_file};
  ExportOptions opts;
  opts.layer_dir = result.layer_dir;
  opts.layer = layer;
  opts.target_file_bytes = req.settings.target_file_bytes;
  opts.zstd = req.settings.zstd;
  opts.next_file_number = &next_file;

  std::vector<std::pair<const BackupTarget*, DatabaseSchema>> schemas;
  for (const auto& target : req.targets) {
    ASSIGN_OR_RETURN(
        DatabaseSchema schema,
        ReadDatabaseSchema(snapshot->reader(target.database.name), "main", target.tables));
    schemas.emplace_back(&target, std::move(schema));
  }
  // Every table of every database: a table unchanged in definition is diffed span by span,
  // any other (new, or redefined) is written in full.
  // The change detector's maps: the previous layer's (none if it has none or they fail to load:
  // then every span is diffed) and this snapshot's, stored with this layer.
  // This layer's maps are stored as a delta of the previous layer's when those were read.
  ResolvedLeafMaps before;
  const ResolvedLeafMaps* base = nullptr;
  if (auto maps = ReadChainLeafMaps(storage, req.crypto, digest, req.chain); maps.ok()) {
    before = std::move(*maps);
    base = &before;
  }
  const LeafMapSet& leaves_before = before.maps;
  // The row digest caches (backup/row_cache.h): the previous layer's, when this data directory
  // wrote it, and this layer's (not on a resume: finished spans are not scanned again).
  std::unique_ptr<RowCache> cache_before;
  std::unique_ptr<RowCacheWriter> cache_now;
  LeafMapSet leaves_then, leaves_fine;  // one entry per leaf: the cache's, and this snapshot's
  if (!req.settings.row_cache_dir.empty() && digest.rows && !req.resume) {
    if (auto c = RowCache::Open(req.settings.row_cache_dir, req.chain.front(), prev, digest.rows);
        c.ok()) {
      cache_before = std::move(*c);
      for (const auto& [target, schema] : schemas) {
        for (const auto& table : schema.tables) {
          const RowCache::Table* t = cache_before->Find(target->database.name, table.name);
          if (!t) continue;
          if (auto leaves = cache_before->Leaves(*t); leaves.ok()) {
            leaves_then[{target->database.name, table.name}] = std::move(*leaves);
          }
        }
      }
    }
    if (auto w = RowCacheWriter::Start(req.settings.row_cache_dir, req.chain.front(), digest.rows,
                                       !cache_before || cache_before->ShouldCopy());
        w.ok()) {
      cache_now = std::move(*w);
    }
  }
  LeafMapSet leaves_now;
  // The rowids that may differ, for the tables whose cells the cache has (the others give all
  // their cells to this layer's cache), at most kMaxDiffering for all tables together.
  std::map<std::pair<std::string, std::string>, std::vector<int64_t>> differing;
  // For those: how many rows their leaves hold now (the cells the map showed).
  std::map<std::pair<std::string, std::string>, uint64_t> cells_seen;
  constexpr int64_t kMaxDiffering = 1 << 20;  // 8 MiB
  std::atomic<int64_t> differ_budget{kMaxDiffering};
  auto has_cells = [&](const std::string& db, const std::string& table) -> const RowCache::Table* {
    const RowCache::Table* t = cache_before ? cache_before->Find(db, table) : nullptr;
    if (!t || (t->index.rows() > 0 && t->index.cell_segments_size() == 0)) return nullptr;
    return t;
  };
  // A database whose files did not change keeps its maps: no page is read.
  for (const auto& [target, schema] : schemas) {
    const std::string& dbname = target->database.name;
    if (FileUnchanged(*snapshot, prev, dbname) &&
        CopyLeafMaps(leaves_before, dbname, schema, &leaves_now)) {
      for (const auto& table : schema.tables) {
        auto it = leaves_then.find({dbname, table.name});
        if (it == leaves_then.end()) continue;
        leaves_fine[it->first] = it->second;
        const RowCache::Table* t = has_cells(dbname, table.name);
        if (t && cache_now) KeepCachedCells(*cache_before, *t, cache_now.get(), dbname, table.name);
      }
      continue;
    }
    CellCollectors cells;
    if (digest.rows) {
      for (const auto& table : schema.tables) {
        const RowCache::Table* t = has_cells(dbname, table.name);
        auto then = leaves_then.find({dbname, table.name});
        if (t && then != leaves_then.end()) {
          cells[table.name] =
              CellCollector::Compare(digest.rows, *cache_before, *t, then->second, cache_now.get(),
                                     dbname, table.name, &differ_budget);
        } else if (cache_now) {
          cells[table.name] =
              CellCollector::ToCache(digest.rows, cache_now.get(), dbname, table.name);
        }
      }
    }
    ComputeLeafMaps(*snapshot, dbname, schema, digest, threads, &leaves_now,
                    cache_now || cache_before ? &leaves_fine : nullptr, VisitorsOf(cells));
    for (auto& [table, collector] : cells) {
      // A table not mapped whole keeps no cells.
      if (!leaves_fine.count({dbname, table})) continue;
      std::vector<int64_t> differ;
      if (collector->Finish(&differ) && collector->compares()) {
        differing[{dbname, table}] = std::move(differ);
        cells_seen[{dbname, table}] = collector->cells_seen();
      }
    }
  }
  if (cache_now) {
    for (const auto& [name, list] : leaves_fine)
      cache_now->AddLeaves(name.first, name.second, list);
  }
  // With checkpoints, written now: a resumed run compares them with its own.
  if (checkpoint) {
    RETURN_IF_ERROR(checkpoint->UseLeafMaps(storage.layers(), result.layer_dir, req.crypto, digest,
                                            leaves_now, base));
    RETURN_IF_ERROR(checkpoint->Flush());
  }
  std::vector<TableJob> tables;
  for (auto& [target, schema] : schemas) {
    const std::string& dbname = target->database.name;
    const SqliteDb& db = snapshot->reader(dbname);
    proto::Database* pdb = manifest.add_databases();
    pdb->set_name(dbname);
    RETURN_IF_ERROR(DescribeDatabase(db, pdb));
    pdb->set_snapshot_time_micros(snapshot->time_micros(dbname));
    pdb->set_file_state(snapshot->file_state(dbname));
    const bool file_unchanged = FileUnchanged(*snapshot, prev, dbname);
    for (const auto& table : schema.tables) {
      TableJob job;
      job.database = dbname;
      job.schema = &table;
      job.out = pdb->add_tables();
      DescribeTable(table, job.out);
      const proto::Table* before = FindTable(prev, dbname, table.name);
      // A table of the same definition carries on from its previous layer; so does one that
      // gained columns by ADD COLUMN (its rows are diffed, the previous ones completed with the
      // new columns' defaults); any other redefinition is written in full.
      bool same = false, added = false;
      if (before && before->without_rowid() == table.without_rowid && before->spans_size() > 0) {
        same = before->create_sql() == table.create_sql;
        if (same) {
          CarryShortRows(*before, job.out);
        } else {
          ASSIGN_OR_RETURN(added, DescribeAddedColumns(db, *before, table, job.out));
        }
      }
      if (same || added) {
        job.before = before;
        ASSIGN_OR_RETURN(job.short_rows, ShortRowDefaults::ForTable(*job.out));
        // Tables whose key order cannot be reproduced outside SQLite are rewritten in full.
        auto order = KeyOrder::ForTable(db, table);
        if (!order.ok()) {
          return order.status().Annotate("backing up table " + dbname + "." + table.name);
        }
        job.order = std::move(*order);
        job.file_unchanged = same && file_unchanged;
        // Same leaves mean same rows only under the same definition.
        auto was = leaves_before.find({dbname, table.name});
        auto is = leaves_now.find({dbname, table.name});
        if (same && was != leaves_before.end() && is != leaves_now.end()) {
          job.leaves_before = &was->second;
          job.leaves_now = &is->second;
        }
        // The cache serves a table of the same definition whose leaves it has, then and now.
        auto then = leaves_then.find({dbname, table.name});
        auto fine = leaves_fine.find({dbname, table.name});
        if (same && then != leaves_then.end() && fine != leaves_fine.end()) {
          job.cached = cache_before->Find(dbname, table.name);
          job.leaves_then = &then->second;
          job.leaves_fine = &fine->second;
          auto differ = differing.find({dbname, table.name});
          if (job.cached && differ != differing.end()) job.differ = &differ->second;
        }
      } else if (checkpoint && checkpoint->resuming()) {
        // Written in full: its finished spans are found by key (none when the order fails).
        if (auto order = KeyOrder::ForTable(db, table); order.ok()) job.order = std::move(*order);
      }
      tables.push_back(std::move(job));
    }
    for (auto& obj : schema.objects) *pdb->add_objects() = std::move(obj);
    for (auto& vt : schema.virtual_tables) *pdb->add_virtual_tables() = std::move(vt);
    RETURN_IF_ERROR(ReadStatistics(db, schema, pdb));
    RETURN_IF_ERROR(ReportUnpairedSurrogates(db, schema, *pdb, &result.notices));
  }

  // Work items, run largest first, each thread on its own reader (backup/parallel_export.h).
  ParallelExportOptions parallel;
  parallel.threads = std::clamp(threads, 1, snapshot->readers_per_database());
  if (req.settings.min_piece_rows > 0) parallel.min_piece_rows = req.settings.min_piece_rows;
  ASSIGN_OR_RETURN(std::vector<WorkItem> items,
                   PlanWork(*snapshot, tables, parallel, checkpoint ? &*checkpoint : nullptr));
  std::vector<size_t> order(items.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return items[a].weight > items[b].weight; });
  // A single thread still overlaps the scan with the read of the previous state.
  const bool prefetch = parallel.threads == 1;
  const RowCaches caches{cache_before.get(), cache_now.get()};
  std::vector<WorkOutput> outputs(items.size());
  auto work = [&](int reader, size_t next) {
    const WorkItem& item = items[order[next]];
    const TableJob& table = tables[item.table];
    WorkOutput& out = outputs[order[next]];
    Status st =
        RunWorkItem(snapshot->reader(table.database, reader), table, item, prefetch,
                    checkpoint ? &*checkpoint : nullptr, caches, storage, req.crypto, opts, &out);
    if (!st.ok()) {
      return st.Annotate("backing up table " + table.database + "." + table.schema->name);
    }
    if (checkpoint) {
      proto::Table done;
      if (out.kept) {
        *done.add_spans() = out.delta_span;
      } else {
        *done.mutable_spans() = out.written.spans();
      }
      checkpoint->Finished(table.database, *table.schema, done);
    }
    if (req.settings.live) {
      req.settings.live->rows += out.stats.rows;
      req.settings.live->bytes += out.stats.bytes;
    }
    return st;
  };
  // The checkpoint is saved from this thread as items finish, and once more when they stop.
  auto report = [&](double fraction) {
    if (checkpoint) checkpoint->Flush().IgnoreError();
    if (req.progress) req.progress(fraction);
  };
  Status run = RunInParallel(parallel.threads, items.size(), work, report, req.settings.stop);
  if (checkpoint) checkpoint->Flush().IgnoreError();
  if (!run.ok()) {
    // Stopped (PAUSE, a shutdown): the finished items stay for the next run to resume from.
    if (checkpoint && run.code() == StatusCode::kCancelled) guard.Keep();
    return run;
  }

  LayerStats stats;
  AssembleSpans(tables, items, outputs, &stats);
  for (const TableJob& table : tables) {
    uint64_t rows = 0, bytes = 0;
    for (const auto& s : table.out->spans()) {
      rows += s.rows();
      bytes += s.logical_bytes();
    }
    table.out->set_rows(rows);
    table.out->set_logical_bytes(bytes);
    result.rows_in_snapshot += rows;
    // The cell digests' one blind spot (backup/cell_digests.h): a row that went, missing from a
    // damaged or mistaken cache, would be counted here and not in the leaves. Nothing is written
    // then, and the cache goes: the next run works without it.
    if (auto seen = cells_seen.find({table.database, table.schema->name});
        table.differ && seen != cells_seen.end() && seen->second != rows) {
      RemoveFileIfExists(cache_before->path(), "removing a row cache file").IgnoreError();
      return InternalError("the row digest cache of this data directory disagreed with table " +
                           table.database + "." + table.schema->name + " (" + std::to_string(rows) +
                           " rows against " + std::to_string(seen->second) +
                           " in its pages); it was removed: run the BACKUP again");
    }
    auto entries = CountIndexEntries(snapshot->reader(table.database), *table.schema, rows);
    if (!entries.ok()) {
      return entries.status().Annotate("backing up table " + table.database + "." +
                                       table.schema->name);
    }
    table.out->set_index_entries(*entries);
    if (!table.before) stats.index_entries += *entries;
  }
  for (int d = 0; d < manifest.databases_size(); ++d) {
    proto::Database* pdb = manifest.mutable_databases(d);
    RETURN_IF_ERROR(ReadSequences(snapshot->reader(pdb->name()), pdb));
  }
  manifest.set_rows(stats.rows);
  manifest.set_index_entries(stats.index_entries);
  manifest.set_logical_bytes(stats.bytes);
  RETURN_IF_ERROR(RecordLeafMaps(checkpoint ? &*checkpoint : nullptr, storage.layers(),
                                 result.layer_dir, req.crypto, digest, leaves_now, base,
                                 &manifest));
  RETURN_IF_ERROR(WriteManifest(storage.layers(), result.layer_dir, req.crypto, manifest));
  guard.Commit();
  // A cache that cannot be written costs the next incremental its shortcut, nothing else.
  if (cache_now) cache_now->Commit(manifest).IgnoreError();
  result.rows = stats.rows;
  result.index_entries = stats.index_entries;
  result.bytes = stats.bytes;
  result.rows_read = stats.rows_read;
  if (checkpoint) {
    AfterCommit(*checkpoint, storage.DataFor(layer), result.layer_dir, manifest, &result.runs,
                &result.spans_kept, &result.spans_brought);
  }
  if (req.progress) req.progress(1.0);
  return result;
}

}  // namespace cofre
