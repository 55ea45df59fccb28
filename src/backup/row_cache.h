// RowCache: the row digest cache of incremental backups (docs/architecture.md §3 item 13).
//
// For the newest layer of a chain that this data directory wrote, a file in the data directory
// (backup/row_cache_format.h) holds, per rowid table, the layer snapshot's leaves
// (engine/leaf_map.h, one entry per leaf, not grouped) and every row's rowid, stored size and keyed
// digest (crypto/row_digest.h). The next incremental then finds the changed leaves at leaf
// granularity and compares the rows of their ranges with the digests instead of reading the
// previous rows back from the backup: nothing is decompressed or fetched from storage. Without a
// usable file (none, another layer's, another key, a failed check) incrementals work from the
// backup as before; the file is only ever a shortcut to what the backup holds.
//
// What makes an entry trustworthy: a layer's file is written while the layer is (each row's digest
// from the same scan that stores it, or copied from the previous file for ranges the leaves prove
// unchanged) and replaces the chain's file only after the layer's manifest is written. A table is
// kept in the file only when its entries add up to the manifest's row and byte counts, in strictly
// increasing rowids across non-overlapping segments; a reader checks the same, every segment's
// CRC-32C and order before using it, and that the file names the layer it diffs against. A table
// that any path could not record whole (a resumed run, a span written without its rows seen) is
// left out, and its next incremental reads the backup.
// Thread-safety: a RowCacheWriter and its Rows may be used from several threads (one Rows per
// thread); a RowCache is read-only after Open and may be shared; a RowCacheCursor is one thread's.
#ifndef COFRE_BACKUP_ROW_CACHE_H_
#define COFRE_BACKUP_ROW_CACHE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backup/leaf_maps.h"
#include "crypto/row_digest.h"
#include "proto/backup_manifest.pb.h"
#include "proto/row_cache.pb.h"
#include "util/file_util.h"

namespace cofre {

class RowCache;
class SpanRowRecorder;

struct RowCacheEntry {
  int64_t rowid = 0;
  uint32_t bytes = 0;   // the row's stored size (its record body); 0 in a cell entry
  uint64_t digest = 0;  // RowDigestKey::Digest of the record body, or the cell's digest
};

// The two lists of entries a cached table has: its rows (digests of the bodies a backup stores)
// and its cells (digests of the SQLite records its leaves held, backup/cell_digests.h).
enum class CacheList { kRows, kCells };

class RowCacheWriter {
 public:
  // A new file in `dir` (created when missing) for a layer of the chain of full backup `full`
  // (its chain id, directory and end time are what is used). With `copy_segments`, segments
  // kept from the previous layer's file are copied into the new file; otherwise the new file
  // refers to them where they are (RowCache::ShouldCopy says which).
  static StatusOr<std::unique_ptr<RowCacheWriter>> Start(const std::string& dir,
                                                         const proto::BackupManifest& full,
                                                         std::shared_ptr<const RowDigestKey> key,
                                                         bool copy_segments);
  ~RowCacheWriter();  // an uncommitted file is removed
  RowCacheWriter(const RowCacheWriter&) = delete;
  RowCacheWriter& operator=(const RowCacheWriter&) = delete;

  const RowDigestKey& key() const { return *key_; }

  // The rows of one key range of a table, added in increasing rowid order. Only a finished Rows
  // counts; one abandoned (destroyed unfinished) leaves its range out, and so its table.
  class Rows {
   public:
    ~Rows() = default;
    void Add(int64_t rowid, std::string_view body) {
      AddEntry({rowid, static_cast<uint32_t>(body.size()), writer_.key_->Digest(body)});
      if (body.size() > UINT32_MAX) failed_ = true;
    }
    void AddEntry(const RowCacheEntry& entry);
    // `n` consecutive entries of a segment being read (RowCacheCursor::NextRun), `raw` their bytes
    // as stored: copied as they are.
    void AddRun(const RowCacheEntry* entries, size_t n, std::string_view raw);
    const RowDigestKey& key() const { return *writer_.key_; }
    // A whole segment of `from` (RowCacheCursor::NextWholeSegment): referenced where it is, or
    // copied into this file when the writer copies segments.
    void AddSegment(const RowCache& from, const proto::RowCacheIndex::Segment& segment);
    // Registers the range's entries with its table; false when they were not all taken (out of
    // order, a row over 4 GiB), which leaves the range, and so the table, out.
    bool Finish();

