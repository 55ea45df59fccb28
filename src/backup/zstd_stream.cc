#include "backup/zstd_stream.h"

// For raw-content dictionaries by reference, and copied compression dictionaries.
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "util/resize_for_overwrite.h"

namespace cofre {
namespace {

// What both compressing sinks share: the destination, the zstd context (owned), the byte count,
// and the sticky status (the first error is returned by every later call).
class CompressSinkBase : public ByteSink {
 public:
  CompressSinkBase(std::unique_ptr<ByteSink> dest, ZSTD_CCtx* cctx)
      : dest_(std::move(dest)), cctx_(cctx) {}
  ~CompressSinkBase() override { ZSTD_freeCCtx(cctx_); }
  uint64_t BytesAppended() const override { return appended_; }

 protected:
  Status Fail(size_t code) {
    status_ = InternalError(std::string("zstd compression failed: ") + ZSTD_getErrorName(code));
    return status_;
  }
  Status Forward(std::string_view compressed) { return status_ = dest_->Append(compressed); }
  // Closes the destination once everything is compressed; later calls fail.
  Status CloseDest() {
    status_ = dest_->Close();
    if (!status_.ok()) return status_;
    status_ = FailedPreconditionError("compressed stream already closed");
    return Status::OK();
  }

  std::unique_ptr<ByteSink> dest_;
  ZSTD_CCtx* cctx_;
  uint64_t appended_ = 0;
  Status status_;
};

// zstd's streaming mode: one frame for the whole stream (any context parameters, e.g. workers).
class ZstdCompressSink : public CompressSinkBase {
 public:
  ZstdCompressSink(std::unique_ptr<ByteSink> dest, ZSTD_CCtx* cctx)
      : CompressSinkBase(std::move(dest), cctx), out_(ZSTD_CStreamOutSize()) {}

  Status Append(std::string_view data) override {
    if (!status_.ok()) return status_;
    appended_ += data.size();
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    while (in.pos < in.size) {
      RETURN_IF_ERROR(Step(&in, ZSTD_e_continue).status());
    }
    return Status::OK();
  }

  Status Close() override {
    if (!status_.ok()) return status_;
    ZSTD_inBuffer in{nullptr, 0, 0};
    while (true) {
      ASSIGN_OR_RETURN(size_t remaining, Step(&in, ZSTD_e_end));
      if (remaining == 0) break;
    }
    return CloseDest();
  }

 private:
  // One compression call; forwards what it produced. Returns zstd's "bytes left to flush".
  StatusOr<size_t> Step(ZSTD_inBuffer* in, ZSTD_EndDirective mode) {
    ZSTD_outBuffer out{out_.data(), out_.size(), 0};
    size_t r = ZSTD_compressStream2(cctx_, &out, in, mode);
    if (ZSTD_isError(r)) return Fail(r);
    if (out.pos) RETURN_IF_ERROR(Forward(std::string_view(out_.data(), out.pos)));
    return r;
  }

  std::vector<char> out_;
};

// Compresses on the calling thread, one frame per `frame_bytes` of input, each compressed in one
// call from a contiguous buffer: zstd does that about a quarter faster than its streaming mode,
// whose circular window buffer makes it use its slower external-dictionary match finders. Each
// frame starts without history, which costs well under 1% of compression at 4 MiB frames.
class FramedCompressSink : public CompressSinkBase {
 public:
  FramedCompressSink(std::unique_ptr<ByteSink> dest, ZSTD_CCtx* cctx, size_t frame_bytes)
      : CompressSinkBase(std::move(dest), cctx),
        frame_bytes_(frame_bytes),
        out_size_(ZSTD_compressBound(frame_bytes)),
        out_(new char[out_size_]) {
    in_.reserve(frame_bytes_);
  }

  Status Append(std::string_view data) override {
    if (!status_.ok()) return status_;
    appended_ += data.size();
    while (!data.empty()) {
      size_t take = std::min(frame_bytes_ - in_.size(), data.size());
      in_.append(data.data(), take);
      data.remove_prefix(take);
      if (in_.size() == frame_bytes_) RETURN_IF_ERROR(CompressFrame());
    }
    return Status::OK();
  }

