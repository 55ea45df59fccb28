#include "backup/leaf_maps.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "backup/data_file_format.h"
#include "backup/leaf_maps_format.h"
#include "backup/row_codec.h"
#include "crypto/leaf_mac.h"
#include "engine/big_endian.h"

namespace cofre {

namespace map_fmt = leaf_maps_format;

namespace {

void PutInt64(std::string* out, int64_t v) {
  const auto u = static_cast<uint64_t>(v);
  big_endian::Append32(out, static_cast<uint32_t>(u >> 32));
  big_endian::Append32(out, static_cast<uint32_t>(u));
}

int64_t GetInt64(const char* p) {
  return static_cast<int64_t>((uint64_t{big_endian::Get32(p)} << 32) | big_endian::Get32(p + 4));
}

// Keyed leaf digests (crypto/leaf_mac.h) for engine/leaf_map.h.
class KeyedLeafHasher : public LeafHasher {
 public:
  explicit KeyedLeafHasher(std::unique_ptr<LeafMac> mac) : mac_(std::move(mac)) {}
  void Add(std::string_view page) override { mac_->Add(page); }
  StatusOr<std::string> Finish() override { return mac_->Finish(); }

 private:
  std::unique_ptr<LeafMac> mac_;
};

}  // namespace

StatusOr<LeafDigest> ChainLeafDigest(const ChainCrypto& crypto,
                                     const SecretBytes* unencrypted_secret) {
  const SecretBytes* secret = crypto.encrypted() ? crypto.data_key : unencrypted_secret;
  LeafDigest digest;
  if (secret == nullptr) return digest;
  ASSIGN_OR_RETURN(LeafMacKey key, LeafMacKey::Derive(secret->view()));
  digest.kind = proto::LeafMaps::KEYED_GMAC;
  digest.key_check = key.check();
  if (auto rows = RowDigestKey::Derive(secret->view()); rows.ok()) digest.rows = std::move(*rows);
  auto shared = std::make_shared<const LeafMacKey>(std::move(key));
  digest.hashers = [shared]() -> StatusOr<std::unique_ptr<LeafHasher>> {
    ASSIGN_OR_RETURN(std::unique_ptr<LeafMac> mac, shared->NewMac());
    return std::unique_ptr<LeafHasher>(new KeyedLeafHasher(std::move(mac)));
  };
  return digest;
}

void ComputeLeafMaps(const Snapshot& snapshot, const std::string& db, const DatabaseSchema& schema,
                     const LeafDigest& digest, int threads, LeafMapSet* out, LeafMapSet* leaves_out,
                     const CellVisitors& cells) {
  auto view = snapshot.OpenPageView(db);
  if (!view.ok()) return;
  const SqliteDb& reader = snapshot.reader(db);
  for (const TableSchema& table : schema.tables) {
    if (table.without_rowid || !table.virtual_table.empty()) continue;
    auto stmt =
        reader.Prepare("SELECT rootpage FROM main.sqlite_schema WHERE type = 'table' AND name = ?");
    if (!stmt.ok()) return;
    stmt->Bind(1, table.name);
    auto row = stmt->Step();
    if (!row.ok() || !*row) continue;
    const int64_t root = stmt->ColumnInt(0);
    if (root <= 0 || root > UINT32_MAX) continue;
    static const LeafCellVisitor kNone;
    const LeafCellVisitor* visitor = cells ? cells(table.name) : nullptr;
    auto leaves = MapTableLeaves(**view, static_cast<uint32_t>(root), threads, digest.hashers,
                                 visitor ? *visitor : kNone);
    if (!leaves.ok()) continue;
    (*out)[{db, table.name}] = GroupLeaves(*leaves, map_fmt::kGroupAverage);
    if (leaves_out) (*leaves_out)[{db, table.name}] = std::move(*leaves);
  }
}

namespace {

void PutEntry(std::string* out, const LeafRange& l) {
  PutInt64(out, l.first);
  PutInt64(out, l.last);
  out->append(l.digest.view());
}

// The entries of `bytes` (whole entries, in order), appended to *out.
Status GetEntries(std::string_view bytes, const std::string& path, std::vector<LeafRange>* out) {
  if (bytes.size() % map_fmt::kEntryBytes != 0) return DataLossError(path + ": bad entry");
  for (size_t i = 0; i < bytes.size(); i += map_fmt::kEntryBytes) {
    LeafRange l;
    l.first = GetInt64(bytes.data() + i);
    l.last = GetInt64(bytes.data() + i + 8);
    l.digest = std::string_view(bytes.data() + i + 16, map_fmt::kDigestBytes);
    out->push_back(std::move(l));
  }
  return Status::OK();
}

// A delta table: runs of `now` copied from `before` (instruction varint(count << 1 | 1),
// varint(index in before)) and of literal entries (varint(count << 1), the entries in *leaves).
void EncodeRuns(const std::vector<LeafRange>& before, const std::vector<LeafRange>& now,
                std::string* runs, std::string* leaves) {
  size_t literal = 0;  // literal entries pending before now[i]
  auto flush_literal = [&](size_t i) {
    if (literal == 0) return;
    rowcodec::PutVarint(runs, uint64_t{literal} << 1);
    for (size_t k = i - literal; k < i; ++k) PutEntry(leaves, now[k]);
    literal = 0;
  };
  for (size_t i = 0; i < now.size();) {
    // The entry of `before` with the same first rowid (entries are in increasing order).
    auto it = std::lower_bound(before.begin(), before.end(), now[i].first,
                               [](const LeafRange& l, int64_t v) { return l.first < v; });
    size_t count = 0;
    const size_t j = static_cast<size_t>(it - before.begin());
    while (j + count < before.size() && i + count < now.size() &&
           before[j + count] == now[i + count]) {
      ++count;
    }
    if (count == 0) {
      ++literal;
      ++i;
      continue;
    }
    flush_literal(i);
    rowcodec::PutVarint(runs, (uint64_t{count} << 1) | 1);
    rowcodec::PutVarint(runs, j);
    i += count;
  }
  flush_literal(now.size());
}

// The entries a delta table's runs make of `before` and `leaves`.
Status DecodeRuns(std::string_view runs, std::string_view leaves,
                  const std::vector<LeafRange>* before, const std::string& path,
                  std::vector<LeafRange>* out) {
  std::vector<LeafRange> literal;
  RETURN_IF_ERROR(GetEntries(leaves, path, &literal));
  size_t next_literal = 0, p = 0;
  while (p < runs.size()) {
    uint64_t op = 0, start = 0;
    if (!rowcodec::GetVarint(runs, &p, &op)) return DataLossError(path + ": bad runs");
    const uint64_t count = op >> 1;
    if (op & 1) {
      if (!before || !rowcodec::GetVarint(runs, &p, &start) || start > before->size() ||
          count > before->size() - start) {
        return DataLossError(path + ": a run copies entries the previous maps do not have");
      }
      // Runs must go forward (the previous entries are in order): so the entries made are at
      // most the previous ones and the file's own, whatever the runs say.
      if (count > 0 && !out->empty() && (*before)[start].first <= out->back().last) {
        return DataLossError(path + ": leaves out of order");
      }
      out->insert(out->end(), before->begin() + static_cast<ptrdiff_t>(start),
                  before->begin() + static_cast<ptrdiff_t>(start + count));
    } else {
      if (count > literal.size() - next_literal) return DataLossError(path + ": bad runs");
      for (uint64_t k = 0; k < count; ++k) out->push_back(std::move(literal[next_literal++]));
    }
  }
  if (next_literal != literal.size()) return DataLossError(path + ": entries left over");
  return Status::OK();
}

// The parsed contents of a leaf maps file.
StatusOr<proto::LeafMaps> ReadMessage(ExternalStorage& storage, const ChainCrypto& crypto,
                                      const proto::LeafMapsFile& ref) {
  if (ref.file_bytes() > map_fmt::kMaxFileBytes) return DataLossError(ref.path() + " is too large");
  StoredFileInfo expected{ref.file_bytes(), ref.sha256()};
  ASSIGN_OR_RETURN(auto src, OpenStoredFileReader(storage, ref.path(), crypto, expected));
  ASSIGN_OR_RETURN(std::string contents, ReadAll(*src, map_fmt::kMaxFileBytes));
  if (contents.size() < sizeof(map_fmt::kMagic) ||
      std::memcmp(contents.data(), map_fmt::kMagic, sizeof(map_fmt::kMagic)) != 0) {
    return DataLossError(ref.path() + " is not a leaf maps file");
  }
  proto::LeafMaps message;
  if (!message.ParseFromArray(contents.data() + sizeof(map_fmt::kMagic),
                              static_cast<int>(contents.size() - sizeof(map_fmt::kMagic)))) {
    return DataLossError(ref.path() + " cannot be parsed");
  }
  if (message.depth() > map_fmt::kMaxDepth) return DataLossError(ref.path() + ": too deep");
  return message;
}

// The maps `message` (of file `path`) holds, a delta resolved against `base`.
StatusOr<ResolvedLeafMaps> Resolve(const proto::LeafMaps& message, const std::string& path,
                                   const LeafDigest& digest, const ResolvedLeafMaps* base) {
  ResolvedLeafMaps out;
  if (message.depth() > 0 && (!base || base->depth + 1 != message.depth())) {
    return DataLossError(path + " is a delta of maps it does not follow");
  }
  out.depth = message.depth();
  // Maps grouped or digested otherwise are not compared (nor are deltas of them: a delta's
  // entries copied from such maps are refused as entries the previous maps do not have).
  if (message.group_average() != map_fmt::kGroupAverage || message.digest() != digest.kind ||
      message.key_check() != digest.key_check) {
    return out;
  }
  for (const auto& t : message.tables()) {
    std::vector<LeafRange>& leaves = out.maps[{t.database(), t.table()}];
    if (message.depth() > 0 && !t.runs().empty()) {
      auto before = base->maps.find({t.database(), t.table()});
      RETURN_IF_ERROR(DecodeRuns(t.runs(), t.leaves(),
                                 before == base->maps.end() ? nullptr : &before->second, path,
                                 &leaves));
    } else {
      RETURN_IF_ERROR(GetEntries(t.leaves(), path, &leaves));
    }
    for (size_t i = 0; i < leaves.size(); ++i) {
      if (leaves[i].last < leaves[i].first || (i > 0 && leaves[i].first <= leaves[i - 1].last)) {
        return DataLossError(path + ": leaves out of order");
      }
    }
  }
  return out;
}

}  // namespace

Status WriteLeafMaps(ExternalStorage& storage, const std::string& layer_dir,
                     const ChainCrypto& crypto, const LeafDigest& digest, const LeafMapSet& maps,
                     proto::BackupManifest* manifest, const ResolvedLeafMaps* base) {
  proto::LeafMaps message;
  message.set_group_average(map_fmt::kGroupAverage);
  message.set_digest(digest.kind);
  message.set_key_check(digest.key_check);
  const bool delta = base && base->depth < map_fmt::kMaxDepth;
  if (delta) message.set_depth(base->depth + 1);
  for (const auto& [key, leaves] : maps) {
    auto* t = message.add_tables();
    t->set_database(key.first);
    t->set_table(key.second);
    auto before = delta ? base->maps.find(key) : LeafMapSet::const_iterator();
    if (delta && before != base->maps.end()) {
      EncodeRuns(before->second, leaves, t->mutable_runs(), t->mutable_leaves());
      continue;
    }
    std::string* bytes = t->mutable_leaves();
    bytes->reserve(leaves.size() * map_fmt::kEntryBytes);
    for (const LeafRange& l : leaves) PutEntry(bytes, l);
  }
  std::string contents(map_fmt::kMagic, sizeof(map_fmt::kMagic));
  if (!message.AppendToString(&contents)) return InternalError("cannot encode the leaf maps");
  const std::string path = layer_dir + "/" + map_fmt::kFileName;
  StoredFileInfo info;
  RETURN_IF_ERROR(WriteStoredFile(storage, path, crypto, contents, &info));
  auto* ref = manifest->mutable_leaf_maps();
  ref->set_path(path);
  ref->set_file_bytes(info.bytes);
  ref->set_sha256(info.sha256);
  return Status::OK();
}

StatusOr<ResolvedLeafMaps> ReadLeafMapsFile(ExternalStorage& storage, const ChainCrypto& crypto,
                                            const LeafDigest& digest,
                                            const proto::LeafMapsFile& ref,
                                            const ResolvedLeafMaps* base) {
  if (ref.path().empty()) return ResolvedLeafMaps();
  ASSIGN_OR_RETURN(proto::LeafMaps message, ReadMessage(storage, crypto, ref));
  return Resolve(message, ref.path(), digest, base);
}

StatusOr<ResolvedLeafMaps> ReadChainLeafMaps(const ChainStorage& storage, const ChainCrypto& crypto,
                                             const LeafDigest& digest,
                                             const std::vector<proto::BackupManifest>& chain) {
  // From the last layer back to the full map the deltas start from, then forward.
  std::vector<std::pair<proto::LeafMaps, std::string>> files;
  for (size_t i = chain.size(); i > 0; --i) {
    const proto::BackupManifest& m = chain[i - 1];
    if (!m.has_leaf_maps() || m.leaf_maps().path().empty()) {
      if (files.empty()) return NotFoundError("the chain's last layer has no leaf maps");
      return DataLossError("layer " + std::to_string(m.layer()) +
                           " has no leaf maps, which a later layer's are a delta of");
    }
    ASSIGN_OR_RETURN(proto::LeafMaps message,
                     ReadMessage(storage.ForLayer(m.layer()), crypto, m.leaf_maps()));
    const uint32_t depth = message.depth();
    files.emplace_back(std::move(message), m.leaf_maps().path());
    if (depth == 0) break;
    if (i == 1) return DataLossError("the chain's leaf maps start with a delta");
  }
  ResolvedLeafMaps resolved;
  for (size_t k = files.size(); k > 0; --k) {
    ASSIGN_OR_RETURN(resolved, Resolve(files[k - 1].first, files[k - 1].second, digest,
                                       k == files.size() ? nullptr : &resolved));
  }
  return resolved;
}

std::vector<RowidRange> UnchangedRowidRanges(const std::vector<LeafRange>& before,
                                             const std::vector<LeafRange>& now,
                                             std::optional<int64_t> lo, std::optional<int64_t> hi) {
  std::vector<RowidRange> out;
  // The groups of `now` intersecting [lo, hi).
  auto begin = now.begin(), end = now.end();
  if (lo)
    begin = std::partition_point(now.begin(), now.end(),
                                 [&](const LeafRange& g) { return g.last < *lo; });
  if (hi)
    end = std::partition_point(begin, now.end(), [&](const LeafRange& g) { return g.first < *hi; });
  if (begin >= end) return out;
  // A group is unchanged when `before` has exactly one group intersecting its range, equal to it
  // (SameLeavesInRange over the group's own range: the groups of `now` do not overlap). Walked in
  // step with `before`, so a span costs its groups, not the table's.
  auto b = std::partition_point(before.begin(), before.end(),
                                [&](const LeafRange& l) { return l.last < begin->first; });
  auto matched = before.end();  // the group of `before` the last unchanged group matched
  bool extend = false;          // out.back() ends at the previous group, and may take this one in
  for (auto g = begin; g != end; ++g) {
    while (b != before.end() && b->last < g->first) ++b;
    const bool same =
        b != before.end() && *b == *g && (b + 1 == before.end() || (b + 1)->first > g->last);
    if (!same) {
      extend = false;
      continue;
    }
    // Consecutive unchanged groups make one range when the gap between them is unchanged too: no
    // group of `before` lies in it, which holds exactly when they matched consecutive groups.
    if (extend && matched + 1 == b) {
      out.back().second = g->last;
    } else {
      out.emplace_back(g->first, g->last);
    }
    matched = b;
    extend = true;
  }
  for (auto& r : out) {
    if (lo) r.first = std::max(r.first, *lo);
    if (hi) r.second = std::min(r.second, *hi - 1);
  }
  return out;
}

std::vector<RowidRange> ChangedRowidRanges(std::optional<int64_t> lo, std::optional<int64_t> hi,
                                           const std::vector<RowidRange>& unchanged) {
  std::vector<RowidRange> out;
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (hi && *hi == kMin) return out;
  const int64_t last = hi ? *hi - 1 : kMax;
  int64_t from = lo.value_or(kMin);
  for (const auto& [first, end] : unchanged) {
    if (from < first) out.emplace_back(from, first - 1);
    if (end == kMax) return out;
    from = end + 1;
  }
  if (from <= last) out.emplace_back(from, last);
  return out;
}

std::vector<std::pair<std::string, std::string>> ChangedKeyRanges(
    std::optional<int64_t> lo, std::optional<int64_t> hi,
    const std::vector<RowidRange>& unchanged) {
  auto key = [](std::optional<int64_t> v) {
    return v ? rowcodec::EncodeRowidKey(*v) : std::string();
  };
  std::vector<std::pair<std::string, std::string>> out;
  std::optional<int64_t> from = lo;
  bool open = true;  // [from, ...) still to cover
  for (const auto& [first, last] : unchanged) {
    if (!from || *from < first) out.emplace_back(key(from), key(first));
    if (last == std::numeric_limits<int64_t>::max()) {
      open = false;
      break;
    }
    from = last + 1;
  }
  if (open && (!hi || !from || *from < *hi)) out.emplace_back(key(from), key(hi));
  return out;
}

bool SpanRowidRange(const proto::Span& span, std::optional<int64_t>* lo,
                    std::optional<int64_t>* hi) {
  auto bound = [](const std::string& key, std::optional<int64_t>* out) {
    out->reset();
    if (key.empty()) return true;
    int64_t rowid = 0;
    if (!rowcodec::DecodeRowidKey(key, &rowid)) return false;
    *out = rowid;
    return true;
  };
  return bound(span.start_key(), lo) && bound(span.end_key(), hi);
}

}  // namespace cofre
