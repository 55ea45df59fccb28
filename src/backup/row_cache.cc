#include "backup/row_cache.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <set>

#include "backup/row_cache_files.h"
#include "backup/row_cache_format.h"
#include "backup/row_codec.h"
#include "util/crc32c.h"

namespace cofre {

namespace cache_fmt = row_cache_format;
using row_cache_files::ChainPrefix;
using row_cache_files::Corrupt;
using row_cache_files::FileName;
using row_cache_files::Get32;
using row_cache_files::Get64;
using row_cache_files::IsChainFile;
using row_cache_files::LayerIdentity;
using row_cache_files::Put32;
using row_cache_files::Put64;

StatusOr<std::unique_ptr<RowCache>> RowCache::Open(const std::string& dir,
                                                   const proto::BackupManifest& full,
                                                   const proto::BackupManifest& layer,
                                                   std::shared_ptr<const RowDigestKey> key) {
  std::unique_ptr<RowCache> cache(new RowCache());
  cache->key_ = std::move(key);
  cache->dir_ = dir;
  const std::string prefix = ChainPrefix(full);
  cache->name_ = FileName(prefix, layer);
  cache->path_ = dir + "/" + cache->name_;
  auto fd = OpenFile(cache->path_, O_RDONLY, 0, "opening a row cache file");
  if (!fd.ok()) return NotFoundError("no row cache file for this layer");
  cache->fd_ = std::move(*fd);
  struct stat st;
  if (fstat(cache->fd_.get(), &st) != 0) return ErrnoToStatus(errno, "reading a row cache file");
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size < cache_fmt::kHeaderBytes + cache_fmt::kTrailerBytes)
    return Corrupt(cache->path_, "too short");
  char header[cache_fmt::kHeaderBytes], trailer[cache_fmt::kTrailerBytes];
  ASSIGN_OR_RETURN(size_t n, PreadFully(cache->fd_.get(), 0, header, sizeof(header),
                                        "reading a row cache file"));
  if (n != sizeof(header) || std::memcmp(header, cache_fmt::kMagic, 4) != 0 ||
      Get32(header + 4) != cache_fmt::kVersion) {
    return Corrupt(cache->path_, "not a row cache file of this version");
  }
  ASSIGN_OR_RETURN(n, PreadFully(cache->fd_.get(), size - sizeof(trailer), trailer, sizeof(trailer),
                                 "reading a row cache file"));
  const uint64_t index_at = Get64(trailer), index_bytes = Get32(trailer + 8);
  if (n != sizeof(trailer) || index_bytes > cache_fmt::kMaxIndexBytes ||
      index_at < cache_fmt::kHeaderBytes || index_at > size ||
      size - index_at != index_bytes + cache_fmt::kTrailerBytes) {
    return Corrupt(cache->path_, "its index is not where its trailer says");
  }
  std::string raw(index_bytes, '\0');
  ASSIGN_OR_RETURN(n, PreadFully(cache->fd_.get(), index_at, raw.data(), raw.size(),
                                 "reading a row cache file"));
  proto::RowCacheIndex index;
  if (n != raw.size() || Crc32c(raw) != Get32(trailer + 12) || !index.ParseFromString(raw)) {
    return Corrupt(cache->path_, "its index does not match its checksum");
  }
  if (index.layer_identity() != LayerIdentity(prefix, layer) ||
      index.key_check() != cache->key_->check()) {
    return NotFoundError("the row cache file describes another layer");
  }
  // Segments must lie between the header and the index of their file, in rowid order, without
  // overlaps; a segment of an earlier layer's file is checked against that file's size.
  auto segments_fit = [&](const auto& segments, size_t entry_bytes, uint64_t* count,
                          uint64_t* bytes) {
    *count = 0;
    *bytes = 0;
    for (int i = 0; i < segments.size(); ++i) {
      const auto& s = segments[i];
      uint64_t end = index_at;
      if (!s.file().empty()) {
        if (!IsChainFile(s.file(), prefix) || s.file() == cache->name_) return false;
        auto it = cache->files_.find(s.file());
        if (it == cache->files_.end()) {
          auto other = OpenFile(dir + "/" + s.file(), O_RDONLY, 0, "opening a row cache file");
          struct stat ost;
          if (!other.ok() || fstat(other->get(), &ost) != 0) return false;
          it = cache->files_
                   .emplace(s.file(),
                            OtherFile{std::move(*other), static_cast<uint64_t>(ost.st_size)})
                   .first;
        }
        end = it->second.size;
      }
      if (s.count() == 0 || s.count() > cache_fmt::kMaxSegmentEntries ||
          s.offset() < cache_fmt::kHeaderBytes || s.offset() > end ||
          (end - s.offset()) / entry_bytes < s.count() || s.first_rowid() > s.last_rowid() ||
          (i > 0 && s.first_rowid() <= segments[i - 1].last_rowid())) {
        return false;
      }
      *count += s.count();
      *bytes += s.row_bytes();
    }
    return true;
  };
  for (auto& t : *index.mutable_tables()) {
    const proto::Table* table = nullptr;
    for (const auto& d : layer.databases()) {
      if (d.name() != t.database()) continue;
      for (const auto& x : d.tables()) {
        if (x.name() == t.table()) table = &x;
      }
    }
    uint64_t rows = 0, bytes = 0, leaves = 0, unused = 0;
    // A table whose counts are not the manifest's is not used.
    if (!table || table->rows() != t.rows() || table->logical_bytes() != t.logical_bytes() ||
        !segments_fit(t.row_segments(), cache_fmt::kRowEntryBytes, &rows, &bytes) ||
        rows != t.rows() || bytes != t.logical_bytes() ||
        !segments_fit(t.leaves(), cache_fmt::kLeafEntryBytes, &leaves, &unused)) {
      continue;
    }
    // Cells that do not fit, or are not one per row, are not used (the table's rows still are).
    uint64_t cells = 0;
    if (!segments_fit(t.cell_segments(), cache_fmt::kRowEntryBytes, &cells, &unused) ||
        cells != t.rows()) {
      t.clear_cell_segments();
    }
    const auto name = std::make_pair(t.database(), t.table());
    cache->tables_[name].index = std::move(t);
  }
  return cache;
}