  Status Close() override {
    if (!status_.ok()) return status_;
    // An empty stream is still one (empty) frame: readers refuse a stream with none.
    if (!in_.empty() || frames_ == 0) RETURN_IF_ERROR(CompressFrame());
    return CloseDest();
  }

 private:
  Status CompressFrame() {
    size_t n = ZSTD_compress2(cctx_, out_.get(), out_size_, in_.data(), in_.size());
    if (ZSTD_isError(n)) return Fail(n);
    in_.clear();
    ++frames_;
    return Forward(std::string_view(out_.get(), n));
  }

  const size_t frame_bytes_;
  const size_t out_size_;
  std::unique_ptr<char[]> out_;
  std::string in_;
  uint64_t frames_ = 0;
};

// The compression parameters every cofre compressor uses, given to `set` (a context's or a
// parameter set's setter).
template <typename Set>
Status ConfigureWith(const ZstdOptions& options, Set set) {
  set(ZSTD_c_compressionLevel, options.level);
  set(ZSTD_c_checksumFlag, 1);
  for (auto [param, value, name] : {std::tuple(ZSTD_c_hashLog, options.hash_log, "hash_log"),
                                    std::tuple(ZSTD_c_chainLog, options.chain_log, "chain_log")}) {
    if (value <= 0) continue;
    size_t r = set(param, value);
    if (ZSTD_isError(r)) {
      return InvalidArgumentError("zstd " + std::string(name) + " " + std::to_string(value) +
                                  " is not supported: " + ZSTD_getErrorName(r));
    }
  }
  return Status::OK();
}

Status ConfigureCompression(ZSTD_CCtx* cctx, const ZstdOptions& options) {
  return ConfigureWith(options, [cctx](ZSTD_cParameter param, int value) {
    return ZSTD_CCtx_setParameter(cctx, param, value);
  });
}

// Makes `content` (referenced, not copied) the raw-content dictionary of the frames `dctx`
// decompresses next, replacing the one *ddict owns (freed here); empty content: none.
Status UseRawDictionary(ZSTD_DCtx* dctx, std::string_view content, ZSTD_DDict** ddict) {
  ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
  ZSTD_DCtx_refDDict(dctx, nullptr);
  ZSTD_freeDDict(*ddict);
  *ddict = nullptr;
  if (content.empty()) return Status::OK();
  *ddict = ZSTD_createDDict_advanced(content.data(), content.size(), ZSTD_dlm_byRef,
                                     ZSTD_dct_rawContent, ZSTD_defaultCMem);
  if (!*ddict) return ResourceExhaustedError("cannot allocate a zstd dictionary");
  size_t r = ZSTD_DCtx_refDDict(dctx, *ddict);
  if (ZSTD_isError(r)) {
    return InternalError(std::string("zstd dictionary refused: ") + ZSTD_getErrorName(r));
  }
  return Status::OK();
}

class ZstdDecompressSource : public ByteSource {
 public:
  ZstdDecompressSource(std::unique_ptr<ByteSource> src, ZSTD_DCtx* dctx,
                       const ZstdSourceOptions& options)
      : src_(std::move(src)),
        dctx_(dctx),
        in_buf_(ZSTD_DStreamInSize()),
        collecting_(options.first_frame_dictionary),
        max_dictionary_bytes_(options.max_dictionary_bytes) {}
  ~ZstdDecompressSource() override {
    ZSTD_freeDCtx(dctx_);
    ZSTD_freeDDict(ddict_);
  }

