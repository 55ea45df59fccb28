// LeafMaps: the change detector of incremental backups, kept beside each layer.
//
// When a layer is written, the leaf map (engine/leaf_map.h) of every rowid table is computed from
// the layer's own snapshot (engine/snapshot.h, OpenPageView) and stored in the layer's LEAF_MAPS
// file (backup/leaf_maps_format.h). The next incremental maps the tables again and keeps, without
// reading a row, every span whose rowid range has the same leaves as before; other spans get the
// full row diff. A table that cannot be mapped now or was not mapped before (WITHOUT ROWID, an
// unreadable page view, a map that fails to load) simply gets the row diff.
// Thread-safety: free functions; a LeafMapSet is a plain value.
#ifndef COFRE_BACKUP_LEAF_MAPS_H_
#define COFRE_BACKUP_LEAF_MAPS_H_

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "backup/chain_storage.h"
#include "backup/stored_file.h"
#include "backup/table_schema.h"
#include "crypto/row_digest.h"
#include "engine/leaf_map.h"
#include "engine/snapshot.h"
#include "proto/backup_manifest.pb.h"

namespace cofre {

// (database, table) -> its leaves.
using LeafMapSet = std::map<std::pair<std::string, std::string>, std::vector<LeafRange>>;

// How a chain's leaf digests are made, and what its maps record of it. Maps are compared only
// with maps of the same kind and key check; others count as none (every row is diffed once).
struct LeafDigest {
  proto::LeafMaps::Digest kind = proto::LeafMaps::SHA256;
  std::string key_check;      // KEYED_GMAC: crypto/leaf_mac.h LeafMacKey::check()
  LeafHasherFactory hashers;  // empty: SHA-256
  // Digests rows for the row digest cache (backup/row_cache.h), from the same secret as the
  // keyed leaf digests; null with SHA-256 leaf digests or where crypto/row_digest.h cannot run.
  std::shared_ptr<const RowDigestKey> rows;
};

// The digest of `crypto`'s chain: keyed (crypto/leaf_mac.h), a quarter of SHA-256's cost, with
// a key derived from the chain's data key in an encrypted chain and from `unencrypted_secret`
// (the data directory's own, docs/architecture.md §3 item 11) in an unencrypted one; SHA-256 in
// an unencrypted chain without that secret.
StatusOr<LeafDigest> ChainLeafDigest(const ChainCrypto& crypto,
                                     const SecretBytes* unencrypted_secret);

// Which tables' cells a map shows, and to what (engine/leaf_map.h LeafCellVisitor): the visitor
// for a table, or null.
using CellVisitors = std::function<const LeafCellVisitor*(const std::string& table)>;

// Maps the rowid tables of `schema` (of database `db` in `snapshot`), leaves digested by
// `digest` and grouped as stored (leaf_maps_format::kGroupAverage), each table's pages read and
// hashed on `threads` threads; leaves out what it cannot. With `leaves`, each table's leaves also
// go there as they are, one entry per leaf (for the row digest cache, backup/row_cache.h). With
// `cells`, the tables it gives a visitor for show it their leaves' cells (backup/cell_digests.h).
void ComputeLeafMaps(const Snapshot& snapshot, const std::string& db, const DatabaseSchema& schema,
                     const LeafDigest& digest, int threads, LeafMapSet* out,
                     LeafMapSet* leaves = nullptr, const CellVisitors& cells = {});

// A layer's maps, resolved, and how many delta maps after a full one they were stored as (0: a
// full map). A delta map is written against, and read with, the previous layer's.
struct ResolvedLeafMaps {
  LeafMapSet maps;
  uint32_t depth = 0;
};

// Writes `maps` (made with `digest`) as `<layer_dir>/LEAF_MAPS` and records it in `manifest`:
// as a delta of `base` (the previous layer's maps, read with the same `digest`) when given and
// fewer than leaf_maps_format::kMaxDepth deltas deep, else in full.
Status WriteLeafMaps(ExternalStorage& storage, const std::string& layer_dir,
                     const ChainCrypto& crypto, const LeafDigest& digest, const LeafMapSet& maps,
                     proto::BackupManifest* manifest, const ResolvedLeafMaps* base = nullptr);

// The maps the file `ref` holds (none when `ref` names no file, or when its maps were made with
// another digest than `digest`); a delta map is resolved against `base`, the maps of the layer
// it follows, and is an error without it. A file that fails its checks is an error, which
// callers treat as "no maps".
StatusOr<ResolvedLeafMaps> ReadLeafMapsFile(ExternalStorage& storage, const ChainCrypto& crypto,
                                            const LeafDigest& digest,
                                            const proto::LeafMapsFile& ref,
                                            const ResolvedLeafMaps* base);

// The maps of `chain`'s last layer made with `digest` (as ReadLeafMapsFile), reading the maps of
// the layers before it that delta maps need (each from its layer's storage). NotFound when that
// layer has none.
StatusOr<ResolvedLeafMaps> ReadChainLeafMaps(const ChainStorage& storage, const ChainCrypto& crypto,
                                             const LeafDigest& digest,
                                             const std::vector<proto::BackupManifest>& chain);

// A rowid range [first, last], both included.
using RowidRange = std::pair<int64_t, int64_t>;

// The groups of `now` within [lo, hi) (unset: unbounded) whose leaves are the same in `before`
// (SameLeavesInRange over each group's own range), clipped to [lo, hi), in order: the rows with
// rowids in these ranges are the same in both snapshots.
std::vector<RowidRange> UnchangedRowidRanges(const std::vector<LeafRange>& before,
                                             const std::vector<LeafRange>& now,
                                             std::optional<int64_t> lo, std::optional<int64_t> hi);

// The parts of [lo, hi) (unset: unbounded) outside `unchanged` (in order, within [lo, hi)), as
// inclusive rowid ranges.
std::vector<RowidRange> ChangedRowidRanges(std::optional<int64_t> lo, std::optional<int64_t> hi,
                                           const std::vector<RowidRange>& unchanged);

// The parts of [lo, hi) outside `unchanged` (in order, within [lo, hi)), as encoded key bounds
// [start, end) of a rowid table (row_codec keys; empty: unbounded), in order.
std::vector<std::pair<std::string, std::string>> ChangedKeyRanges(
    std::optional<int64_t> lo, std::optional<int64_t> hi, const std::vector<RowidRange>& unchanged);

// The rowid range [lo, hi) of a span of a rowid table (unset: unbounded); false when a key is
// not a single integer.
bool SpanRowidRange(const proto::Span& span, std::optional<int64_t>* lo,
                    std::optional<int64_t>* hi);

}  // namespace cofre

#endif  // COFRE_BACKUP_LEAF_MAPS_H_