const RowCache::Table* RowCache::Find(const std::string& db, const std::string& table) const {
  auto it = tables_.find({db, table});
  return it == tables_.end() ? nullptr : &it->second;
}

Status RowCache::ReadSegment(const proto::RowCacheIndex::Segment& segment, size_t entry_bytes,
                             std::string* out) const {
  int fd = fd_.get();
  if (!segment.file().empty()) {
    auto it = files_.find(segment.file());
    if (it == files_.end()) return Corrupt(path_, "a segment is in a file it did not check");
    fd = it->second.fd.get();
  }
  out->resize(segment.count() * entry_bytes);
  ASSIGN_OR_RETURN(size_t n, PreadFully(fd, segment.offset(), out->data(), out->size(),
                                        "reading a row cache file"));
  if (n != out->size() || Crc32c(*out) != segment.crc32c()) {
    return Corrupt(path_, "a segment does not match its checksum");
  }
  return Status::OK();
}

std::string RowCache::FileOf(const proto::RowCacheIndex::Segment& segment) const {
  return segment.file().empty() ? name_ : segment.file();
}

bool RowCache::ShouldCopy() const {
  std::set<std::string> files{name_};
  for (const auto& [name, file] : files_) files.insert(name);
  return files.size() >= cache_fmt::kMaxFiles;
}

StatusOr<std::vector<LeafRange>> RowCache::Leaves(const Table& table) const {
  std::vector<LeafRange> leaves;
  uint64_t count = 0;
  for (const auto& s : table.index.leaves()) count += s.count();
  leaves.reserve(count);
  std::string raw;
  for (const auto& s : table.index.leaves()) {
    RETURN_IF_ERROR(ReadSegment(s, cache_fmt::kLeafEntryBytes, &raw));
    for (size_t i = 0; i < s.count(); ++i) {
      const char* p = raw.data() + i * cache_fmt::kLeafEntryBytes;
      LeafRange l;
      l.first = static_cast<int64_t>(Get64(p));
      l.last = static_cast<int64_t>(Get64(p + 8));
      l.digest = std::string_view(p + 16, 16);
      if (l.first > l.last || (!leaves.empty() && l.first <= leaves.back().last) ||
          (i == 0 && l.first != s.first_rowid()) ||
          (i + 1 == s.count() && l.last != s.last_rowid())) {
        return Corrupt(path_, "its leaves are out of order");
      }
      leaves.push_back(l);
    }
  }
  return leaves;
}

// --- cursor ---

RowCacheCursor::Loaded& RowCacheCursor::Own() {
  if (loaded_.use_count() > 1) loaded_ = std::make_shared<Loaded>();
  return *loaded_;
}