  StatusOr<size_t> Read(char* buf, size_t n) override {
    if (!status_.ok()) return status_;
    if (n == 0) return size_t{0};
    ZSTD_outBuffer out{buf, n, 0};
    while (out.pos == 0) {
      if (in_.pos == in_.size && !eof_) {
        auto r = src_->Read(in_buf_.data(), in_buf_.size());
        if (!r.ok()) return status_ = r.status();
        if (*r == 0) {
          eof_ = true;
        } else {
          in_ = ZSTD_inBuffer{in_buf_.data(), *r, 0};
        }
      }
      if (in_.pos == in_.size && eof_) {
        if (!frame_done_ && seen_input_) {
          return status_ = DataLossError("compressed stream is truncated");
        }
        if (!seen_input_) return status_ = DataLossError("compressed stream is empty");
        return size_t{0};
      }
      seen_input_ = true;
      const size_t before = out.pos;
      size_t r = ZSTD_decompressStream(dctx_, &out, &in_);
      if (ZSTD_isError(r)) {
        return status_ = DataLossError(std::string("compressed stream is corrupt: ") +
                                       ZSTD_getErrorName(r));
      }
      frame_done_ = (r == 0);
      if (collecting_) RETURN_IF_ERROR(status_ = Collect(buf + before, out.pos - before));
    }
    return out.pos;
  }

 private:
  // Keeps the first frame's content; once the frame is whole, decompresses the rest with it.
  Status Collect(const char* content, size_t n) {
    if (n > max_dictionary_bytes_ - dictionary_.size()) {
      return DataLossError("compressed stream is corrupt: its dictionary frame is too large");
    }
    dictionary_.append(content, n);
    if (!frame_done_) return Status::OK();
    collecting_ = false;
    return UseRawDictionary(dctx_, dictionary_, &ddict_);
  }

  std::unique_ptr<ByteSource> src_;
  ZSTD_DCtx* dctx_;
  std::vector<char> in_buf_;
  ZSTD_inBuffer in_{nullptr, 0, 0};
  bool eof_ = false;
  bool frame_done_ = false;
  bool seen_input_ = false;
  bool collecting_;  // the first frame's content is the later frames' dictionary
  const size_t max_dictionary_bytes_;
  std::string dictionary_;  // unchanged once ddict_ references it
  ZSTD_DDict* ddict_ = nullptr;
  Status status_;
};

}  // namespace

StatusOr<std::unique_ptr<ByteSink>> NewZstdCompressSink(std::unique_ptr<ByteSink> dest,
                                                        const ZstdOptions& options) {
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  if (!cctx) return ResourceExhaustedError("cannot allocate a zstd compression context");
  if (Status st = ConfigureCompression(cctx, options); !st.ok()) {
    ZSTD_freeCCtx(cctx);
    return st;
  }
  if (options.workers <= 0 && options.frame_bytes > 0) {
    return std::unique_ptr<ByteSink>(
        new FramedCompressSink(std::move(dest), cctx, options.frame_bytes));
  }
  if (options.workers > 0) {
    // Fails harmlessly (single-threaded compression) when libzstd lacks threading.
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_nbWorkers, options.workers);
  }
  return std::unique_ptr<ByteSink>(new ZstdCompressSink(std::move(dest), cctx));
}

StatusOr<std::unique_ptr<ByteSource>> NewZstdDecompressSource(std::unique_ptr<ByteSource> src,
                                                              const ZstdSourceOptions& options) {
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  if (!dctx) return ResourceExhaustedError("cannot allocate a zstd decompression context");
  // Refuse windows beyond 128 MiB so corrupt headers cannot make us allocate absurd memory.
  ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, 27);
  return std::unique_ptr<ByteSource>(new ZstdDecompressSource(std::move(src), dctx, options));
}

namespace {

// Compression contexts a thread let go of, kept for its next compressor: a context's tables
// (about 1 MiB at cofre's settings) are then allocated, and their pages faulted in, once per
// thread rather than once per data file.
class SpareContexts {
 public:
  ~SpareContexts() {
    for (ZSTD_CCtx* c : spare_) ZSTD_freeCCtx(c);
  }
  ZSTD_CCtx* Take() {
    if (spare_.empty()) return ZSTD_createCCtx();
    ZSTD_CCtx* c = spare_.back();
    spare_.pop_back();
    ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters);
    return c;
  }
  void Give(ZSTD_CCtx* c) {
    if (spare_.size() >= kKept) {
      ZSTD_freeCCtx(c);
      return;
    }
    ZSTD_CCtx_refCDict(c, nullptr);
    spare_.push_back(c);
  }

