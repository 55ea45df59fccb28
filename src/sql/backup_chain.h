// Backup chains as statements read and write them: opening the storages a statement's URIs
// name (a collection, its incremental_location, the localities of a locality-aware list),
// resolving which full backup it means, unlocking its key and reading its layers' manifests.
// Shared by BACKUP, RESTORE and SHOW BACKUP (sql/backup_statements.h).
// Thread-safety: one thread at a time per context.
#ifndef COFRE_SQL_BACKUP_CHAIN_H_
#define COFRE_SQL_BACKUP_CHAIN_H_

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "backup/chain_keys.h"
#include "backup/chain_storage.h"
#include "backup/stored_file.h"
#include "proto/backup_manifest.pb.h"
#include "sql/backup_statements.h"
#include "sql/statement_options.h"
#include "storage/external_storage.h"

namespace cofre::sql {

// Opens one storage URI.
StatusOr<std::unique_ptr<ExternalStorage>> OpenUri(const ExecContext& ctx, const std::string& uri);

// Opens the default collection of a URI list (a plain collection URI, or a locality-aware list).
StatusOr<std::unique_ptr<ExternalStorage>> OpenCollection(const ExecContext& ctx,
                                                          const std::vector<std::string>& uris);

// Reads the manifests of the chain of full backup `subdir`, oldest layer first: FetchChain, then
// ParseChain.
StatusOr<std::vector<proto::BackupManifest>> ReadChain(const ChainStorage& storage,
                                                       const std::string& subdir,
                                                       const ChainCrypto& crypto);
// One layer's manifest as stored: its directory and bytes.
struct FetchedManifest {
  std::string layer_dir;
  std::string stored;
};
// The stored manifests of the chain of full backup `subdir`, oldest layer first; needs no key.
StatusOr<std::vector<FetchedManifest>> FetchChain(const ChainStorage& storage,
                                                  const std::string& subdir);
// Decrypts, checks and parses fetched manifests (consumed).
StatusOr<std::vector<proto::BackupManifest>> ParseChain(std::vector<FetchedManifest> fetched,
                                                        const ChainCrypto& crypto);

// The storages of a chain: the (default) collection, the incremental_location when given, and
// the collections of the other localities of a locality-aware list.
struct OpenedChain {
  std::unique_ptr<ExternalStorage> collection;
  std::unique_ptr<ExternalStorage> incremental_location;
  std::map<std::string, std::unique_ptr<ExternalStorage>> localities;  // by tier
  // Non-default URIs of a list without COCKROACH_LOCALITY (RESTORE ... IN ('a', 'b')): which
  // locality each holds is found from the files the manifests name (ResolveUnlabeled).
  std::vector<std::unique_ptr<ExternalStorage>> unlabeled;
  // Localities whose files were found in the default collection (consolidated there).
  std::set<std::string> in_default;
  std::string write_locality;
  ChainStorage view() const;
};

// Opens the storages of `uris`. For a BACKUP (`for_backup`), every URI of a list must carry
// COCKROACH_LOCALITY, and data files will go to the locality matching the node's --locality.
StatusOr<OpenedChain> OpenChain(const ExecContext& ctx, const std::vector<std::string>& uris,
                                const StatementOptions& opts, bool for_backup);

ChainCrypto CryptoOf(const std::optional<ChainKey>& key);

// A chain opened for reading: its storages, full backup subdir, unlocked key and layers.
struct LoadedChain {
  OpenedChain opened;
  std::string subdir;
  std::optional<ChainKey> key;
  std::vector<proto::BackupManifest> layers;
};

// Resolves `from` in the collection, unlocks its key (before reading any data) and reads the
// manifests of all its layers.
Status LoadChain(const ExecContext& ctx, const std::vector<std::string>& in, const BackupRef& from,
                 const StatementOptions& opts, LoadedChain* out);

// Refuses to read `chain` when this data directory saw a newer state of it (backup/seen_layers.h)
// unless `allow_older`, when each finding becomes a warning in `notices`; then remembers what it
// read.
Status CheckNotOlder(const ExecContext& ctx, const LoadedChain& chain, const BackupRef& from,
                     bool allow_older, std::vector<ResultSet::Notice>* notices);

// "backup /2026/11/28-145137.12 in 'nodelocal://1/c', layer 2 (incremental) ending at
// 2026-11-28 15:03:12.400000 UTC": which point in time a RESTORE reads.
std::string DescribeLayer(const LoadedChain& chain, const proto::BackupManifest& layer);

}  // namespace cofre::sql

#endif  // COFRE_SQL_BACKUP_CHAIN_H_
