// Micro-benchmarks of the streaming AEAD (crypto/streaming_aead.h): encrypting and decrypting a
// 16 MiB file in its 64 KiB AES-256-GCM chunks, written and read 64 KiB at a time, as the stored
// file layer does for every backup file.
#include <benchmark/benchmark.h>

#include "crypto/streaming_aead.h"

namespace cofre::bench {
namespace {

constexpr size_t kFileBytes = 16 << 20;
constexpr size_t kIo = 64 << 10;

// Discards what it is given.
class NullSink : public ByteSink {
 public:
  Status Append(std::string_view data) override {
    bytes_ += data.size();
    return Status::OK();
  }
  Status Close() override { return Status::OK(); }
  uint64_t BytesAppended() const override { return bytes_; }

 private:
  uint64_t bytes_ = 0;
};

const SecretBytes& Key() {
  static const SecretBytes key(std::string(32, '\x42'));
  return key;
}

std::string Plaintext() {
  std::string p(kFileBytes, '\0');
  for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<char>((i * 2654435761u) >> 13);
  return p;
}

const std::string kContext = FileContext("bench-chain", "2026/11/28-145137.12/data/1.cfd");

void BM_AeadEncrypt(benchmark::State& state) {
  const std::string plain = Plaintext();
  for (auto _ : state) {
    auto sink = NewEncryptingSink(std::make_unique<NullSink>(), Key(), kContext);
    if (!sink.ok()) return state.SkipWithError(sink.status().ToString().c_str());
    for (size_t off = 0; off < plain.size(); off += kIo) {
      Status st = (*sink)->Append(std::string_view(plain).substr(off, kIo));
      if (!st.ok()) return state.SkipWithError(st.ToString().c_str());
    }
    Status st = (*sink)->Close();
    if (!st.ok()) return state.SkipWithError(st.ToString().c_str());
  }
  state.SetBytesProcessed(state.iterations() * plain.size());
}

void BM_AeadDecrypt(benchmark::State& state) {
  const std::string plain = Plaintext();
  std::string sealed;
  {
    auto sink = NewEncryptingSink(std::make_unique<StringSink>(&sealed), Key(), kContext);
    if (!sink.ok() || !(*sink)->Append(plain).ok() || !(*sink)->Close().ok()) {
      return state.SkipWithError("cannot encrypt the input");
    }
  }
  std::string buf(kIo, '\0');
  for (auto _ : state) {
    auto src = NewDecryptingSource(std::make_unique<StringSource>(sealed), Key(), kContext);
    if (!src.ok()) return state.SkipWithError(src.status().ToString().c_str());
    size_t total = 0;
    while (true) {
      auto n = (*src)->Read(buf.data(), buf.size());
      if (!n.ok()) return state.SkipWithError(n.status().ToString().c_str());
      if (*n == 0) break;
      total += *n;
    }
    if (total != plain.size()) return state.SkipWithError("decrypted size differs");
  }
  state.SetBytesProcessed(state.iterations() * plain.size());
}

BENCHMARK(BM_AeadEncrypt)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AeadDecrypt)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cofre::bench