 private:
  static constexpr size_t kKept = 2;
  std::vector<ZSTD_CCtx*> spare_;
};

SpareContexts& ThreadSpareContexts() {
  thread_local SpareContexts spare;
  return spare;
}

}  // namespace

StatusOr<std::unique_ptr<ZstdFrameCompressor>> ZstdFrameCompressor::New(
    const ZstdOptions& options) {
  ZSTD_CCtx* cctx = ThreadSpareContexts().Take();
  if (!cctx) return ResourceExhaustedError("cannot allocate a zstd compression context");
  std::unique_ptr<ZstdFrameCompressor> c(new ZstdFrameCompressor(cctx, options));
  RETURN_IF_ERROR(ConfigureCompression(cctx, options));
  return c;
}

ZstdFrameCompressor::~ZstdFrameCompressor() {
  // Given back before its dictionary is freed: the context forgets it first.
  ThreadSpareContexts().Give(static_cast<ZSTD_CCtx*>(cctx_));
  ZSTD_freeCDict(static_cast<ZSTD_CDict*>(cdict_));
}

Status ZstdFrameCompressor::UseDictionary(std::string_view content) {
  auto* cctx = static_cast<ZSTD_CCtx*>(cctx_);
  ZSTD_CCtx_reset(cctx, ZSTD_reset_session_only);
  ZSTD_CCtx_refCDict(cctx, nullptr);
  ZSTD_freeCDict(static_cast<ZSTD_CDict*>(cdict_));
  cdict_ = nullptr;
  if (content.empty()) return Status::OK();
  // The dictionary's tables take the context's level and table sizes, and each frame starts
  // from a copy of them: searching them in place instead ("attaching") costs 20-30% more
  // compression time (docs/performance.md).
  std::unique_ptr<ZSTD_CCtx_params, size_t (*)(ZSTD_CCtx_params*)> params(ZSTD_createCCtxParams(),
                                                                          ZSTD_freeCCtxParams);
  if (!params) return ResourceExhaustedError("cannot allocate zstd parameters");
  RETURN_IF_ERROR(ConfigureWith(options_, [&params](ZSTD_cParameter param, int value) {
    return ZSTD_CCtxParams_setParameter(params.get(), param, value);
  }));
  ZSTD_CDict* cdict =
      ZSTD_createCDict_advanced2(content.data(), content.size(), ZSTD_dlm_byRef,
                                 ZSTD_dct_rawContent, params.get(), ZSTD_defaultCMem);
  if (!cdict) return ResourceExhaustedError("cannot build a zstd dictionary");
  cdict_ = cdict;
  for (size_t r : {ZSTD_CCtx_setParameter(cctx, ZSTD_c_forceAttachDict, ZSTD_dictForceCopy),
                   ZSTD_CCtx_refCDict(cctx, cdict)}) {
    if (ZSTD_isError(r)) {
      return InternalError(std::string("zstd dictionary refused: ") + ZSTD_getErrorName(r));
    }
  }
  return Status::OK();
}

Status ZstdFrameCompressor::Compress(std::string_view in, std::string* out) {
  ResizeForOverwrite(out, ZSTD_compressBound(in.size()));
  size_t n = ZSTD_compress2(static_cast<ZSTD_CCtx*>(cctx_), out->data(), out->size(), in.data(),
                            in.size());
  if (ZSTD_isError(n)) {
    return InternalError(std::string("zstd compression failed: ") + ZSTD_getErrorName(n));
  }
  out->resize(n);
  return Status::OK();
}

