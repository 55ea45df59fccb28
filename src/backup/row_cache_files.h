// Internal to the row digest cache (backup/row_cache.h): the names of its files, what a layer's
// file must name, little-endian fields, and pruning of the directory. The byte layout is
// docs/format.md §9.
// Thread-safety: pure functions, except Prune, which changes the directory (best effort).
#ifndef COFRE_BACKUP_ROW_CACHE_FILES_H_
#define COFRE_BACKUP_ROW_CACHE_FILES_H_

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "backup/row_cache.h"
#include "proto/backup_manifest.pb.h"
#include "util/status.h"

namespace cofre::row_cache_files {

// Little-endian fields.
void Put32(std::string* out, uint32_t v);
void Put64(std::string* out, uint64_t v);
uint32_t Get32(const char* p);
uint64_t Get64(const char* p);
// Appends one row entry (format.md §9: rowid, stored size, digest).
void PutRowEntry(std::string* out, const RowCacheEntry& e);

// A chain's files start with a digest of its full backup's identity (an unencrypted chain has no
// id of its own); each layer's file adds a digest of the layer's identity. Names reveal nothing
// (docs/architecture.md §3 item 7).
std::string ChainPrefix(const proto::BackupManifest& full);
// What the cache file of `layer` must name: the layer's place and figures (SHA-256).
std::string LayerIdentity(const std::string& prefix, const proto::BackupManifest& layer);
// The file name of `layer`'s cache in the chain with `prefix`.
std::string FileName(const std::string& prefix, const proto::BackupManifest& layer);
// Whether `name` can be a file of the chain with `prefix` (a segment names it: no path).
bool IsChainFile(std::string_view name, std::string_view prefix);
// DataLoss naming the file and why.
Status Corrupt(const std::string& path, const std::string& why);
// Removes what the directory no longer needs (best effort): files of `prefix`'s chain that
// `keep` does not name, files of chains other than the kFilesKept most recently written ones,
// and unfinished files a day old.
void Prune(const std::string& dir, const std::string& prefix, const std::set<std::string>& keep);

}  // namespace cofre::row_cache_files

#endif  // COFRE_BACKUP_ROW_CACHE_FILES_H_
