// libFuzzer target for the BACKUP_MANIFEST decoder (backup/manifest_io.h: magic "CFM1",
// BackupManifest protobuf, SHA-256) and what SHOW BACKUP does with a decoded manifest.
//
// Input: a flags byte, then the body. Flags bit 0: store the file encrypted (a fixed chain key;
// the decoder then runs on what decryption yields). Bit 1: the body is only the protobuf, and
// the target frames it (magic + body + SHA-256) so that mutations reach the protobuf decoding
// instead of failing the checksum. The file is stored in an in-memory storage under
// "<layer_dir>/BACKUP_MANIFEST", where layer_dir is the one the protobuf names if it parses to a
// usable one, so that valid manifests decode fully.
// Invariants besides no crash, leak or undefined behaviour: errors are DataLoss or
// FailedPrecondition (newer format) and name the file; SHOW BACKUP renders every decoded manifest,
// each row as wide as its columns.
//
// Build: CC=clang-14 CXX=clang++-14 cmake -S . -B build-asan -G Ninja -DCOFRE_FUZZ=ON
//        ninja -C build-asan manifest_fuzz
// Run:   build-asan/manifest_fuzz -max_total_time=60 fuzz/corpus/manifest
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "backup/collection.h"
#include "backup/manifest_format.h"
#include "backup/manifest_io.h"
#include "backup/show_backup.h"
#include "backup/stored_file.h"
#include "storage/memory_storage.h"
#include "storage/object_path.h"
#include "util/sha256.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

constexpr std::string_view kDefaultLayerDir = "2026/11/28-170600.41";

const cofre::ChainCrypto& FuzzCrypto() {
  static const cofre::SecretBytes* const key = new cofre::SecretBytes(std::string(32, '\x42'));
  static const cofre::ChainCrypto* const crypto =
      new cofre::ChainCrypto{key, std::string(16, '\x17')};
  return *crypto;
}

// The layer directory to store the manifest under: the one it names, when that is a plain
// relative path, so that the decoder's "copied from elsewhere?" check passes for real manifests.
std::string LayerDirFor(std::string_view proto_bytes) {
  cofre::proto::BackupManifest m;
  if (!m.ParseFromArray(proto_bytes.data(), static_cast<int>(proto_bytes.size()))) {
    return std::string(kDefaultLayerDir);
  }
  const std::string& dir = m.layer_dir();
  if (dir.empty() || dir.size() > 200 ||
      !cofre::ValidateObjectPath(dir + "/" + cofre::collection::kManifestFile, "fuzz").ok()) {
    return std::string(kDefaultLayerDir);
  }
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  const bool encrypted = flags & 1;
  std::string file;
  std::string layer_dir;
  if (flags & 2) {
    file.assign(cofre::manifest_format::kMagic, 4);
    file.append(body);
    file += cofre::Sha256::Digest(file);
    layer_dir = LayerDirFor(body);
  } else {
    file.assign(body);
    layer_dir = body.size() >= 36 ? LayerDirFor(body.substr(4, body.size() - 36))
                                  : std::string(kDefaultLayerDir);
  }
  const cofre::ChainCrypto plain;
  const cofre::ChainCrypto& crypto = encrypted ? FuzzCrypto() : plain;
  cofre::MemoryStorage storage("mem://fuzz");
  const std::string path = layer_dir + "/" + cofre::collection::kManifestFile;
  if (encrypted) {
    Check(cofre::WriteStoredFile(storage, path, crypto, file).ok());
  } else {
    storage.PutRaw(path, file);
  }

  cofre::StatusOr<cofre::proto::BackupManifest> m = cofre::ReadManifest(storage, layer_dir, crypto);
  if (!m.ok()) {
    const cofre::StatusCode code = m.status().code();
    Check(code == cofre::StatusCode::kDataLoss || code == cofre::StatusCode::kFailedPrecondition);
    Check(m.status().message().find(layer_dir) != std::string::npos);
    return 0;
  }
  std::vector<cofre::proto::BackupManifest> layers = {*m, *m};
  for (auto kind : {cofre::ShowBackupKind::kObjects, cofre::ShowBackupKind::kSchemas,
                    cofre::ShowBackupKind::kFiles}) {
    cofre::ResultSet rs = cofre::ShowBackupResult(layers, kind);
    for (const auto& row : rs.rows) Check(row.size() == rs.columns.size());
  }
  return 0;
}