StatusOr<std::unique_ptr<ZstdFrameDecompressor>> ZstdFrameDecompressor::New() {
  ZSTD_DCtx* dctx = ZSTD_createDCtx();
  if (!dctx) return ResourceExhaustedError("cannot allocate a zstd decompression context");
  ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, 27);
  return std::unique_ptr<ZstdFrameDecompressor>(new ZstdFrameDecompressor(dctx));
}

ZstdFrameDecompressor::~ZstdFrameDecompressor() {
  ZSTD_freeDCtx(static_cast<ZSTD_DCtx*>(dctx_));
  ZSTD_freeDDict(static_cast<ZSTD_DDict*>(ddict_));
}

Status ZstdFrameDecompressor::UseDictionary(std::string_view content) {
  auto* ddict = static_cast<ZSTD_DDict*>(ddict_);
  Status st = UseRawDictionary(static_cast<ZSTD_DCtx*>(dctx_), content, &ddict);
  ddict_ = ddict;
  return st;
}

namespace {

// Checks that `in` is one whole zstd frame stating `size` bytes of content, before anything is
// allocated for it.
Status CheckSingleFrame(std::string_view in, size_t size) {
  unsigned long long content = ZSTD_getFrameContentSize(in.data(), in.size());
  if (content == ZSTD_CONTENTSIZE_ERROR || content == ZSTD_CONTENTSIZE_UNKNOWN || content != size) {
    return DataLossError("a compressed frame is corrupt or not the size its index says");
  }
  size_t frame = ZSTD_findFrameCompressedSize(in.data(), in.size());
  if (ZSTD_isError(frame) || frame != in.size()) {
    return DataLossError("a compressed frame is corrupt or not the length its index says");
  }
  return Status::OK();
}

Status FrameError(size_t code) {
  return DataLossError(std::string("a compressed frame is corrupt: ") +
                       (ZSTD_isError(code) ? ZSTD_getErrorName(code) : "short"));
}

}  // namespace

Status ZstdFrameDecompressor::Decompress(std::string_view in, size_t size, std::string* out) {
  RETURN_IF_ERROR(CheckSingleFrame(in, size));
  ResizeForOverwrite(out, size);
  size_t n = ZSTD_decompressDCtx(static_cast<ZSTD_DCtx*>(dctx_), out->data(), out->size(),
                                 in.data(), in.size());
  if (ZSTD_isError(n) || n != size) return FrameError(n);
  return Status::OK();
}

Status ZstdFrameDecompressor::DecompressPrefix(
    std::string_view in, size_t size, size_t step,
    const std::function<size_t(std::string_view)>& enough, std::string* out) {
  RETURN_IF_ERROR(CheckSingleFrame(in, size));
  auto* dctx = static_cast<ZSTD_DCtx*>(dctx_);
  ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
  ResizeForOverwrite(out, size);
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  ZSTD_outBuffer dst{out->data(), 0, 0};
  while (true) {
    dst.size = std::min(size, dst.pos + step);
    size_t ret = 0;
    // Fill this step (or reach the frame's end).
    do {
      ret = ZSTD_decompressStream(dctx, &dst, &src);
      if (ZSTD_isError(ret)) return FrameError(ret);
    } while (ret != 0 && dst.pos < dst.size && src.pos < src.size);
    if (ret == 0) {  // the frame ended (its checksum checked)
      if (dst.pos != size || src.pos != src.size) return FrameError(0);
      return Status::OK();
    }
    if (dst.pos < dst.size) return FrameError(0);  // input ran out inside the frame
    if (dst.pos == size) {
      // All the content is out; what remains is the frame's end (its checksum): finish it.
      ZSTD_outBuffer none{nullptr, 0, 0};
      while (ret != 0) {
        ret = ZSTD_decompressStream(dctx, &none, &src);
        if (ZSTD_isError(ret)) return FrameError(ret);
        if (ret != 0 && src.pos == src.size) return FrameError(0);
      }
      return Status::OK();
    }
    if (const size_t keep = enough(std::string_view(out->data(), dst.pos)); keep > 0) {
      out->resize(std::min(keep, dst.pos));
      ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
      return Status::OK();
    }
  }
}

}  // namespace cofre
