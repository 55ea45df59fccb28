#include "backup/backup_checkpoint.h"

#include <algorithm>
#include <cstdlib>

#include "backup/incremental_backup.h"

namespace cofre {
namespace {

// Key range bounds: an empty start is -infinity, an empty end +infinity.
struct Bounds {
  const KeyOrder& order;
  // a (a start) < b (a start)
  bool StartLess(const std::string& a, const std::string& b) const {
    if (a.empty()) return !b.empty();
    if (b.empty()) return false;
    return order.Compare(a, b) < 0;
  }
  // a (an end) < b (an end)
  bool EndLess(const std::string& a, const std::string& b) const {
    if (b.empty()) return !a.empty();
    if (a.empty()) return false;
    return order.Compare(a, b) < 0;
  }
  // start < end: the range [start, end) is not empty
  bool NonEmpty(const std::string& start, const std::string& end) const {
    if (start.empty() || end.empty()) return true;
    return order.Compare(start, end) < 0;
  }
  // end <= start: a range ending at `end` lies before one starting at `start`
  bool Before(const std::string& end, const std::string& start) const {
    if (end.empty()) return false;
    if (start.empty()) return false;
    return order.Compare(end, start) <= 0;
  }
};

}  // namespace

BackupCheckpointer::BackupCheckpointer(proto::BackupCheckpoint start, CheckpointSink sink)
    : start_(std::move(start)), resuming_(start_.spans_size() > 0), sink_(std::move(sink)) {
  current_ = start_;
  current_.set_format_version(kCheckpointFormatVersion);
  current_.set_runs(start_.runs() + 1);
  current_.clear_leaf_maps();
  dirty_ = true;
  for (const auto& f : start_.spans()) runs_of_[&f.span()] = f.run();
}

std::vector<ExportPiece> BackupCheckpointer::Pieces(const std::string& db,
                                                    const TableSchema& schema,
                                                    const std::optional<KeyOrder>& order,
                                                    std::vector<ExportPiece> planned) const {
  if (!order || planned.empty()) return planned;
  std::vector<const proto::Span*> done;
  for (const auto& f : start_.spans()) {
    if (f.database() == db && f.table() == schema.name && f.create_sql() == schema.create_sql) {
      done.push_back(&f.span());
    }
  }
  if (done.empty()) return planned;
  const Bounds b{*order};
  std::sort(done.begin(), done.end(), [&](const proto::Span* x, const proto::Span* y) {
    return b.StartLess(x->start_key(), y->start_key());
  });
  // The ranges must be non-empty and disjoint; a record that says otherwise is not used.
  for (size_t i = 0; i < done.size(); ++i) {
    if (!b.NonEmpty(done[i]->start_key(), done[i]->end_key()) ||
        (i > 0 && !b.Before(done[i - 1]->end_key(), done[i]->start_key()))) {
      return planned;
    }
  }
  // The gaps the finished spans leave, then each planned piece cut to them.
  std::vector<std::pair<std::string, std::string>> gaps;
  std::string cur;  // -infinity
  bool open = true;
  for (const proto::Span* s : done) {
    if (b.StartLess(cur, s->start_key())) gaps.emplace_back(cur, s->start_key());
    if (s->end_key().empty()) {
      open = false;
      break;
    }
    cur = s->end_key();
  }
  if (open) gaps.emplace_back(cur, "");
  std::vector<ExportPiece> out;
  const size_t table = planned.front().table;
  for (const proto::Span* s : done) {
    ExportPiece p{table, s->start_key(), s->end_key(), std::max<uint64_t>(1, s->rows())};
    p.finished = s;
    out.push_back(std::move(p));
  }
  for (const ExportPiece& p : planned) {
    for (const auto& [gs, ge] : gaps) {
      const std::string& lo = b.StartLess(p.start_key, gs) ? gs : p.start_key;
      const std::string& hi = b.EndLess(p.end_key, ge) ? p.end_key : ge;
      if (!b.NonEmpty(lo, hi)) continue;
      out.push_back({table, lo, hi, p.weight});
    }
  }
  std::stable_sort(out.begin(), out.end(), [&](const ExportPiece& x, const ExportPiece& y) {
    return b.StartLess(x.start_key, y.start_key);
  });
  return out;
}

std::vector<const proto::Span*> BackupCheckpointer::Covering(const std::string& db,
                                                             const TableSchema& schema,
                                                             const KeyOrder& order,
                                                             const std::string& start,
                                                             const std::string& end) const {
  const Bounds b{order};
  std::vector<const proto::Span*> in;
  for (const auto& f : start_.spans()) {
    if (f.database() != db || f.table() != schema.name || f.create_sql() != schema.create_sql) {
      continue;
    }
    const proto::Span& s = f.span();
    // Starts inside [start, end).
    if (b.StartLess(s.start_key(), start)) continue;
    if (!end.empty() && !b.StartLess(s.start_key(), end)) continue;
    in.push_back(&s);
  }
  std::sort(in.begin(), in.end(), [&](const proto::Span* x, const proto::Span* y) {
    return b.StartLess(x->start_key(), y->start_key());
  });
  // Each starts where the one before ends, from `start` to `end`.
  std::string at = start;
  for (size_t i = 0; i < in.size(); ++i) {
    const proto::Span* s = in[i];
    // After a span that ends unbounded, nothing may follow.
    if ((i > 0 && at.empty()) || s->start_key() != at ||
        !b.NonEmpty(s->start_key(), s->end_key())) {
      return {};
    }
    at = s->end_key();
  }
  if (in.empty() || at != end) return {};
  return in;
}

Status BackupCheckpointer::UseLeafMaps(ExternalStorage& storage, const std::string& layer_dir,
                                       const ChainCrypto& crypto, const LeafDigest& digest,
                                       const LeafMapSet& now, const ResolvedLeafMaps* base) {
  leaves_now_ = &now;
  if (resuming_ && start_.has_leaf_maps()) {
    if (auto maps = ReadLeafMapsFile(storage, crypto, digest, start_.leaf_maps(), base);
        maps.ok()) {
      leaves_before_ = std::move(maps->maps);
    }
  }
  proto::BackupManifest written;
  RETURN_IF_ERROR(WriteLeafMaps(storage, layer_dir, crypto, digest, now, &written, base));
  std::lock_guard<std::mutex> l(mu_);
  *current_.mutable_leaf_maps() = written.leaf_maps();
  dirty_ = true;
  return Status::OK();
}

Status BackupCheckpointer::Bring(const SqliteDb& reader, const std::string& db,
                                 const TableSchema& schema, const KeyOrder& order,
                                 const ShortRowDefaults& pad, const proto::Span& span,
                                 const ChainStorage& storage, const ChainCrypto& crypto,
                                 const ExportOptions& options, proto::Table* out, uint64_t* rows,
                                 uint64_t* bytes) const {
  // Finished by the interrupted run (whose maps were read) and its leaves unchanged since.
  auto run = runs_of_.find(&span);
  auto was = leaves_before_.find({db, schema.name});
  auto is = leaves_now_ ? leaves_now_->find({db, schema.name}) : leaves_before_.end();
  std::optional<int64_t> lo, hi;
  if (run != runs_of_.end() && run->second == start_.runs() && was != leaves_before_.end() &&
      leaves_now_ && is != leaves_now_->end() && SpanRowidRange(span, &lo, &hi) &&
      SameLeavesInRange(was->second, is->second, lo, hi)) {
    *rows += span.rows();
    *bytes += span.logical_bytes();
    *out->add_spans() = span;
    ++kept_;
    return Status::OK();
  }
  ++diffed_;
  if (span.files_size() - 1 < kMaxDeltasPerSpan) {
    proto::Span brought;
    bool kept = false;
    RETURN_IF_ERROR(BringSpanToSnapshot(reader, schema, order, pad, span, storage, crypto, options,
                                        &brought, &kept));
    if (kept) {
      *rows += brought.rows();
      *bytes += brought.logical_bytes();
      *out->add_spans() = std::move(brought);
      return Status::OK();
    }
  }
  const int first = out->spans_size();
  RETURN_IF_ERROR(ExportRange(reader, schema, span.start_key(), span.end_key(),
                              storage.DataFor(options.layer), crypto, options, out, rows, bytes));
  storage.MarkWritten(options.layer, out, first);
  return Status::OK();
}

void BackupCheckpointer::Finished(const std::string& db, const TableSchema& schema,
                                  const proto::Table& out) {
  std::lock_guard<std::mutex> l(mu_);
  for (const auto& span : out.spans()) {
    proto::FinishedSpan* slot = nullptr;
    for (auto& f : *current_.mutable_spans()) {
      if (f.database() == db && f.table() == schema.name &&
          f.span().start_key() == span.start_key()) {
        slot = &f;
        break;
      }
    }
    if (!slot) slot = current_.add_spans();
    slot->set_database(db);
    slot->set_table(schema.name);
    slot->set_create_sql(schema.create_sql);
    slot->set_run(current_.runs());
    *slot->mutable_span() = span;
  }
  dirty_ = true;
}

Status BackupCheckpointer::Flush() {
  std::string bytes;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!dirty_) return Status::OK();
    dirty_ = false;
    bytes = current_.SerializeAsString();
  }
  return sink_ ? sink_(bytes) : Status::OK();
}

