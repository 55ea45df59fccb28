#include "backup/leaf_maps.h"

#include <cstring>
#include <limits>

#include "backup/data_file_format.h"
#include "backup/leaf_maps_format.h"
#include "backup/row_codec.h"
#include "engine/big_endian.h"

namespace cofre {

namespace fmt = leaf_maps_format;

namespace {

void PutInt64(std::string* out, int64_t v) {
  const auto u = static_cast<uint64_t>(v);
  big_endian::Append32(out, static_cast<uint32_t>(u >> 32));
  big_endian::Append32(out, static_cast<uint32_t>(u));
}

int64_t GetInt64(const char* p) {
  return static_cast<int64_t>((uint64_t{big_endian::Get32(p)} << 32) | big_endian::Get32(p + 4));
}

}  // namespace

void ComputeLeafMaps(const Snapshot& snapshot, const std::string& db, const DatabaseSchema& schema,
                     int threads, LeafMapSet* out) {
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
    auto leaves = MapTableLeaves(**view, static_cast<uint32_t>(root), threads);
    if (leaves.ok()) (*out)[{db, table.name}] = GroupLeaves(*leaves, fmt::kGroupAverage);
  }
}

Status WriteLeafMaps(ExternalStorage& storage, const std::string& layer_dir,
                     const ChainCrypto& crypto, const LeafMapSet& maps,
                     proto::BackupManifest* manifest) {
  proto::LeafMaps message;
  message.set_group_average(fmt::kGroupAverage);
  for (const auto& [key, leaves] : maps) {
    auto* t = message.add_tables();
    t->set_database(key.first);
    t->set_table(key.second);
    std::string* bytes = t->mutable_leaves();
    bytes->reserve(leaves.size() * fmt::kEntryBytes);
    for (const LeafRange& l : leaves) {
      PutInt64(bytes, l.first);
      PutInt64(bytes, l.last);
      bytes->append(l.digest);
    }
  }
  std::string contents(fmt::kMagic, sizeof(fmt::kMagic));
  if (!message.AppendToString(&contents)) return InternalError("cannot encode the leaf maps");
  const std::string path = layer_dir + "/" + fmt::kFileName;
  StoredFileInfo info;
  RETURN_IF_ERROR(WriteStoredFile(storage, path, crypto, contents, &info));
  auto* ref = manifest->mutable_leaf_maps();
  ref->set_path(path);
  ref->set_file_bytes(info.bytes);
  ref->set_sha256(info.sha256);
  return Status::OK();
}

StatusOr<LeafMapSet> ReadLeafMaps(ExternalStorage& storage, const ChainCrypto& crypto,
                                  const proto::BackupManifest& manifest) {
  LeafMapSet out;
  if (!manifest.has_leaf_maps() || manifest.leaf_maps().path().empty()) return out;
  const auto& ref = manifest.leaf_maps();
  if (ref.file_bytes() > fmt::kMaxFileBytes) return DataLossError(ref.path() + " is too large");
  StoredFileInfo expected{ref.file_bytes(), ref.sha256()};
  ASSIGN_OR_RETURN(auto src, OpenStoredFileReader(storage, ref.path(), crypto, expected));
  ASSIGN_OR_RETURN(std::string contents, ReadAll(*src, fmt::kMaxFileBytes));
  if (contents.size() < sizeof(fmt::kMagic) ||
      std::memcmp(contents.data(), fmt::kMagic, sizeof(fmt::kMagic)) != 0) {
    return DataLossError(ref.path() + " is not a leaf maps file");
  }
  proto::LeafMaps message;
  if (!message.ParseFromArray(contents.data() + sizeof(fmt::kMagic),
                              static_cast<int>(contents.size() - sizeof(fmt::kMagic)))) {
    return DataLossError(ref.path() + " cannot be parsed");
  }
  if (message.group_average() != fmt::kGroupAverage) return out;
  for (const auto& t : message.tables()) {
    const std::string& bytes = t.leaves();
    if (bytes.size() % fmt::kEntryBytes != 0) return DataLossError(ref.path() + ": bad entry");
    std::vector<LeafRange>& leaves = out[{t.database(), t.table()}];
    for (size_t i = 0; i < bytes.size(); i += fmt::kEntryBytes) {
      LeafRange l;
      l.first = GetInt64(bytes.data() + i);
      l.last = GetInt64(bytes.data() + i + 8);
      l.digest.assign(bytes.data() + i + 16, fmt::kDigestBytes);
      if (l.last < l.first || (!leaves.empty() && l.first <= leaves.back().last)) {
        return DataLossError(ref.path() + ": leaves out of order");
      }
      leaves.push_back(std::move(l));
    }
  }
  return out;
}

std::vector<RowidRange> UnchangedRowidRanges(const std::vector<LeafRange>& before,
                                             const std::vector<LeafRange>& now,
                                             std::optional<int64_t> lo, std::optional<int64_t> hi) {
  std::vector<RowidRange> out;
  auto same = [&](int64_t first, int64_t last) {
    std::optional<int64_t> end;
    if (last < std::numeric_limits<int64_t>::max()) end = last + 1;
    return SameLeavesInRange(before, now, first, end);
  };
  bool extend = false;  // out.back() ends at the previous group, and may take this one in
  for (const LeafRange& g : now) {
    if ((lo && g.last < *lo) || (hi && g.first >= *hi)) continue;
    if (!same(g.first, g.last)) {
      extend = false;
      continue;
    }
    // Consecutive unchanged groups make one range when the gap between them is unchanged too.
    if (extend && same(out.back().first, g.last)) {
      out.back().second = g.last;
    } else {
      out.emplace_back(g.first, g.last);
    }
    extend = true;
  }
  for (auto& r : out) {
    if (lo) r.first = std::max(r.first, *lo);
    if (hi) r.second = std::min(r.second, *hi - 1);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ChangedKeyRanges(
    std::optional<int64_t> lo, std::optional<int64_t> hi,
    const std::vector<RowidRange>& unchanged) {
  auto key = [](std::optional<int64_t> v) {
    std::string k;
    if (v) {
      rowcodec::PutVarint(&k, 1);
      rowcodec::AppendInteger(&k, *v);
    }
    return k;
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
