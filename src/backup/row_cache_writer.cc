// RowCacheWriter, the writing half of the row digest cache (backup/row_cache.h). The reading
// half (RowCache, RowCacheCursor, SpanRowRecorder) is row_cache.cc; file names, identities and
// pruning are row_cache_files.h.
#include <fcntl.h>

#include <algorithm>
#include <set>

#include "backup/row_cache.h"
#include "backup/row_cache_files.h"
#include "backup/row_cache_format.h"
#include "util/crc32c.h"

namespace cofre {

namespace cache_fmt = row_cache_format;
using row_cache_files::ChainPrefix;
using row_cache_files::FileName;
using row_cache_files::LayerIdentity;
using row_cache_files::Prune;
using row_cache_files::Put32;
using row_cache_files::Put64;
using row_cache_files::PutRowEntry;

StatusOr<std::unique_ptr<RowCacheWriter>> RowCacheWriter::Start(
    const std::string& dir, const proto::BackupManifest& full,
    std::shared_ptr<const RowDigestKey> key, bool copy_segments) {
  RETURN_IF_ERROR(CreateDirs(dir, "creating the row cache directory"));
  std::unique_ptr<RowCacheWriter> w(new RowCacheWriter());
  w->key_ = std::move(key);
  w->dir_ = dir;
  w->prefix_ = ChainPrefix(full);
  w->copy_segments_ = copy_segments;
  ASSIGN_OR_RETURN(std::string suffix, RandomHex(8));
  w->temp_path_ = dir + "/" + w->prefix_ + "new.tmp-" + suffix;
  ASSIGN_OR_RETURN(w->fd_, OpenFile(w->temp_path_, O_WRONLY | O_CREAT | O_EXCL, 0600,
                                    "creating a row cache file"));
  std::string header(cache_fmt::kMagic, 4);
  Put32(&header, cache_fmt::kVersion);
  w->Append(header);
  w->WritePending();
  if (w->failed_) return InternalError("cannot write a row cache file");
  return w;
}

RowCacheWriter::~RowCacheWriter() {
  if (!committed_ && !temp_path_.empty()) {
    fd_.Close("closing a row cache file").IgnoreError();
    RemoveFileIfExists(temp_path_, "removing an unfinished row cache file").IgnoreError();
  }
}

uint64_t RowCacheWriter::Append(std::string_view bytes) {
  // Callers hold mu_, except Start (no other thread yet).
  if (failed_) return 0;
  const uint64_t at = end_;
  pending_.append(bytes);
  end_ += bytes.size();
  if (pending_.size() >= kWriteBytes) WritePending();
  return at;
}

void RowCacheWriter::WritePending() {
  if (!failed_ && !pending_.empty() &&
      !WriteFully(fd_.get(), pending_.data(), pending_.size(), "writing a row cache file").ok()) {
    failed_ = true;
  }
  pending_.clear();
}

std::unique_ptr<RowCacheWriter::Rows> RowCacheWriter::NewRows(const std::string& db,
                                                              const std::string& table,
                                                              CacheList list) {
  return std::unique_ptr<Rows>(new Rows(*this, db, table, list));
}

void RowCacheWriter::AddLeaves(const std::string& db, const std::string& table,
                               const std::vector<LeafRange>& leaves) {
  std::vector<proto::RowCacheIndex::Segment> segments;
  std::string buffer;
  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < leaves.size(); i += cache_fmt::kSegmentEntries) {
    const size_t n = std::min(cache_fmt::kSegmentEntries, leaves.size() - i);
    buffer.clear();
    for (size_t k = i; k < i + n; ++k) {
      Put64(&buffer, static_cast<uint64_t>(leaves[k].first));
      Put64(&buffer, static_cast<uint64_t>(leaves[k].last));
      buffer.append(leaves[k].digest.view());
    }
    proto::RowCacheIndex::Segment s;
    s.set_offset(Append(buffer));
    s.set_count(n);
    s.set_first_rowid(leaves[i].first);
    s.set_last_rowid(leaves[i + n - 1].last);
    s.set_crc32c(Crc32c(buffer));
    segments.push_back(std::move(s));
  }
  TableState& t = tables_[{db, table}];
  t.leaves = std::move(segments);
  t.has_leaves = true;
}

void RowCacheWriter::Drop(const std::string& db, const std::string& table) {
  std::lock_guard<std::mutex> lock(mu_);
  tables_[{db, table}].dropped = true;
}

void RowCacheWriter::Rows::AddEntry(const RowCacheEntry& entry) {
  if (failed_) return;
  if (any_ && entry.rowid <= last_.rowid) {
    failed_ = true;  // not in increasing order: the range is left out
    return;
  }
  if (count_ == 0) first_ = entry;
  any_ = true;
  last_ = entry;
  PutRowEntry(&buffer_, entry);
  ++count_;
  ++rows_;
  bytes_ += entry.bytes;
  segment_bytes_ += entry.bytes;
  if (count_ == cache_fmt::kSegmentEntries) Flush();
}

void RowCacheWriter::Rows::AddRun(const RowCacheEntry* entries, size_t n, std::string_view raw) {
  if (failed_ || n == 0) return;
  if (raw.size() != n * cache_fmt::kRowEntryBytes || (any_ && entries[0].rowid <= last_.rowid)) {
    failed_ = true;
    return;
  }
  // The run was read in increasing order (RowCacheCursor checks each segment it loads).
  for (size_t i = 0; i < n;) {
    const size_t take = std::min(n - i, cache_fmt::kSegmentEntries - count_);
    if (count_ == 0) first_ = entries[i];
    uint64_t bytes = 0;
    for (size_t k = i; k < i + take; ++k) bytes += entries[k].bytes;
    segment_bytes_ += bytes;
    bytes_ += bytes;
    buffer_.append(raw.substr(i * cache_fmt::kRowEntryBytes, take * cache_fmt::kRowEntryBytes));
    count_ += take;
    rows_ += take;
    any_ = true;
    last_ = entries[i + take - 1];
    i += take;
    if (count_ == cache_fmt::kSegmentEntries) Flush();
  }
}

