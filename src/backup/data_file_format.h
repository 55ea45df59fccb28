// Constants of cofre's data files (docs/format.md §5). Never renumber: these are on disk.
#ifndef COFRE_BACKUP_DATA_FILE_FORMAT_H_
#define COFRE_BACKUP_DATA_FILE_FORMAT_H_

#include <cstddef>
#include <cstdint>

namespace cofre::data_file_format {

// A data file's plaintext starts with these 4 bytes, then a zstd stream of records.
inline constexpr char kMagic[4] = {'C', 'F', 'D', '1'};
// "CFG1" was the magic of cofre 0.1's row digest files (data/<n>.cfg): no longer written or read;
// never reuse it.

// cofre 0.5 on, the stream is indexed (docs/format.md §5): every zstd frame holds whole records
// (about ZstdOptions::frame_bytes of them; the end record is in the last), and a zstd skippable
// frame after them holds the frame index, whose place and SHA-256 the manifest's DataFile
// records. Any zstd decoder skips the index, so files with and without it read alike in full;
// with it, a reader can decompress only the frames of the key ranges it needs.
// The index: "CFX2", varint n (>= 1), then per frame: varint stored bytes (the zstd frame's
// length in the plaintext), varint decompressed bytes, u32 little-endian CRC-32C of the stored
// bytes (util/crc32c.h), varint key length, the key of the frame's first record (empty when
// that is the end record). cofre 0.5 wrote "CFX1": the same without the CRC (still read).
inline constexpr char kFrameIndexMagic[4] = {'C', 'F', 'X', '2'};
inline constexpr char kFrameIndexMagicV1[4] = {'C', 'F', 'X', '1'};
// The index frame: u32 little-endian magic (a zstd skippable frame's), u32 little-endian size.
inline constexpr uint32_t kIndexFrameMagic = 0x184D2A5C;
inline constexpr size_t kIndexFrameHeaderBytes = 8;
// cofre 0.7 on (DataFile.first_frame_dictionary): every frame after the first is compressed with
// the first frame's content (its records) as a zstd raw-content dictionary. A first frame larger
// than this is never used as one (writers), and a file whose manifest says so is corrupt
// (readers): readers hold the dictionary in memory while they read the file.
inline constexpr uint64_t kMaxDictionaryBytes = 4ull << 20;
// Upper bound of a frame's decompressed size a reader accepts, and of an index's size.
inline constexpr uint64_t kMaxFrameBytes = 1ull << 31;
inline constexpr uint64_t kMaxFrameIndexBytes = 64ull << 20;

// Record kinds (first byte of a record body).
inline constexpr uint8_t kRecordRow = 1;        // key, then the row's values
inline constexpr uint8_t kRecordTombstone = 2;  // key only: the row was deleted
inline constexpr uint8_t kRecordEnd = 0x7f;     // varint record count; last record of a file

// Value tags.
inline constexpr uint8_t kNull = 0;
inline constexpr uint8_t kInteger = 1;  // zigzag varint
inline constexpr uint8_t kReal = 2;     // 8 bytes, IEEE 754 bits little-endian
inline constexpr uint8_t kText = 3;     // varint length, UTF-8 bytes
inline constexpr uint8_t kBlob = 4;     // varint length, bytes
// No payload: the value is the integer rowid of the record's key. Written (cofre 0.2 on) for a
// rowid table's column whose value equals the rowid, such as its INTEGER PRIMARY KEY, so that
// the key is not stored twice. Only in row values, never in keys.
inline constexpr uint8_t kRowidValue = 5;

// Upper bound of one record's body, to refuse absurd lengths in corrupt input.
inline constexpr uint64_t kMaxRecordBytes = 1ull << 31;

}  // namespace cofre::data_file_format

#endif  // COFRE_BACKUP_DATA_FILE_FORMAT_H_
