#include "backup/row_cache_files.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <utility>
#include <vector>

#include "backup/row_cache_format.h"
#include "util/sha256.h"

namespace cofre::row_cache_files {

namespace cache_fmt = row_cache_format;

namespace {

// Entries are little-endian; on a little-endian host they are copied as they are.
[[maybe_unused]] uint32_t ByteSwap(uint32_t v) { return __builtin_bswap32(v); }
[[maybe_unused]] uint64_t ByteSwap(uint64_t v) { return __builtin_bswap64(v); }

template <typename T>
void PutLe(char* p, T v) {
  if constexpr (std::endian::native == std::endian::big) v = ByteSwap(v);
  std::memcpy(p, &v, sizeof(v));
}
template <typename T>
T GetLe(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(v));
  if constexpr (std::endian::native == std::endian::big) v = ByteSwap(v);
  return v;
}

std::string Hex16(std::string_view label) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::string digest = Sha256::Digest(label);
  std::string out;
  for (int i = 0; i < 16; ++i) {
    out.push_back(kHex[static_cast<unsigned char>(digest[i]) >> 4]);
    out.push_back(kHex[static_cast<unsigned char>(digest[i]) & 15]);
  }
  return out;
}

}  // namespace

void Put32(std::string* out, uint32_t v) {
  char b[4];
  PutLe(b, v);
  out->append(b, 4);
}
void Put64(std::string* out, uint64_t v) {
  char b[8];
  PutLe(b, v);
  out->append(b, 8);
}
uint32_t Get32(const char* p) { return GetLe<uint32_t>(p); }
uint64_t Get64(const char* p) { return GetLe<uint64_t>(p); }

void PutRowEntry(std::string* out, const RowCacheEntry& e) {
  char b[cache_fmt::kRowEntryBytes];
  PutLe(b, static_cast<uint64_t>(e.rowid));
  PutLe(b + 8, e.bytes);
  PutLe(b + 12, e.digest);
  out->append(b, sizeof(b));
}

std::string ChainPrefix(const proto::BackupManifest& full) {
  return Hex16("cofre row cache chain " + full.chain_id() + "\n" + full.full_subdir() + "\n" +
               std::to_string(full.end_time_micros())) +
         "-";
}
std::string LayerIdentity(const std::string& prefix, const proto::BackupManifest& layer) {
  return Sha256::Digest(
      "cofre row cache layer " + prefix + "\n" + layer.layer_dir() + "\n" +
      std::to_string(layer.layer()) + "\n" + std::to_string(layer.end_time_micros()) + "\n" +
      std::to_string(layer.rows()) + "\n" + std::to_string(layer.logical_bytes()) + "\n" +
      std::to_string(layer.index_entries()));
}
std::string FileName(const std::string& prefix, const proto::BackupManifest& layer) {
  return prefix + Hex16(LayerIdentity(prefix, layer)) + cache_fmt::kSuffix;
}
bool IsChainFile(std::string_view name, std::string_view prefix) {
  const std::string_view suffix = cache_fmt::kSuffix;
  if (name.size() != prefix.size() + 32 + suffix.size() || !name.starts_with(prefix) ||
      !name.ends_with(suffix)) {
    return false;
  }
  for (char c : name.substr(prefix.size(), 32)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

Status Corrupt(const std::string& path, const std::string& why) {
  return DataLossError("row cache file " + path + " is corrupt: " + why);
}

void Prune(const std::string& dir, const std::string& prefix, const std::set<std::string>& keep) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto now = fs::file_time_type::clock::now();
  std::map<std::string, fs::file_time_type> chains;  // other chains' newest file
  std::vector<std::pair<std::string, fs::path>> others;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    auto time = entry.last_write_time(ec);
    if (ec) continue;
    if (name.find(".tmp-") != std::string::npos) {
      if (now - time > std::chrono::hours(24)) fs::remove(entry.path(), ec);
      continue;
    }
    if (!name.ends_with(cache_fmt::kSuffix) || name.size() < prefix.size()) continue;
    if (name.starts_with(prefix)) {
      if (!keep.count(name)) fs::remove(entry.path(), ec);
      continue;
    }
    const std::string chain = name.substr(0, prefix.size());
    chains[chain] = std::max(chains[chain], time);
    others.emplace_back(chain, entry.path());
  }
  if (chains.size() + 1 <= cache_fmt::kFilesKept) return;
  std::vector<std::pair<fs::file_time_type, std::string>> order;
  for (const auto& [chain, time] : chains) order.emplace_back(time, chain);
  std::sort(order.begin(), order.end(), std::greater<>());
  std::set<std::string> dropped;
  for (size_t i = cache_fmt::kFilesKept - 1; i < order.size(); ++i) dropped.insert(order[i].second);
  for (const auto& [chain, path] : others) {
    if (dropped.count(chain)) fs::remove(path, ec);
  }
}

}  // namespace cofre::row_cache_files
