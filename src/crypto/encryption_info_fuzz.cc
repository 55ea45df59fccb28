// libFuzzer target for the ENCRYPTION-INFO decoder (crypto/encryption_info.h): parsing and
// validation, then what a restore does next with a file that parsed, unlocking it with a
// passphrase and with a data key from a KMS.
//
// Input: a flags byte, then the file. Flags bit 0: the target appends the trailing checksum
// field (tag 0x32, length 32, SHA-256 of the bytes before it) so that mutations of checksummed
// files reach the validation instead of failing the checksum.
// Invariants besides no crash, leak or undefined behaviour: parse errors are DataLoss; what
// parses re-serializes into bytes that parse to the same message; unlocking fails only with
// PermissionDenied, FailedPrecondition (no passphrase entry) or DataLoss, and never reveals the
// passphrase in its message.
//
// Build: CC=clang-14 CXX=clang++-14 cmake -S . -B build-asan -G Ninja -DCOFRE_FUZZ=ON
//        ninja -C build-asan encryption_info_fuzz
// Run:   build-asan/encryption_info_fuzz -max_total_time=60 fuzz/corpus/encryption_info
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crypto/encryption_info.h"
#include "util/sha256.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

// fuzz/make_seeds.py writes cheap seeds this passphrase and data key unlock.
constexpr std::string_view kPassphrase = "fuzz-passphrase";

bool Acceptable(const cofre::Status& st) {
  return st.code() == cofre::StatusCode::kPermissionDenied ||
         st.code() == cofre::StatusCode::kFailedPrecondition ||
         st.code() == cofre::StatusCode::kDataLoss;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string file(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] & 1) {
    const std::string digest = cofre::Sha256::Digest(file);
    file += '\x32';
    file += static_cast<char>(digest.size());
    file += digest;
  }
  cofre::StatusOr<cofre::EncryptionInfo> info = cofre::ParseEncryptionInfo(file);
  if (!info.ok()) {
    Check(info.status().code() == cofre::StatusCode::kDataLoss);
    return 0;
  }
  const std::string again = cofre::SerializeEncryptionInfo(*info);
  cofre::StatusOr<cofre::EncryptionInfo> reparsed = cofre::ParseEncryptionInfo(again);
  Check(reparsed.ok() && cofre::SerializeEncryptionInfo(*reparsed) == again);
  (void)cofre::HasKmsEntry(*info);
  (void)cofre::FindKmsEntry(*info, "arn:aws:kms:us-east-1:000000000000:key/k1");

  // A data key from elsewhere (a KMS) is checked against the chain.
  cofre::StatusOr<cofre::ChainKey> from_kms =
      cofre::ChainKeyFromUnwrapped(*info, cofre::SecretBytes(std::string(32, '\x42')));
  if (!from_kms.ok()) Check(Acceptable(from_kms.status()));

  // Unwrapping runs PBKDF2 once per passphrase entry: only when that stays cheap.
  uint64_t work = 0;
  for (const auto& entry : info->keys()) {
    if (entry.has_passphrase()) work += entry.passphrase().iterations();
  }
  if (cofre::HasPassphraseEntry(*info) && work <= 4000) {
    cofre::StatusOr<cofre::ChainKey> key = cofre::UnwrapWithPassphrase(*info, kPassphrase);
    if (!key.ok()) {
      Check(Acceptable(key.status()));
      Check(key.status().message().find(kPassphrase) == std::string::npos);
    } else {
      Check(key->chain_id == info->chain_id());
    }
  }
  return 0;
}