   private:
    friend class RowCacheWriter;
    Rows(RowCacheWriter& writer, std::string db, std::string table, CacheList list)
        : writer_(writer), db_(std::move(db)), table_(std::move(table)), list_(list) {}
    void Flush();
    RowCacheWriter& writer_;
    std::string db_, table_;
    CacheList list_;
    std::string buffer_;  // entries not yet written
    RowCacheEntry first_, last_;
    size_t count_ = 0;            // entries in buffer_
    uint64_t segment_bytes_ = 0;  // their stored sizes
    bool any_ = false;
    bool failed_ = false;
    std::vector<proto::RowCacheIndex::Segment> segments_;
    uint64_t rows_ = 0, bytes_ = 0;
  };
  std::unique_ptr<Rows> NewRows(const std::string& db, const std::string& table,
                                CacheList list = CacheList::kRows);
  // The table's leaves at the layer's snapshot.
  void AddLeaves(const std::string& db, const std::string& table,
                 const std::vector<LeafRange>& leaves);
  // Leaves `table` out of the file: some of its rows cannot be recorded.
  void Drop(const std::string& db, const std::string& table);

  // After the layer's manifest is written: keeps the tables whose entries add up to `manifest`'s
  // counts, with their cells when there is one for every row, writes the index and replaces the
  // chain's file; removes the directory's older files past row_cache_format::kFilesKept.
  Status Commit(const proto::BackupManifest& manifest);

 private:
  struct TableState {
    std::vector<proto::RowCacheIndex::Segment> leaves, rows, cells;
    uint64_t row_count = 0, row_bytes = 0, cell_count = 0;
    bool has_leaves = false, dropped = false;
  };
  RowCacheWriter() = default;
  // Appends `bytes` to the file: its offset, or 0 after a failure (the file is then not used).
  // Appended bytes are written kWriteBytes at a time, and by Commit.
  uint64_t Append(std::string_view bytes);
  void WritePending();
  static constexpr size_t kWriteBytes = size_t{1} << 20;

  std::shared_ptr<const RowDigestKey> key_;
  std::string dir_, prefix_, temp_path_;
  bool copy_segments_ = false;
  ScopedFd fd_;
  std::mutex mu_;
  uint64_t end_ = 0;
  std::string pending_;  // appended, not yet written
  bool failed_ = false;
  bool committed_ = false;
  std::map<std::pair<std::string, std::string>, TableState> tables_;
};

class RowCache {
 public:
  struct Table {
    proto::RowCacheIndex::Table index;
  };
  // The file of `layer` (of the chain of full backup `full`) when it describes that layer under
  // `key`: NotFound when there is none or it describes another layer or key; DataLoss when it
  // fails its checks.
  static StatusOr<std::unique_ptr<RowCache>> Open(const std::string& dir,
                                                  const proto::BackupManifest& full,
                                                  const proto::BackupManifest& layer,
                                                  std::shared_ptr<const RowDigestKey> key);
  // The table's entries, or null when the file does not hold them.
  const Table* Find(const std::string& db, const std::string& table) const;
  // The table's leaves (checked as the segments are read).
  StatusOr<std::vector<LeafRange>> Leaves(const Table& table) const;
  const RowDigestKey& key() const { return *key_; }
  // The file this cache was opened from.
  const std::string& path() const { return path_; }
  // The file that holds `segment`.
  std::string FileOf(const proto::RowCacheIndex::Segment& segment) const;
  // True when the next layer should copy the segments it keeps rather than refer to them: this
  // layer's index already spans row_cache_format::kMaxFiles files.
  bool ShouldCopy() const;
  // Reads `segment` of `entry_bytes` entries into *out, checking its CRC and size.
  Status ReadSegment(const proto::RowCacheIndex::Segment& segment, size_t entry_bytes,
                     std::string* out) const;