std::set<std::string> BackupCheckpointer::ReferencedFiles() const {
  std::set<std::string> out;
  for (const auto& f : start_.spans()) {
    for (const auto& file : f.span().files()) out.insert(file.path());
  }
  return out;
}

StatusOr<uint64_t> StartCheckpoints(const CheckpointedLayer& layer,
                                    const std::optional<proto::BackupCheckpoint>& resume,
                                    CheckpointSink sink, ExternalStorage& data,
                                    std::optional<BackupCheckpointer>* out) {
  proto::BackupCheckpoint start = resume.value_or(proto::BackupCheckpoint());
  start.set_layer_dir(layer.layer_dir);
  start.set_full_subdir(layer.full_subdir);
  start.set_layer(layer.layer);
  start.set_previous_layer_dir(layer.previous_layer_dir);
  out->emplace(std::move(start), std::move(sink));
  RETURN_IF_ERROR((*out)->Flush());
  if (!resume) return 1;
  // What the interrupted run wrote after its last checkpoint is not used: it goes.
  ASSIGN_OR_RETURN(uint64_t highest,
                   RemoveUnreferencedDataFiles(data, layer.layer_dir, (*out)->ReferencedFiles()));
  return highest + 1;
}

Status RecordLeafMaps(const BackupCheckpointer* checkpoint, ExternalStorage& storage,
                      const std::string& layer_dir, const ChainCrypto& crypto,
                      const LeafDigest& digest, const LeafMapSet& now, const ResolvedLeafMaps* base,
                      proto::BackupManifest* manifest) {
  if (!checkpoint) return WriteLeafMaps(storage, layer_dir, crypto, digest, now, manifest, base);
  *manifest->mutable_leaf_maps() = checkpoint->leaf_maps();
  return Status::OK();
}

