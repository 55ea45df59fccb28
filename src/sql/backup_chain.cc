#include "sql/backup_chain.h"

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

// Reads the manifests of the chain of full backup `subdir`, oldest layer first.
StatusOr<std::vector<proto::BackupManifest>> ReadChain(const ChainStorage& storage,
                                                       const std::string& subdir,
                                                       const ChainCrypto& crypto) {
  std::vector<proto::BackupManifest> layers;
  ASSIGN_OR_RETURN(auto full, ReadManifest(*storage.collection, subdir, crypto));
  layers.push_back(std::move(full));
  ASSIGN_OR_RETURN(auto incrementals,
                   collection::ListIncrementals(storage.layers(), storage.layers_prefix(), subdir));
  for (const auto& dir : incrementals) {
    ASSIGN_OR_RETURN(auto m, ReadManifest(storage.layers(), dir, crypto));
    layers.push_back(std::move(m));
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

// Resolves `from` in the collection, unlocks its key (before reading any data) and reads the
// manifests of all its layers.
Status LoadChain(const ExecContext& ctx, const std::vector<std::string>& in, const BackupRef& from,
                 const StatementOptions& opts, LoadedChain* out) {
  ASSIGN_OR_RETURN(out->opened, OpenChain(ctx, in, opts, /*for_backup=*/false));
  ExternalStorage& storage = *out->opened.collection;
  ASSIGN_OR_RETURN(out->subdir,
                   collection::ResolveFullBackup(storage, from.latest ? "LATEST" : from.subdir));
  ASSIGN_OR_RETURN(out->key, OpenChainKey(storage, out->subdir, opts.keys));
  ASSIGN_OR_RETURN(out->layers, ReadChain(out->opened.view(), out->subdir, CryptoOf(out->key)));
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
