#include "sql/backup_chain.h"

#include <future>

#include "backup/collection.h"
#include "backup/locality.h"
#include "backup/manifest_io.h"
#include "backup/seen_layers.h"
#include "storage/storage_factory.h"

namespace cofre::sql {

StatusOr<std::unique_ptr<ExternalStorage>> OpenUri(const ExecContext& ctx, const std::string& uri) {
  return OpenExternalStorage(uri, StorageContext{ctx.data_dir->extern_dir()});
}

// Opens the default collection of a URI list (a plain collection URI, or a locality-aware list).
StatusOr<std::unique_ptr<ExternalStorage>> OpenCollection(const ExecContext& ctx,
                                                          const std::vector<std::string>& uris) {
  ASSIGN_OR_RETURN(std::vector<LocalityUri> list,
                   ParseLocalityUris(uris, /*require_labels=*/false));
  return OpenUri(ctx, list[0].uri);
}

StatusOr<std::vector<proto::BackupManifest>> ReadChain(const ChainStorage& storage,
                                                       const std::string& subdir,
                                                       const ChainCrypto& crypto) {
  ASSIGN_OR_RETURN(std::vector<FetchedManifest> fetched, FetchChain(storage, subdir));
  return ParseChain(std::move(fetched), crypto);
}

StatusOr<std::vector<FetchedManifest>> FetchChain(const ChainStorage& storage,
                                                  const std::string& subdir) {
  std::vector<FetchedManifest> fetched;
  StatusOr<std::string> full = FetchManifest(*storage.collection, subdir);
  if (!full.ok()) {
    if (IsNotFound(full.status()))
      return collection::BackupNotFoundError(*storage.collection, subdir);
    return full.status();
  }
  fetched.push_back({subdir, std::move(*full)});
  ASSIGN_OR_RETURN(auto dirs, collection::ListIncrementalDirs(storage.layers(),
                                                              storage.layers_prefix(), subdir));
  for (const auto& dir : dirs) {
    StatusOr<std::string> stored = FetchManifest(storage.layers(), dir);
    if (IsNotFound(stored.status())) continue;  // a layer not finished (or abandoned)
    if (!stored.ok()) return stored.status();
    fetched.push_back({dir, std::move(*stored)});
  }
  return fetched;
}

StatusOr<std::vector<proto::BackupManifest>> ParseChain(std::vector<FetchedManifest> fetched,
                                                        const ChainCrypto& crypto) {
  std::vector<proto::BackupManifest> layers;
  for (FetchedManifest& layer : fetched) {
    ASSIGN_OR_RETURN(auto m, ParseManifest(std::move(layer.stored), layer.layer_dir, crypto));
    layers.push_back(std::move(m));
    layer.stored = std::string();  // its memory goes now, not with the whole chain's
  }
  return layers;
}

ChainStorage OpenedChain::view() const {
  ChainStorage v;
  v.collection = collection.get();
  v.incremental_location = incremental_location.get();
  for (const auto& [name, storage] : localities) v.localities[name] = storage.get();
  for (const auto& name : in_default) v.localities[name] = collection.get();
  v.write_locality = write_locality;
  return v;
}

// Opens the storages of `uris`. For a BACKUP (`for_backup`), every URI of a list must carry
// COCKROACH_LOCALITY, and data files will go to the locality matching the node's --locality.
StatusOr<OpenedChain> OpenChain(const ExecContext& ctx, const std::vector<std::string>& uris,
                                const StatementOptions& opts, bool for_backup) {
  ASSIGN_OR_RETURN(std::vector<LocalityUri> list, ParseLocalityUris(uris, for_backup));
  if (list.size() > 1 && opts.incremental_location) {
    return InvalidArgumentError(
        "incremental_location cannot be combined with a locality-aware backup (a list of URIs); "
        "the incremental layers of a locality-aware chain go under incrementals/ of each URI of "
        "the list");
  }
  OpenedChain chain;
  ASSIGN_OR_RETURN(chain.collection, OpenUri(ctx, list[0].uri));
  for (size_t i = 1; i < list.size(); ++i) {
    ASSIGN_OR_RETURN(auto storage, OpenUri(ctx, list[i].uri));
    if (list[i].labeled) {
      chain.localities[list[i].locality] = std::move(storage);
    } else {
      chain.unlabeled.push_back(std::move(storage));
    }
  }
  if (opts.incremental_location) {
    ASSIGN_OR_RETURN(chain.incremental_location, OpenUri(ctx, *opts.incremental_location));
  }
  if (for_backup && !chain.localities.empty()) {
    ASSIGN_OR_RETURN(std::optional<std::string> node, ctx.data_dir->GetSetting("locality"));
    std::vector<std::string> names;
    for (const auto& [name, storage] : chain.localities) names.push_back(name);
    chain.write_locality = MatchLocality(node.value_or(""), names);
  }
  return chain;
}

// Finds the storage of each locality the manifests' data files were written to and no labeled
// URI names: an unlabeled URI of the list, or the default collection itself (files consolidated
// there), holds a locality when it has one of that locality's files at its path. Localities no
// URI holds stay unassigned (ChainStorage::Covers reports them).
Status ResolveUnlabeled(const std::vector<proto::BackupManifest>& layers, OpenedChain* chain) {
  std::map<std::string, std::string> sample;  // locality -> a file path written there
  for (const auto& m : layers) {
    for (const auto& db : m.databases()) {
      for (const auto& table : db.tables()) {
        for (const auto& span : table.spans()) {
          for (const auto& file : span.files()) {
            if (!file.locality().empty()) sample.emplace(file.locality(), file.path());
          }
        }
      }
    }
  }
  for (const auto& [locality, path] : sample) {
    if (chain->localities.count(locality)) continue;
    bool found = false;
    for (auto it = chain->unlabeled.begin(); it != chain->unlabeled.end(); ++it) {
      StatusOr<uint64_t> size = (*it)->Size(path);
      if (size.ok()) {
        chain->localities[locality] = std::move(*it);
        chain->unlabeled.erase(it);
        found = true;
        break;
      }
      if (!IsNotFound(size.status())) return size.status();
    }
    if (found) continue;
    StatusOr<uint64_t> size = chain->collection->Size(path);
    if (size.ok()) {
      chain->in_default.insert(locality);
    } else if (!IsNotFound(size.status())) {
      return size.status();
    }
  }
  return Status::OK();
}

ChainCrypto CryptoOf(const std::optional<ChainKey>& key) {
  ChainCrypto crypto;
  if (key) {
    crypto.data_key = &key->data_key;
    crypto.chain_id = key->chain_id;
  }
  return crypto;
}

// Resolves `from` in the collection, unlocks its key and reads the manifests of all its layers.
// The key is unlocked on a thread of its own while the manifests are fetched (a passphrase's key
// derivation takes tens of milliseconds of one core; KMS is a round trip), and the fetch of the
// full backup's manifest is what finds whether the backup exists. Nothing is decrypted before
// the key is. Errors in this order: a missing manifest (whatever the key, the backup is not
// there), the key's, then the fetch's.
Status LoadChain(const ExecContext& ctx, const std::vector<std::string>& in, const BackupRef& from,
                 const StatementOptions& opts, LoadedChain* out) {
  ASSIGN_OR_RETURN(out->opened, OpenChain(ctx, in, opts, /*for_backup=*/false));
  ExternalStorage& storage = *out->opened.collection;
  ASSIGN_OR_RETURN(out->subdir, collection::ResolveFullBackupName(
                                    storage, from.latest ? "LATEST" : from.subdir));
  std::future<StatusOr<std::optional<ChainKey>>> key =
      std::async(std::launch::async, [&storage, subdir = out->subdir, &keys = opts.keys] {
        return OpenChainKey(storage, subdir, keys);
      });
  StatusOr<std::vector<FetchedManifest>> fetched = FetchChain(out->opened.view(), out->subdir);
  StatusOr<std::optional<ChainKey>> unlocked = key.get();
  if (!fetched.ok() && IsNotFound(fetched.status())) return fetched.status();
  ASSIGN_OR_RETURN(out->key, std::move(unlocked));
  if (!fetched.ok()) return fetched.status();
  ASSIGN_OR_RETURN(out->layers, ParseChain(std::move(*fetched), CryptoOf(out->key)));
  return ResolveUnlabeled(out->layers, &out->opened);
}

// Refuses to read `chain` when this data directory saw a newer state of it (backup/seen_layers.h)
// unless `allow_older`, when each finding becomes a warning in `notices`; then remembers what it
// read.
Status CheckNotOlder(const ExecContext& ctx, const LoadedChain& chain, const BackupRef& from,
                     bool allow_older, std::vector<ResultSet::Notice>* notices) {
  SeenLayers seen(ctx.data_dir);
  const std::string uri = chain.opened.collection->RedactedUri();
  const std::string layers_uri = chain.opened.incremental_location
                                     ? chain.opened.incremental_location->RedactedUri()
                                     : std::string();
  ASSIGN_OR_RETURN(std::vector<std::string> findings,
                   seen.FindOlder(uri, layers_uri, chain.layers, from.latest));
  if (!findings.empty() && !allow_older) {
    std::string message;
    for (const std::string& f : findings) message += (message.empty() ? "" : "; ") + f;
    return FailedPreconditionError(message + "; refusing to read an older state of " + uri +
                                   " than this data directory saw")
        .WithHint(
            "if the newer backups were removed on purpose and this older state is what you want, "
            "run the statement again WITH allow_older = true; otherwise find out who changed "
            "the collection");
  }
  for (const std::string& f : findings) {
    notices->push_back(
        {ResultSet::Notice::Severity::kWarning, f + "; reading it anyway (allow_older)"});
  }
  return seen.Record(uri, layers_uri, chain.layers);
}

// "backup /2026/11/28-145137.12 in 'nodelocal://1/c', layer 2 (incremental) ending at
// 2026-11-28 15:03:12.400000 UTC": which point in time a RESTORE reads.
std::string DescribeLayer(const LoadedChain& chain, const proto::BackupManifest& layer) {
  std::string text =
      "backup " + collection::DisplaySubdir(chain.subdir) + " in '" +
      chain.opened.collection->RedactedUri() + "', layer " + std::to_string(layer.layer()) +
      (layer.backup_type() == proto::BACKUP_TYPE_INCREMENTAL ? " (incremental)" : " (full)") +
      " ending at " + collection::FormatTimestamp(layer.end_time_micros()) + " UTC";
  const proto::BackupManifest& newest = chain.layers.back();
  if (&layer != &newest) {
    text += " (chosen by AS OF SYSTEM TIME; the chain's newest layer " +
            std::to_string(newest.layer()) + " ends at " +
            collection::FormatTimestamp(newest.end_time_micros()) + " UTC)";
  }
  return text;
}

}  // namespace cofre::sql
