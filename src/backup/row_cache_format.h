// The row digest cache file (docs/format.md §9): one per chain in the data directory's cache
// directory, describing the chain's newest layer this data directory wrote. Little-endian
// throughout.
//   magic "CFRC", version (u32 = kVersion)
//   segments: runs of row entries or leaf entries (RowCacheIndex.Segment), anywhere after the
//     header, in any order
//   index: a serialized proto::RowCacheIndex
//   trailer: index offset (u64), index bytes (u32), CRC-32C of the index (u32)
// Row entry (kRowEntryBytes): rowid (i64), the row's stored bytes (u32), its digest (u64,
// crypto/row_digest.h). Cell entry (the same size and layout): rowid (i64), 0 (u32), the digest
// of the row's SQLite record as its leaf held it (u64, backup/cell_digests.h; 0: a record that
// overflows its leaf). Leaf entry (kLeafEntryBytes): first rowid (i64), last rowid (i64), the
// leaf's digest (16 bytes, engine/leaf_map.h).
#ifndef COFRE_BACKUP_ROW_CACHE_FORMAT_H_
#define COFRE_BACKUP_ROW_CACHE_FORMAT_H_

#include <cstddef>
#include <cstdint>

namespace cofre::row_cache_format {

inline constexpr char kMagic[4] = {'C', 'F', 'R', 'C'};
inline constexpr uint32_t kVersion = 1;
inline constexpr size_t kHeaderBytes = 8;
inline constexpr size_t kTrailerBytes = 16;
inline constexpr size_t kRowEntryBytes = 20;
inline constexpr size_t kLeafEntryBytes = 32;
// Entries a writer puts in one segment (20 KiB of rows): the unit read back, checked, and
// referred to by later layers.
inline constexpr size_t kSegmentEntries = 1024;
// Limits a reader enforces before allocating.
inline constexpr uint64_t kMaxIndexBytes = 64ull << 20;
inline constexpr uint64_t kMaxSegmentEntries = 1 << 16;
// The file name's suffix; how many chains' files a directory keeps (the most recently written);
// how many files one layer's index may refer to before the next layer copies what it keeps.
inline constexpr char kSuffix[] = ".rowcache";
inline constexpr size_t kFilesKept = 4;
inline constexpr size_t kMaxFiles = 8;

}  // namespace cofre::row_cache_format

#endif  // COFRE_BACKUP_ROW_CACHE_FORMAT_H_
