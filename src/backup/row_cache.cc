#include "backup/row_cache.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <filesystem>
#include <limits>
#include <set>

#include "backup/row_cache_format.h"
#include "backup/row_codec.h"
#include "util/crc32c.h"
#include "util/sha256.h"

namespace cofre {

namespace cache_fmt = row_cache_format;

namespace {

// Entries are little-endian; on a little-endian host they are copied as they are.
[[maybe_unused]] uint32_t ByteSwap(uint32_t v) { return __builtin_bswap32(v); }
[[maybe_unused]] uint64_t ByteSwap(uint64_t v) { return __builtin_bswap64(v); }

template <typename T>
void PutLe(char* p, T v) {
  if constexpr (std::endian::native == std::endian::big) v = ByteSwap(v);
  std::memcpy(p, &v, sizeof(v));
}
template <typename T>
T GetLe(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(v));
  if constexpr (std::endian::native == std::endian::big) v = ByteSwap(v);
  return v;
}

void Put32(std::string* out, uint32_t v) {
  char b[4];
  PutLe(b, v);
  out->append(b, 4);
}
void Put64(std::string* out, uint64_t v) {
  char b[8];
  PutLe(b, v);
  out->append(b, 8);
}
uint32_t Get32(const char* p) { return GetLe<uint32_t>(p); }
uint64_t Get64(const char* p) { return GetLe<uint64_t>(p); }

void PutRowEntry(std::string* out, const RowCacheEntry& e) {
  char b[cache_fmt::kRowEntryBytes];
  PutLe(b, static_cast<uint64_t>(e.rowid));
  PutLe(b + 8, e.bytes);
  PutLe(b + 12, e.digest);
  out->append(b, sizeof(b));
}

std::string Hex16(std::string_view label) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::string digest = Sha256::Digest(label);
  std::string out;
  for (int i = 0; i < 16; ++i) {
    out.push_back(kHex[static_cast<unsigned char>(digest[i]) >> 4]);
    out.push_back(kHex[static_cast<unsigned char>(digest[i]) & 15]);
  }
  return out;
}

// A chain's files start with a digest of its full backup's identity (an unencrypted chain has no
// id of its own); each layer's file adds a digest of the layer's identity. Names reveal nothing
// (docs/architecture.md §3 item 7).
std::string ChainPrefix(const proto::BackupManifest& full) {
  return Hex16("cofre row cache chain " + full.chain_id() + "\n" + full.full_subdir() + "\n" +
               std::to_string(full.end_time_micros())) +
         "-";
}
// What the cache file of `layer` must name: the layer's place and figures.
std::string LayerIdentity(const std::string& prefix, const proto::BackupManifest& layer) {
  return Sha256::Digest(
      "cofre row cache layer " + prefix + "\n" + layer.layer_dir() + "\n" +
      std::to_string(layer.layer()) + "\n" + std::to_string(layer.end_time_micros()) + "\n" +
      std::to_string(layer.rows()) + "\n" + std::to_string(layer.logical_bytes()) + "\n" +
      std::to_string(layer.index_entries()));
}
std::string FileName(const std::string& prefix, const proto::BackupManifest& layer) {
  return prefix + Hex16(LayerIdentity(prefix, layer)) + cache_fmt::kSuffix;
}
// Whether `name` can be a file of the chain with `prefix` (a segment names it: no path).
bool IsChainFile(std::string_view name, std::string_view prefix) {
  const std::string_view suffix = cache_fmt::kSuffix;
  if (name.size() != prefix.size() + 32 + suffix.size() || !name.starts_with(prefix) ||
      !name.ends_with(suffix)) {
    return false;
  }
  for (char c : name.substr(prefix.size(), 32)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Status Corrupt(const std::string& path, const std::string& why) {
  return DataLossError("row cache file " + path + " is corrupt: " + why);
}

// Removes what the directory no longer needs (best effort): files of `prefix`'s chain that
// `keep` does not name, files of chains other than the kFilesKept most recently written ones,
// and unfinished files a day old.
void Prune(const std::string& dir, const std::string& prefix, const std::set<std::string>& keep) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  std::map<std::string, fs::file_time_type> chains;  // other chains' newest file
  std::vector<std::pair<std::string, fs::path>> others;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    auto time = entry.last_write_time(ec);
    if (ec) continue;
    if (name.find(".tmp-") != std::string::npos) {
      if (now - time > std::chrono::hours(24)) fs::remove(entry.path(), ec);
      continue;
    }
    if (!name.ends_with(cache_fmt::kSuffix) || name.size() < prefix.size()) continue;
    if (name.starts_with(prefix)) {
      if (!keep.count(name)) fs::remove(entry.path(), ec);
      continue;
    }
    const std::string chain = name.substr(0, prefix.size());
    chains[chain] = std::max(chains[chain], time);
    others.emplace_back(chain, entry.path());
  }
  if (chains.size() + 1 <= cache_fmt::kFilesKept) return;
  std::vector<std::pair<fs::file_time_type, std::string>> order;
  for (const auto& [chain, time] : chains) order.emplace_back(time, chain);
  std::sort(order.begin(), order.end(), std::greater<>());
  std::set<std::string> dropped;
  for (size_t i = cache_fmt::kFilesKept - 1; i < order.size(); ++i) dropped.insert(order[i].second);
  for (const auto& [chain, path] : others) {
    if (dropped.count(chain)) fs::remove(path, ec);
  }
}

}  // namespace

