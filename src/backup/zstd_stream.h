// Zstandard streaming: a compressing ByteSink and a decompressing ByteSource.
//
// The compressing sink writes zstd frames (with content checksums) to the destination sink.
// With workers > 0 everything appended is one frame that zstd compresses on that many background
// threads while the caller keeps producing input. With workers == 0 it compresses on the calling
// thread, one frame per frame_bytes of input (each compressed from one contiguous buffer, which
// is much faster than zstd's streaming mode; 0: one streamed frame). Close() ends the last frame
// and closes the destination. Memory: about 2 x frame_bytes plus zstd's window, per sink.
// ZstdDecompressSource yields the decompressed bytes of a source holding one or more frames;
// corrupt or truncated input is DataLoss. Memory is bounded by zstd's window, never the file.
// Thread-safety: one thread at a time per object; errors are sticky.
#ifndef COFRE_BACKUP_ZSTD_STREAM_H_
#define COFRE_BACKUP_ZSTD_STREAM_H_

#include <memory>

#include "util/stream.h"

namespace cofre {

struct ZstdOptions {
  int level = 3;
  int workers = 0;               // 0: compress on the calling thread
  size_t frame_bytes = 4 << 20;  // with workers == 0: input bytes per frame
  // log2 of the entries of zstd's two match-finder hash tables (ZSTD_c_hashLog and
  // ZSTD_c_chainLog; 0: what `level` uses). Level 3's own (2^17 and 2^16 four-byte entries,
  // 768 KiB) overflow a 512 KiB L2 cache, and its match search then waits on memory; these fit
  // in 384 KiB. The short-match table (chainLog) matters most for size: 2^13 entries cost
  // JSON-heavy rows +2.3% over level 3's tables, 2^15 +1.3%, for the same CPU on a 2 MiB L2
  // (docs/performance.md "Output size"). The frame format is the same: any zstd decoder reads it.
  int hash_log = 16;
  int chain_log = 15;
};

StatusOr<std::unique_ptr<ByteSink>> NewZstdCompressSink(std::unique_ptr<ByteSink> dest,
                                                        const ZstdOptions& options);
StatusOr<std::unique_ptr<ByteSource>> NewZstdDecompressSource(std::unique_ptr<ByteSource> src);

}  // namespace cofre

#endif  // COFRE_BACKUP_ZSTD_STREAM_H_
