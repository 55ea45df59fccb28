// The 100-byte header of a SQLite database file (the database file format, section "The
// Database Header"), as the bulk b-tree writer (bulk_btree.h) checks and updates it.
//
// CheckForBulkWrite accepts exactly the files SQLite creates fresh for a restore: valid magic and
// page size, rollback-journal file format (not WAL), no reserved bytes per page, default payload
// fractions, schema format 4, UTF-8, no auto_vacuum or incremental vacuum, an empty freelist and
// an in-header page count that matches the file size. UpdateAfterBulkWrite sets the page count
// and freelist and bumps the file change counter (with version-valid-for), so that SQLite trusts
// the in-header size and drops any cache.
// Thread-safety: pure functions.
#ifndef COFRE_ENGINE_SQLITE_FILE_HEADER_H_
#define COFRE_ENGINE_SQLITE_FILE_HEADER_H_

#include <cstdint>
#include <string_view>

#include "util/status.h"

namespace cofre::sqlite_file_header {

constexpr size_t kSize = 100;

struct Info {
  uint32_t page_size = 0;
  uint32_t page_count = 0;
  uint32_t first_trunk = 0;     // the freelist's first trunk page (0: empty)
  uint32_t freelist_pages = 0;  // pages on the freelist
};

// The page size the header records (offset 16; the value 1 stands for 65536), unchecked.
uint32_t PageSize(const uint8_t* header);
// True for a page size SQLite allows: a power of two from 512 to 65536.
bool ValidPageSize(uint64_t page_size);

// Checks `header` (kSize bytes) of a file of `file_size` bytes. Errors are FailedPrecondition
// naming `display` and the offending setting.
StatusOr<Info> CheckForBulkWrite(const uint8_t* header, uint64_t file_size,
                                 std::string_view display);
StatusOr<Info> CheckForAppend(const uint8_t* header, uint64_t file_size, std::string_view display);

// Updates `header` (kSize bytes) in place for the new page count and freelist.
void UpdateAfterBulkWrite(uint8_t* header, uint32_t page_count, uint32_t first_trunk,
                          uint32_t freelist_pages);

}  // namespace cofre::sqlite_file_header

#endif  // COFRE_ENGINE_SQLITE_FILE_HEADER_H_