Status RowCacheCursor::Load(size_t segment) {
  if (partner_ && partner_->loaded_->segment == segment) {
    loaded_ = partner_->loaded_;
    segment_ = segment;
    return Status::OK();
  }
  Loaded& l = Own();
  l.segment = SIZE_MAX;
  const auto& s = segments_[static_cast<int>(segment)];
  RETURN_IF_ERROR(cache_.ReadSegment(s, cache_fmt::kRowEntryBytes, &l.raw));
  l.entries.resize(s.count());
  uint64_t bytes = 0;
  for (size_t i = 0; i < s.count(); ++i) {
    const char* p = l.raw.data() + i * cache_fmt::kRowEntryBytes;
    RowCacheEntry& e = l.entries[i];
    e.rowid = static_cast<int64_t>(Get64(p));
    e.bytes = Get32(p + 8);
    e.digest = Get64(p + 12);
    if ((i > 0 && e.rowid <= l.entries[i - 1].rowid) || (i == 0 && e.rowid != s.first_rowid()) ||
        (i + 1 == s.count() && e.rowid != s.last_rowid())) {
      l.entries.clear();
      return Corrupt(cache_.path_, "a segment's rows are out of order");
    }
    bytes += e.bytes;
  }
  if (bytes != s.row_bytes()) {
    l.entries.clear();
    return Corrupt(cache_.path_, "a segment's sizes do not add up");
  }
  l.segment = segment;
  segment_ = segment;
  return Status::OK();
}

