// libFuzzer target for the crypto layer's decoders: every input is fed both to the streaming
// AEAD reader (with a fixed data key and file context) and to the ENCRYPTION-INFO parser.
// Neither may crash, hang, leak or read out of bounds, whatever the bytes. Seeds live in
// fuzz/corpus/streaming_aead/ (tests/testdata/crypto/gen_kat.py writes them with the same key
// and context, so the reader's success paths are reachable).
//
// Build: CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCOFRE_FUZZ=ON
//        ninja -C build-fuzz streaming_aead_fuzz
// Run:   build-fuzz/streaming_aead_fuzz -max_total_time=30 fuzz/corpus/streaming_aead
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crypto/encryption_info.h"
#include "crypto/streaming_aead.h"

namespace {

// Must match fuzz_corpus() in tests/testdata/crypto/gen_kat.py.
std::string Range(int from, int to) {
  std::string out;
  for (int i = from; i < to; ++i) out.push_back(static_cast<char>(i));
  return out;
}
constexpr std::string_view kFuzzPath = "fuzz/data/1.cfd";

void FuzzDecrypt(std::string_view input) {
  static const cofre::SecretBytes* const kFuzzDataKey = new cofre::SecretBytes(Range(0x20, 0x40));
  static const std::string* const kFuzzContext =
      new std::string(cofre::FileContext(Range(0xa0, 0xb0), kFuzzPath));
  auto source = cofre::NewDecryptingSource(
      std::make_unique<cofre::StringSource>(std::string(input)), *kFuzzDataKey, *kFuzzContext);
  if (!source.ok()) return;
  char buf[4096];  // below the default chunk size, above the minimum: both read paths run
  size_t total = 0;
  while (true) {
    cofre::StatusOr<size_t> n = (*source)->Read(buf, sizeof(buf));
    if (!n.ok()) {
      // Errors are sticky.
      if ((*source)->Read(buf, sizeof(buf)).ok()) std::abort();
      return;
    }
    if (*n == 0) break;
    total += *n;
  }
  // Authenticated plaintext is strictly shorter than its ciphertext.
  if (total >= input.size()) std::abort();
}

void FuzzEncryptionInfo(std::string_view input) {
  cofre::StatusOr<cofre::EncryptionInfo> info = cofre::ParseEncryptionInfo(input);
  if (!info.ok()) {
    if (info.status().code() != cofre::StatusCode::kDataLoss) std::abort();
    return;
  }
  // What parses re-serializes into something that parses to the same message.
  std::string again = cofre::SerializeEncryptionInfo(*info);
  cofre::StatusOr<cofre::EncryptionInfo> reparsed = cofre::ParseEncryptionInfo(again);
  if (!reparsed.ok() || cofre::SerializeEncryptionInfo(*reparsed) != again) std::abort();
  (void)cofre::HasPassphraseEntry(*info);
  (void)cofre::FindKmsEntry(*info, "arn:aws:kms:us-east-1:000000000000:key/k1");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  FuzzDecrypt(input);
  FuzzEncryptionInfo(input);
  return 0;
}
