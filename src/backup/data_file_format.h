// Constants of cofre's data files (docs/format.md §5). Never renumber: these are on disk.
#ifndef COFRE_BACKUP_DATA_FILE_FORMAT_H_
#define COFRE_BACKUP_DATA_FILE_FORMAT_H_

#include <cstdint>

namespace cofre::data_file_format {

// A data file's plaintext starts with these 4 bytes, then a zstd stream of records.
inline constexpr char kMagic[4] = {'C', 'F', 'D', '1'};
// "CFG1" was the magic of cofre 0.1's row digest files (data/<n>.cfg): no longer written or read;
// never reuse it.

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