size_t RowCacheCursor::FirstSegmentFrom(int64_t rowid) const {
  size_t lo = 0, hi = static_cast<size_t>(segments_.size());
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (segments_[static_cast<int>(mid)].last_rowid() < rowid) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

StatusOr<bool> RowCacheCursor::NextWholeSegment(std::optional<int64_t> limit,
                                                proto::RowCacheIndex::Segment* segment) {
  const size_t n = static_cast<size_t>(segments_.size());
  if (range_ >= ranges_.size()) return false;
  const auto [first, last] = ranges_[range_];
  size_t next = 0;
  if (!positioned_) {
    next = FirstSegmentFrom(first);
  } else if (pos_ == loaded_entries().size()) {
    next = segment_ + 1;
  } else if (pos_ == 0) {
    next = segment_;
  } else {
    return false;
  }
  if (next >= n) return false;
  const auto& s = segments_[static_cast<int>(next)];
  if (s.first_rowid() < first || s.last_rowid() > last || (limit && s.last_rowid() >= *limit)) {
    return false;
  }
  *segment = s;
  // Positioned just past it: the next read starts with the segment after it.
  segment_ = next;
  Own().entries.clear();
  loaded_->segment = SIZE_MAX;
  pos_ = 0;
  positioned_ = true;
  return true;
}

StatusOr<bool> RowCacheCursor::NextEntry(RowCacheEntry* out) {
  const size_t n = static_cast<size_t>(segments_.size());
  while (range_ < ranges_.size()) {
    const auto [first, last] = ranges_[range_];
    if (!positioned_) {
      const size_t lo = FirstSegmentFrom(first);
      if (lo == n) return false;  // nothing at or after this range
      if (lo != segment_) {
        if (Status st = Load(lo); !st.ok()) {
          failed_ = true;
          return st;
        }
      }
      pos_ = std::lower_bound(loaded_entries().begin(), loaded_entries().end(), first,
                              [](const RowCacheEntry& e, int64_t r) { return e.rowid < r; }) -
             loaded_entries().begin();
      positioned_ = true;
    }
    if (pos_ == loaded_entries().size()) {
      if (segment_ + 1 == n) return false;
      if (Status st = Load(segment_ + 1); !st.ok()) {
        failed_ = true;
        return st;
      }
      pos_ = 0;
    }
    if (loaded_entries()[pos_].rowid > last) {
      ++range_;
      positioned_ = false;
      continue;
    }
    *out = loaded_entries()[pos_++];
    return true;
  }
  return false;
}

StatusOr<size_t> RowCacheCursor::NextRun(std::optional<int64_t> limit,
                                         const RowCacheEntry** entries, std::string_view* raw) {
  // Positioned on the first one as NextEntry does, which is then taken back.
  RowCacheEntry first;
  ASSIGN_OR_RETURN(bool any, NextEntry(&first));
  if (!any) return size_t{0};
  const size_t begin = --pos_;
  if (limit && first.rowid >= *limit) return size_t{0};
  const int64_t last = ranges_[range_].second;
  size_t end = begin + 1;
  while (end < loaded_entries().size() && loaded_entries()[end].rowid <= last &&
         (!limit || loaded_entries()[end].rowid < *limit)) {
    ++end;
  }
  pos_ = end;
  *entries = loaded_entries().data() + begin;
  *raw = std::string_view(loaded_->raw)
             .substr(begin * cache_fmt::kRowEntryBytes, (end - begin) * cache_fmt::kRowEntryBytes);
  return end - begin;
}

void RowCacheCursor::SkipTo(int64_t rowid) {
  if (positioned_ && pos_ < loaded_entries().size()) {
    // In the loaded segment: moved forward there when it holds the place.
    if (loaded_entries()[pos_].rowid >= rowid) return;
    pos_ = std::lower_bound(loaded_entries().begin() + static_cast<std::ptrdiff_t>(pos_),
                            loaded_entries().end(), rowid,
                            [](const RowCacheEntry& e, int64_t r) { return e.rowid < r; }) -
           loaded_entries().begin();
    if (pos_ < loaded_entries().size()) return;
  }
  while (range_ < ranges_.size() && ranges_[range_].second < rowid) {
    ++range_;
    positioned_ = false;
  }
  if (range_ == ranges_.size() || ranges_[range_].first >= rowid) return;
  // The range now starts there; the next read finds its place again.
  ranges_[range_].first = rowid;
  positioned_ = false;
}

StatusOr<uint64_t> RowCacheCursor::CopyBelow(std::optional<int64_t> limit,
                                             RowCacheWriter::Rows* out) {
  uint64_t n = 0;
  while (true) {
    proto::RowCacheIndex::Segment segment;
    ASSIGN_OR_RETURN(bool whole, NextWholeSegment(limit, &segment));
    if (whole) {
      if (out) out->AddSegment(cache_, segment);
      n += segment.count();
      continue;
    }
    const RowCacheEntry* entries = nullptr;
    std::string_view raw;
    ASSIGN_OR_RETURN(size_t run, NextRun(limit, &entries, &raw));
    if (run == 0) return n;
    if (out) out->AddRun(entries, run, raw);
    n += run;
  }
}

StatusOr<bool> RowCacheCursor::Next(std::string_view* key, std::string_view* body) {
  RowCacheEntry e;
  ASSIGN_OR_RETURN(bool more, NextEntry(&e));
  if (!more) return false;
  key_buf_ = rowcodec::EncodeRowidKey(e.rowid);
  body_buf_.clear();
  Put32(&body_buf_, e.bytes);
  Put64(&body_buf_, e.digest);
  *key = key_buf_;
  *body = body_buf_;
  return true;
}

uint64_t RowCacheCursor::DigestOf(std::string_view body) const {
  return recorder_ ? recorder_->last_digest() : key().Digest(body);
}

bool PreviousRowSame(const RowCacheCursor& cursor, std::string_view previous,
                     std::string_view body) {
  return previous.size() == 12 && Get64(previous.data() + 4) == cursor.DigestOf(body);
}

uint64_t PreviousRowBytes(const RowCacheCursor& /*cursor*/, std::string_view previous) {
  return previous.size() == 12 ? Get32(previous.data()) : 0;
}

// --- recorder ---

void SpanRowRecorder::Drain(std::optional<int64_t> limit) {
  if (failed_ || !kept_) return;
  if (!kept_->CopyBelow(limit, rows_.get()).ok()) failed_ = true;
}

void SpanRowRecorder::Scanned(std::string_view key, std::string_view body) {
  last_digest_ = rows_->key().Digest(body);
  if (failed_) return;
  int64_t rowid = 0;
  if (!rowcodec::DecodeRowidKey(key, &rowid) || body.size() > UINT32_MAX) {
    failed_ = true;
    return;
  }
  Drain(rowid);
  rows_->AddEntry({rowid, static_cast<uint32_t>(body.size()), last_digest_});
}

void SpanRowRecorder::Add(const RowCacheEntry& entry) {
  if (failed_) return;
  Drain(entry.rowid);
  rows_->AddEntry(entry);
}

bool SpanRowRecorder::Finish() {
  Drain(std::nullopt);
  return !failed_ && rows_->Finish();
}

}  // namespace cofre