// --- writer ---

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
  if (w->Append(header) == 0 && w->failed_) return InternalError("cannot write a row cache file");
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
  if (!WriteFully(fd_.get(), bytes.data(), bytes.size(), "writing a row cache file").ok()) {
    failed_ = true;
    return 0;
  }
  const uint64_t at = end_;
  end_ += bytes.size();
  return at;
}

std::unique_ptr<RowCacheWriter::Rows> RowCacheWriter::NewRows(const std::string& db,
                                                              const std::string& table) {
  return std::unique_ptr<Rows>(new Rows(*this, db, table));
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
  for (auto& s : segments_) t.rows.push_back(std::move(s));
  t.row_count += rows_;
  t.row_bytes += bytes_;
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
      std::sort(t.rows.begin(), t.rows.end(),
                [](const auto& a, const auto& b) { return a.first_rowid() < b.first_rowid(); });
      bool disjoint = true;
      for (size_t i = 1; i < t.rows.size(); ++i) {
        if (t.rows[i].first_rowid() <= t.rows[i - 1].last_rowid()) disjoint = false;
      }
      if (!disjoint) continue;
      auto* out = index.add_tables();
      out->set_database(d.name());
      out->set_table(table.name());
      out->set_rows(table.rows());
      out->set_logical_bytes(table.logical_bytes());
      for (const auto& s : t.leaves) *out->add_leaves() = s;
      for (const auto& s : t.rows) *out->add_row_segments() = s;
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
  if (failed_) return InternalError("a row cache file could not be written");
  RETURN_IF_ERROR(fd_.Close("closing a row cache file"));
  const std::string name = FileName(prefix_, manifest);
  RETURN_IF_ERROR(RenameFile(temp_path_, dir_ + "/" + name, "publishing a row cache file"));
  committed_ = true;
  std::set<std::string> keep{name};
  for (const auto& t : index.tables()) {
    for (const auto& s : t.row_segments()) {
      if (!s.file().empty()) keep.insert(s.file());
    }
  }
  Prune(dir_, prefix_, keep);
  return Status::OK();
}

// --- reader ---

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