void AfterCommit(const BackupCheckpointer& checkpoint, ExternalStorage& data,
                 const std::string& layer_dir, const proto::BackupManifest& manifest,
                 uint32_t* runs, uint64_t* spans_kept, uint64_t* spans_brought) {
  *runs = checkpoint.run();
  *spans_kept = checkpoint.spans_kept();
  *spans_brought = checkpoint.spans_diffed();
  if (!checkpoint.resuming()) return;
  RemoveUnreferencedDataFiles(data, layer_dir, ManifestFiles(manifest)).status().IgnoreError();
}

std::set<std::string> ManifestFiles(const proto::BackupManifest& manifest) {
  std::set<std::string> out;
  for (const auto& db : manifest.databases()) {
    for (const auto& t : db.tables()) {
      for (const auto& s : t.spans()) {
        for (const auto& f : s.files()) out.insert(f.path());
      }
    }
  }
  return out;
}

StatusOr<uint64_t> RemoveUnreferencedDataFiles(ExternalStorage& storage,
                                               const std::string& layer_dir,
                                               const std::set<std::string>& keep) {
  const std::string prefix = layer_dir + "/data/";
  std::vector<std::string> drop;
  uint64_t highest = 0;
  RETURN_IF_ERROR(storage.List(prefix, "", [&](const ListEntry& e) {
    if (e.is_prefix) return Status::OK();
    // Dropped files count too: a number is never given to a second file.
    highest =
        std::max<uint64_t>(highest, std::strtoull(e.path.c_str() + prefix.size(), nullptr, 10));
    if (!keep.count(e.path)) drop.push_back(e.path);
    return Status::OK();
  }));
  for (const std::string& path : drop) RETURN_IF_ERROR(storage.Delete(path));
  RETURN_IF_ERROR(storage.RemoveLeftovers(layer_dir + "/data"));
  return highest;
}

}  // namespace cofre
