#include "engine/sqlite_file_header.h"

#include <sqlite3.h>

#include <cstring>
#include <string>

#include "engine/big_endian.h"

namespace cofre::sqlite_file_header {
namespace {

using big_endian::Get16;
using big_endian::Get32;
using big_endian::Put32;

Status Refuse(std::string_view display, const std::string& why) {
  return FailedPreconditionError("cannot bulk-write " + std::string(display) + ": " + why);
}

// The checks both kinds of bulk write share; `append`: the file is a live database.
StatusOr<Info> Check(const uint8_t* h, uint64_t file_size, std::string_view display, bool append) {
  static constexpr char kMagic[] = "SQLite format 3";  // 16 bytes with the NUL
  if (file_size < kSize || std::memcmp(h, kMagic, 16) != 0) {
    return Refuse(display, "not a SQLite database file");
  }
  Info info;
  const uint32_t raw_size = Get16(h + 16);
  info.page_size = PageSize(h);
  if (!ValidPageSize(info.page_size)) {
    return Refuse(display, "invalid page size " + std::to_string(raw_size));
  }
  if (h[18] != 1 || h[19] != 1) {
    return Refuse(display, h[18] == 2 || h[19] == 2
                               ? std::string("the database is in WAL mode")
                               : "unsupported file format version " + std::to_string(h[18]));
  }
  if (h[20] != 0) {
    return Refuse(display, std::to_string(h[20]) + " reserved bytes per page (need 0)");
  }
  if (h[21] != 64 || h[22] != 32 || h[23] != 32) {
    return Refuse(display, "non-standard payload fractions");
  }
  // A database that never had a schema object has neither a schema format nor an encoding yet;
  // UpdateAfterBulkWrite gives it SQLite's defaults (4, UTF-8).
  const uint32_t schema_format = Get32(h + 44);
  const uint32_t encoding = Get32(h + 56);
  const bool unset = append && schema_format == 0 && encoding == 0;
  if (schema_format != 4 && !unset) {
    return Refuse(display, "schema format " + std::to_string(schema_format) + " (need 4)");
  }
  if (encoding != 1 && !unset) {
    return Refuse(display, "text encoding " +
                               std::string(encoding == 2   ? "UTF-16le"
                                           : encoding == 3 ? "UTF-16be"
                                                           : "unknown") +
                               " (need UTF-8)");
  }
  if (Get32(h + 52) != 0 || Get32(h + 64) != 0) {
    return Refuse(display, "auto_vacuum or incremental_vacuum is on");
  }
  info.first_trunk = Get32(h + 32);
  info.freelist_pages = Get32(h + 36);
  if (!append && (info.first_trunk != 0 || info.freelist_pages != 0)) {
    return Refuse(display, "its freelist is not empty");
  }
  if (file_size % info.page_size != 0) {
    return Refuse(display,
                  "its size " + std::to_string(file_size) + " is not a multiple of the page size");
  }
  const uint64_t file_pages = file_size / info.page_size;
  const uint32_t header_pages = Get32(h + 28);
  const bool header_valid = header_pages != 0 && Get32(h + 24) == Get32(h + 92);
  if (!header_valid || (append ? header_pages > file_pages : header_pages != file_pages)) {
    return Refuse(display, "its header page count " + std::to_string(header_pages) +
                               " does not match its " + std::to_string(file_pages) + " pages");
  }
  info.page_count = header_pages;
  return info;
}

}  // namespace

uint32_t PageSize(const uint8_t* h) {
  const uint32_t raw = big_endian::Get16(h + 16);
  return raw == 1 ? 65536 : raw;
}

bool ValidPageSize(uint64_t page_size) {
  return page_size >= 512 && page_size <= 65536 && (page_size & (page_size - 1)) == 0;
}

StatusOr<Info> CheckForBulkWrite(const uint8_t* h, uint64_t file_size, std::string_view display) {
  return Check(h, file_size, display, /*append=*/false);
}

StatusOr<Info> CheckForAppend(const uint8_t* h, uint64_t file_size, std::string_view display) {
  return Check(h, file_size, display, /*append=*/true);
}

void UpdateAfterBulkWrite(uint8_t* h, uint32_t page_count, uint32_t first_trunk,
                          uint32_t freelist_pages) {
  const uint32_t counter = Get32(h + 24) + 1;
  Put32(h + 24, counter);
  Put32(h + 28, page_count);
  Put32(h + 32, first_trunk);
  Put32(h + 36, freelist_pages);
  Put32(h + 92, counter);
  if (Get32(h + 44) == 0) Put32(h + 44, 4);  // schema format 4
  if (Get32(h + 56) == 0) Put32(h + 56, 1);  // UTF-8
  Put32(h + 96, static_cast<uint32_t>(sqlite3_libversion_number()));
}

}  // namespace cofre::sqlite_file_header