Status RowCacheCursor::Load(size_t segment) {
  const auto& s = table_.index.row_segments(static_cast<int>(segment));
  RETURN_IF_ERROR(cache_.ReadSegment(s, cache_fmt::kRowEntryBytes, &raw_));
  entries_.resize(s.count());
  uint64_t bytes = 0;
  for (size_t i = 0; i < s.count(); ++i) {
    const char* p = raw_.data() + i * cache_fmt::kRowEntryBytes;
    RowCacheEntry& e = entries_[i];
    e.rowid = static_cast<int64_t>(Get64(p));
    e.bytes = Get32(p + 8);
    e.digest = Get64(p + 12);
    if ((i > 0 && e.rowid <= entries_[i - 1].rowid) || (i == 0 && e.rowid != s.first_rowid()) ||
        (i + 1 == s.count() && e.rowid != s.last_rowid())) {
      entries_.clear();
      return Corrupt(cache_.path_, "a segment's rows are out of order");
    }
    bytes += e.bytes;
  }
  if (bytes != s.row_bytes()) {
    entries_.clear();
    return Corrupt(cache_.path_, "a segment's sizes do not add up");
  }
  segment_ = segment;
  return Status::OK();
}

size_t RowCacheCursor::FirstSegmentFrom(int64_t rowid) const {
  const auto& segments = table_.index.row_segments();
  size_t lo = 0, hi = static_cast<size_t>(segments.size());
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (segments[static_cast<int>(mid)].last_rowid() < rowid) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

StatusOr<bool> RowCacheCursor::NextWholeSegment(std::optional<int64_t> limit,
                                                proto::RowCacheIndex::Segment* segment) {
  const auto& segments = table_.index.row_segments();
  const size_t n = static_cast<size_t>(segments.size());
  if (range_ >= ranges_.size()) return false;
  const auto [first, last] = ranges_[range_];
  size_t next = 0;
  if (!positioned_) {
    next = FirstSegmentFrom(first);
  } else if (pos_ == entries_.size()) {
    next = segment_ + 1;
  } else if (pos_ == 0) {
    next = segment_;
  } else {
    return false;
  }
  if (next >= n) return false;
  const auto& s = segments[static_cast<int>(next)];
  if (s.first_rowid() < first || s.last_rowid() > last || (limit && s.last_rowid() >= *limit)) {
    return false;
  }
  *segment = s;
  // Positioned just past it: the next read starts with the segment after it.
  segment_ = next;
  entries_.clear();
  pos_ = 0;
  positioned_ = true;
  return true;
}

StatusOr<bool> RowCacheCursor::NextEntry(RowCacheEntry* out) {
  const auto& segments = table_.index.row_segments();
  const size_t n = static_cast<size_t>(segments.size());
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
      pos_ = std::lower_bound(entries_.begin(), entries_.end(), first,
                              [](const RowCacheEntry& e, int64_t r) { return e.rowid < r; }) -
             entries_.begin();
      positioned_ = true;
    }
    if (pos_ == entries_.size()) {
      if (segment_ + 1 == n) return false;
      if (Status st = Load(segment_ + 1); !st.ok()) {
        failed_ = true;
        return st;
      }
      pos_ = 0;
    }
    if (entries_[pos_].rowid > last) {
      ++range_;
      positioned_ = false;
      continue;
    }
    *out = entries_[pos_++];
    return true;
  }
  return false;
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
  while (true) {
    if (!have_pending_) {
      proto::RowCacheIndex::Segment segment;
      auto whole = kept_->NextWholeSegment(limit, &segment);
      if (!whole.ok()) {
        failed_ = true;
        return;
      }
      if (*whole) {
        rows_->AddSegment(kept_->cache(), segment);
        continue;
      }
      auto more = kept_->NextEntry(&pending_);
      if (!more.ok()) {
        failed_ = true;
        return;
      }
      if (!*more) {
        kept_.reset();
        return;
      }
      have_pending_ = true;
    }
    if (limit && pending_.rowid >= *limit) return;
    rows_->AddEntry(pending_);
    have_pending_ = false;
  }
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

bool SpanRowRecorder::Finish() {
  Drain(std::nullopt);
  return !failed_ && rows_->Finish();
}

}  // namespace cofre