void RowCacheWriter::Rows::Flush() {
  if (count_ == 0) return;
  proto::RowCacheIndex::Segment s;
  s.set_count(count_);
  s.set_first_rowid(first_.rowid);
  s.set_last_rowid(last_.rowid);
  s.set_crc32c(Crc32c(buffer_));
  s.set_row_bytes(segment_bytes_);
  segment_bytes_ = 0;
  {
    std::lock_guard<std::mutex> lock(writer_.mu_);
    s.set_offset(writer_.Append(buffer_));
  }
  segments_.push_back(std::move(s));
  buffer_.clear();
  count_ = 0;
}

void RowCacheWriter::Rows::AddSegment(const RowCache& from,
                                      const proto::RowCacheIndex::Segment& segment) {
  if (failed_) return;
  if (any_ && segment.first_rowid() <= last_.rowid) {
    failed_ = true;
    return;
  }
  Flush();
  proto::RowCacheIndex::Segment s = segment;
  if (writer_.copy_segments_) {
    // Copied as stored (checked against its CRC on the way).
    std::string raw;
    if (!from.ReadSegment(segment, cache_fmt::kRowEntryBytes, &raw).ok()) {
      failed_ = true;
      return;
    }
    s.clear_file();
    std::lock_guard<std::mutex> lock(writer_.mu_);
    s.set_offset(writer_.Append(raw));
  } else {
    // Referenced where it is: the file stays while an index names it.
    s.set_file(from.FileOf(segment));
  }
  any_ = true;
  last_.rowid = segment.last_rowid();
  rows_ += segment.count();
  bytes_ += segment.row_bytes();
  segments_.push_back(std::move(s));
}

bool RowCacheWriter::Rows::Finish() {
  if (failed_) return false;
  Flush();
  std::lock_guard<std::mutex> lock(writer_.mu_);
  TableState& t = writer_.tables_[{db_, table_}];
  if (list_ == CacheList::kCells) {
    for (auto& s : segments_) t.cells.push_back(std::move(s));
    t.cell_count += rows_;
  } else {
    for (auto& s : segments_) t.rows.push_back(std::move(s));
    t.row_count += rows_;
    t.row_bytes += bytes_;
  }
  segments_.clear();
  return true;
}

Status RowCacheWriter::Commit(const proto::BackupManifest& manifest) {
  std::lock_guard<std::mutex> lock(mu_);
  if (failed_) return InternalError("a row cache file could not be written");
  proto::RowCacheIndex index;
  index.set_layer_identity(LayerIdentity(prefix_, manifest));
  index.set_key_check(key_->check());
  for (const auto& d : manifest.databases()) {
    for (const auto& table : d.tables()) {
      auto it = tables_.find({d.name(), table.name()});
      if (it == tables_.end()) continue;
      TableState& t = it->second;
      if (t.dropped || !t.has_leaves || t.row_count != table.rows() ||
          t.row_bytes != table.logical_bytes()) {
        continue;
      }
      // Segments come from ranges written on several threads: put in order, then checked.
      auto in_order = [](std::vector<proto::RowCacheIndex::Segment>& segments) {
        std::sort(segments.begin(), segments.end(),
                  [](const auto& a, const auto& b) { return a.first_rowid() < b.first_rowid(); });
        for (size_t i = 1; i < segments.size(); ++i) {
          if (segments[i].first_rowid() <= segments[i - 1].last_rowid()) return false;
        }
        return true;
      };
      if (!in_order(t.rows)) continue;
      if (!in_order(t.cells) || t.cell_count != table.rows()) t.cells.clear();
      auto* out = index.add_tables();
      out->set_database(d.name());
      out->set_table(table.name());
      out->set_rows(table.rows());
      out->set_logical_bytes(table.logical_bytes());
      for (const auto& s : t.leaves) *out->add_leaves() = s;
      for (const auto& s : t.rows) *out->add_row_segments() = s;
      for (const auto& s : t.cells) *out->add_cell_segments() = s;
    }
  }
  std::string bytes;
  if (!index.SerializeToString(&bytes) || bytes.size() > cache_fmt::kMaxIndexBytes) {
    return InternalError("the row cache index is too large");
  }
  const uint64_t at = Append(bytes);
  std::string trailer;
  Put64(&trailer, at);
  Put32(&trailer, static_cast<uint32_t>(bytes.size()));
  Put32(&trailer, Crc32c(bytes));
  Append(trailer);
  WritePending();
  if (failed_) return InternalError("a row cache file could not be written");
  RETURN_IF_ERROR(fd_.Close("closing a row cache file"));
  const std::string name = FileName(prefix_, manifest);
  RETURN_IF_ERROR(RenameFile(temp_path_, dir_ + "/" + name, "publishing a row cache file"));
  committed_ = true;
  std::set<std::string> keep{name};
  for (const auto& t : index.tables()) {
    for (const auto& list : {&t.row_segments(), &t.cell_segments()}) {
      for (const auto& s : *list) {
        if (!s.file().empty()) keep.insert(s.file());
      }
    }
  }
  Prune(dir_, prefix_, keep);
  return Status::OK();
}

}  // namespace cofre
