// Zstandard streaming: a compressing ByteSink and a decompressing ByteSource.
//
// ZstdCompressSink compresses everything appended into one zstd frame (with content checksum)
// written to the destination sink; with workers > 0, zstd compresses on that many background
// threads while the caller keeps producing input (this is how a backup overlaps its scan with
// compression). Close() ends the frame and closes the destination.
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
  int workers = 0;  // 0: compress on the calling thread
};

StatusOr<std::unique_ptr<ByteSink>> NewZstdCompressSink(std::unique_ptr<ByteSink> dest,
                                                        const ZstdOptions& options);
StatusOr<std::unique_ptr<ByteSource>> NewZstdDecompressSource(std::unique_ptr<ByteSource> src);

}  // namespace cofre

#endif  // COFRE_BACKUP_ZSTD_STREAM_H_