 private:
  friend class RowCacheCursor;
  struct OtherFile {
    ScopedFd fd;
    uint64_t size = 0;
  };
  RowCache() = default;
  std::shared_ptr<const RowDigestKey> key_;
  std::string dir_, name_, path_;
  ScopedFd fd_;
  std::map<std::string, OtherFile> files_;  // earlier layers' files its segments are in
  std::map<std::pair<std::string, std::string>, Table> tables_;
};

// The entries of a cached table (its rows, or its cells) with rowids in `ranges` (inclusive,
// disjoint, increasing), read a segment at a time. Any failed check is an error, and
// out_of_order() then says so: DiffSpan then writes its span again (backup/span_diff.h).
class RowCacheCursor {
 public:
  RowCacheCursor(const RowCache& cache, const RowCache::Table& table,
                 std::vector<RowidRange> ranges, CacheList list = CacheList::kRows)
      : cache_(cache),
        table_(table),
        segments_(list == CacheList::kRows ? table.index.row_segments()
                                           : table.index.cell_segments()),
        ranges_(std::move(ranges)) {}
  StatusOr<bool> NextEntry(RowCacheEntry* out);
  // The next entries that follow one another in one segment, inside the current range and with
  // rowids below `limit` (unset: no limit): their number (0 at the end, or when the next entry is
  // at or past `limit`), the entries in *entries and their stored bytes in *raw, both valid until
  // the cursor moves again.
  StatusOr<size_t> NextRun(std::optional<int64_t> limit, const RowCacheEntry** entries,
                           std::string_view* raw);
  // Passes over the entries below `rowid` without reading them (never moves back).
  void SkipTo(int64_t rowid);
  // Copies the next entries below `limit` (unset: all) to `out` (when given): whole segments by
  // AddSegment, without reading them, the others a run at a time. How many.
  StatusOr<uint64_t> CopyBelow(std::optional<int64_t> limit, RowCacheWriter::Rows* out);
  // When the next entries are a whole segment inside the current range, all with rowids below
  // `limit` (unset: no limit), gives it in *segment and moves
  // past it; false otherwise. Its bytes are not read: a kept range costs no reading or decoding
  // (the segment is checked when a later incremental reads it).
  StatusOr<bool> NextWholeSegment(std::optional<int64_t> limit,
                                  proto::RowCacheIndex::Segment* segment);
  const RowCache& cache() const { return cache_; }
  // DiffSpan's previous state: the entry's rowid key and a 12-byte body (stored size, digest).
  StatusOr<bool> Next(std::string_view* key, std::string_view* body);
  bool out_of_order() const { return failed_; }
  // Takes the segment `other` has loaded instead of reading it again when this cursor needs the
  // same one: `other` reads the same list of the same table (DiffSpan's previous rows and the
  // rows its recorder keeps step through the same segments). `other` must outlive its use here.
  void ShareSegmentsWith(const RowCacheCursor* other) {
    if (other && &other->segments_ == &segments_) partner_ = other;
  }
  const RowDigestKey& key() const { return cache_.key(); }
  // The digest of `body`, the row DiffSpan scanned last: taken from `recorder` when one was
  // given (it saw the row first, backup/span_diff.h), else computed.
  uint64_t DigestOf(std::string_view body) const;
  void ShareDigestsWith(const SpanRowRecorder* recorder) { recorder_ = recorder; }

 private:
  Status Load(size_t segment);
  // The first segment whose last rowid is at least `rowid` (the number of segments if none).
  size_t FirstSegmentFrom(int64_t rowid) const;
  const RowCache& cache_;
  const RowCache::Table& table_;
  const google::protobuf::RepeatedPtrField<proto::RowCacheIndex::Segment>& segments_;
  std::vector<RowidRange> ranges_;
  size_t range_ = 0;
  bool positioned_ = false;
  // A segment as read and checked, shared by cursors that need it at once (ShareSegmentsWith).
  struct Loaded {
    size_t segment = SIZE_MAX;
    std::string raw;
    std::vector<RowCacheEntry> entries;
  };
  // The loaded segment, this cursor's alone (a shared one is left to the cursors that hold it).
  Loaded& Own();
  const std::vector<RowCacheEntry>& loaded_entries() const { return loaded_->entries; }
  size_t segment_ = SIZE_MAX;  // loaded
  std::shared_ptr<Loaded> loaded_ = std::make_shared<Loaded>();
  const RowCacheCursor* partner_ = nullptr;
  size_t pos_ = 0;
  std::string key_buf_, body_buf_;
  bool failed_ = false;
  const SpanRowRecorder* recorder_ = nullptr;
};

// DiffSpan's comparisons against cached entries (found by argument-dependent lookup).
bool PreviousRowSame(const RowCacheCursor& cursor, std::string_view previous,
                     std::string_view body);
uint64_t PreviousRowBytes(const RowCacheCursor& cursor, std::string_view previous);

// Sees every row DiffSpan scans (in key order) and records the span's entries in a Rows: the
// scanned rows' digests, and, between them, the previous file's entries in `unchanged` ranges
// (from `kept`, a cursor over those ranges). Finish when the span was kept.
class SpanRowRecorder {
 public:
  SpanRowRecorder(std::unique_ptr<RowCacheWriter::Rows> rows, std::unique_ptr<RowCacheCursor> kept)
      : rows_(std::move(rows)), kept_(std::move(kept)) {}
  void Scanned(std::string_view key, std::string_view body);
  // An entry made elsewhere (a cell's, backup/cell_digests.h), in key order with the rest.
  void Add(const RowCacheEntry& entry);
  // The digest of the row last given to Scanned.
  uint64_t last_digest() const { return last_digest_; }
  // True when the span's entries went to the Rows whole.
  bool Finish();

 private:
  // Copies kept entries with rowids below `limit` (all when unset).
  void Drain(std::optional<int64_t> limit);
  std::unique_ptr<RowCacheWriter::Rows> rows_;
  std::unique_ptr<RowCacheCursor> kept_;
  uint64_t last_digest_ = 0;
  bool failed_ = false;
};

}  // namespace cofre

#endif  // COFRE_BACKUP_ROW_CACHE_H_
