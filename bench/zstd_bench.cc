// Micro-benchmarks of zstd (backup/zstd_stream.h) on the row stream of the benchmark dataset, at
// cofre's level 3: compression as the full backup does it (framed, on the calling thread), as
// one streamed frame (zstd's streaming mode), and on two background workers; and decompression,
// as restore reads data files. Input is appended in 256 KiB blocks, as DataFileWriter does.
#include <benchmark/benchmark.h>

#include "backup/zstd_stream.h"
#include "microbench_data.h"

namespace cofre::bench {
namespace {

constexpr size_t kBlock = 256 << 10;

StatusOr<std::string> Compress(const std::string& in, const ZstdOptions& options) {
  std::string out;
  ASSIGN_OR_RETURN(auto sink, NewZstdCompressSink(std::make_unique<StringSink>(&out), options));
  for (size_t off = 0; off < in.size(); off += kBlock) {
    RETURN_IF_ERROR(sink->Append(std::string_view(in).substr(off, kBlock)));
  }
  RETURN_IF_ERROR(sink->Close());
  return out;
}

// Argument: 0 framed (ZstdOptions' default frames, as data files are), 1 one streamed frame, 2
// two workers.
void BM_ZstdCompress(benchmark::State& state) {
  const std::string& in = Data().row_stream;
  ZstdOptions options;
  const std::string labels[] = {"framed " + std::to_string(options.frame_bytes >> 10) + " KiB",
                                "streamed", "2 workers"};
  if (state.range(0) == 1) options.frame_bytes = 0;
  if (state.range(0) == 2) options.workers = 2;
  size_t out_bytes = 0;
  for (auto _ : state) {
    auto out = Compress(in, options);
    if (!out.ok()) return state.SkipWithError(out.status().ToString().c_str());
    out_bytes = out->size();
  }
  state.SetLabel(labels[state.range(0)]);
  state.SetBytesProcessed(state.iterations() * in.size());
  state.counters["ratio"] = static_cast<double>(in.size()) / std::max<size_t>(1, out_bytes);
}

void BM_ZstdDecompress(benchmark::State& state) {
  const std::string& in = Data().row_stream;
  auto compressed = Compress(in, ZstdOptions{});
  if (!compressed.ok()) return state.SkipWithError(compressed.status().ToString().c_str());
  std::string buf(kBlock, '\0');
  for (auto _ : state) {
    auto src = NewZstdDecompressSource(std::make_unique<StringSource>(*compressed));
    if (!src.ok()) return state.SkipWithError(src.status().ToString().c_str());
    size_t total = 0;
    while (true) {
      auto n = (*src)->Read(buf.data(), buf.size());
      if (!n.ok()) return state.SkipWithError(n.status().ToString().c_str());
      if (*n == 0) break;
      total += *n;
    }
    if (total != in.size()) return state.SkipWithError("decompressed size differs");
  }
  state.SetBytesProcessed(state.iterations() * in.size());
}

BENCHMARK(BM_ZstdCompress)->DenseRange(0, 2)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ZstdDecompress)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cofre::bench
