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

#include <functional>
#include <memory>

#include "util/stream.h"

namespace cofre {

struct ZstdOptions {
  int level = 3;
  int workers = 0;  // 0: compress on the calling thread
  // With workers == 0: input bytes per frame. Data files (backup/data_file_writer.h) end a frame
  // at the first record boundary past this size: an incremental backup reads back only the
  // frames of the key ranges that changed, decompressing each from its start to the last key it
  // needs, so smaller frames make small incrementals cheaper. Alone they cost size (256 KiB
  // frames: +2.3% against 1 MiB ones on the bench dataset); first_frame_dictionary gives that
  // back (docs/performance.md).
  size_t frame_bytes = 256 << 10;
  // Data files only (DataFileWriter, through ZstdFrameCompressor::UseDictionary): every frame
  // after a file's first is compressed with the first frame's content as a raw-content
  // dictionary, so a small frame still finds matches in what the file's first rows hold
  // (docs/format.md §5). Default true.
  bool first_frame_dictionary = true;
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

// Options of NewZstdDecompressSource.
struct ZstdSourceOptions {
  // The stream's frames after the first were compressed with the first frame's content as a
  // raw-content dictionary (a data file whose manifest entry says first_frame_dictionary): the
  // source keeps that content and decompresses the later frames with it. Default false.
  bool first_frame_dictionary = false;
  // With first_frame_dictionary: a first frame larger than this is DataLoss (the content is held
  // in memory for the whole stream). Default 4 MiB.
  size_t max_dictionary_bytes = 4 << 20;
};

StatusOr<std::unique_ptr<ByteSource>> NewZstdDecompressSource(
    std::unique_ptr<ByteSource> src, const ZstdSourceOptions& options = {});

// Compresses one frame at a time, each from one buffer, on the calling thread, with the
// options' level and tables and a content checksum. A thread keeps the contexts (zstd's tables)
// of up to two compressors it destroyed for the next ones it makes.
class ZstdFrameCompressor {
 public:
  static StatusOr<std::unique_ptr<ZstdFrameCompressor>> New(const ZstdOptions& options);
  ~ZstdFrameCompressor();
  // Compresses `in` as one frame into *out (replacing its contents).
  Status Compress(std::string_view in, std::string* out);
  // Compresses the frames after this call with `content` as a raw-content dictionary (zstd's
  // tables for it are built once here; each frame starts from a copy of them).
  // A decoder needs the same bytes (ZstdFrameDecompressor::UseDictionary, or
  // ZstdSourceOptions::first_frame_dictionary). `content` is referenced, not copied: it must
  // stay unchanged until the next UseDictionary or the compressor's end. Empty: none.
  Status UseDictionary(std::string_view content);

 private:
  ZstdFrameCompressor(void* cctx, const ZstdOptions& options) : cctx_(cctx), options_(options) {}
  void* cctx_;             // ZSTD_CCtx
  void* cdict_ = nullptr;  // ZSTD_CDict, or null
  ZstdOptions options_;
};

// Decompresses single frames (of ZstdFrameCompressor, or any zstd frame stating its size).
class ZstdFrameDecompressor {
 public:
  static StatusOr<std::unique_ptr<ZstdFrameDecompressor>> New();
  ~ZstdFrameDecompressor();
  // Decompresses `in`, which must be exactly one frame whose content is `size` bytes, into *out
  // (replacing its contents). Anything else (corrupt, a checksum mismatch, another size) is
  // DataLoss; nothing is allocated before the frame's header states that size.
  Status Decompress(std::string_view in, size_t size, std::string* out);

  // Decompresses the same kind of frame as Decompress, `step` bytes of content at a time (the
  // last step may be shorter). After each step that does not end the frame, `enough(content so
  // far)` returns how many leading bytes to keep, or 0 to go on: when it returns k > 0,
  // decompression stops and *out holds the first k bytes. Such a prefix is NOT checked against
  // the frame's checksum, so use it only where the compressed bytes are authenticated by other
  // means (an AEAD). A frame decompressed to its end is checked as Decompress checks it.
  // REQUIRES: step > 0; enough's result is at most the size of the content it was given.
  Status DecompressPrefix(std::string_view in, size_t size, size_t step,
                          const std::function<size_t(std::string_view)>& enough, std::string* out);
  // Decompresses the frames after this call with `content` as a raw-content dictionary (what
  // ZstdFrameCompressor::UseDictionary was given). Referenced, not copied: it must stay
  // unchanged until the next UseDictionary or the decompressor's end. Empty: none.
  Status UseDictionary(std::string_view content);

 private:
  explicit ZstdFrameDecompressor(void* dctx) : dctx_(dctx) {}
  void* dctx_;             // ZSTD_DCtx
  void* ddict_ = nullptr;  // ZSTD_DDict, or null
};

}  // namespace cofre

#endif  // COFRE_BACKUP_ZSTD_STREAM_H_
