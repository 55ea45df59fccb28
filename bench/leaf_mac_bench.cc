// Micro-benchmarks of the leaf digest (crypto/leaf_mac.h) every backup makes of every table leaf:
// 4 KiB pages, one digest each, with GHASH on the wide carry-less multiplies (crypto/ghash.h, when
// the CPU has them) and inside OpenSSL's GCM.
#include <benchmark/benchmark.h>

#include <string>

#include "crypto/ghash.h"
#include "crypto/leaf_mac.h"

namespace cofre::bench {
namespace {

constexpr size_t kPage = 4096;
constexpr size_t kPages = 256;  // 1 MiB of leaves per iteration

void BM_LeafMac(benchmark::State& state, LeafMacKey::Ghash ghash) {
  if (ghash == LeafMacKey::Ghash::kFastest && !ghash::Supported()) {
    state.SetLabel("no VPCLMULQDQ with AVX-512 here: OpenSSL's GCM");
  }
  StatusOr<LeafMacKey> key = LeafMacKey::Derive(std::string(32, '\x17'));
  if (!key.ok()) return state.SkipWithError(key.status().ToString().c_str());
  StatusOr<std::unique_ptr<LeafMac>> mac = key->NewMac(ghash);
  if (!mac.ok()) return state.SkipWithError(mac.status().ToString().c_str());
  std::string pages(kPage * kPages, '\0');
  for (size_t i = 0; i < pages.size(); ++i) pages[i] = static_cast<char>((i * 2654435761u) >> 13);
  for (auto _ : state) {
    for (size_t p = 0; p < kPages; ++p) {
      (*mac)->Add(std::string_view(pages).substr(p * kPage, kPage));
      StatusOr<std::string> digest = (*mac)->Finish();
      if (!digest.ok()) return state.SkipWithError(digest.status().ToString().c_str());
      benchmark::DoNotOptimize(*digest);
    }
  }
  state.SetBytesProcessed(state.iterations() * pages.size());
}

BENCHMARK_CAPTURE(BM_LeafMac, wide_ghash, LeafMacKey::Ghash::kFastest);
BENCHMARK_CAPTURE(BM_LeafMac, openssl_gcm, LeafMacKey::Ghash::kOpenSsl);

}  // namespace
}  // namespace cofre::bench
