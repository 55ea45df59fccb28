// MultipartWriter: a ByteSink that publishes one object on Close(), uploading it in parts
// through a PartUploader (S3 multipart uploads, Azure Put Block / Put Block List).
//
// States (numbered as the transitions happen):
//   1. Buffering: bytes collect in one part buffer. Close() here sends the object in one request
//      (PartUploader::PutWhole).
//   2. Multipart: the first full buffer starts the upload (Begin); each full buffer becomes a
//      part uploaded by a worker thread, at most `max_parts_in_flight` at once (Append waits for
//      the oldest when the limit is reached). Close() uploads the tail, waits for every part
//      and completes the upload (Complete).
//   3. Closed: Close() ran (successfully or not). Append/Close return FailedPrecondition.
//   4. Failed: any error is sticky: later calls return it; the upload is aborted.
// Invariants: parts are numbered 1, 2, ... in append order; all but the last are at least
// part_size bytes; part sizes double every kPartsPerSizeStep parts (at most 3 times), so
// 10 000 parts reach 37 500 x part_size. A writer holds at most max_parts_in_flight + 1 parts in
// memory. A writer destroyed before a successful Close() waits for its workers and aborts the
// upload, so nothing is published.
// Thread-safety: single-threaded object (its workers are internal); the PartUploader's
// UploadPart must be safe to call from several threads at once.
#ifndef COFRE_STORAGE_MULTIPART_WRITER_H_
#define COFRE_STORAGE_MULTIPART_WRITER_H_

#include <deque>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "util/status.h"
#include "util/stream.h"

namespace cofre {

struct UploadedPart {
  int number = 0;  // 1-based
  std::string id;  // what Complete needs to name the part (S3: ETag; Azure: block id)
};

// One object's upload on one service.
class PartUploader {
 public:
  virtual ~PartUploader() = default;
  // How messages name the object ("s3://bucket/key").
  virtual std::string Describe() const = 0;
  // The most parts one object may have.
  virtual int MaxParts() const = 0;
  // Writes a whole (small) object in one request.
  virtual Status PutWhole(std::string_view body) = 0;
  // Starts a multipart upload; called once, before any UploadPart.
  virtual Status Begin() = 0;
  // Uploads part `number`; returns its id. Called from worker threads, concurrently.
  virtual StatusOr<std::string> UploadPart(int number, std::string_view body) = 0;
  // Publishes the object from `parts` (sorted by number) totalling `total_size` bytes.
  virtual Status Complete(const std::vector<UploadedPart>& parts, uint64_t total_size) = 0;
  // Best effort: discards a begun, unpublished upload.
  virtual void Abort() = 0;
};

class MultipartWriter : public ByteSink {
 public:
  static constexpr int kPartsPerSizeStep = 2'500;

  MultipartWriter(std::shared_ptr<PartUploader> uploader, size_t part_size,
                  int max_parts_in_flight);
  ~MultipartWriter() override;

  Status Append(std::string_view data) override;
  Status Close() override;
  uint64_t BytesAppended() const override { return appended_; }

  // The size of part `number` (1-based) for a base part size.
  static size_t PartSize(size_t base, int number);

 private:
  struct InFlight {
    int number;
    std::future<StatusOr<std::string>> id;
  };

  // Sends the buffer as the next part (starting the multipart upload first if needed).
  Status FlushPart();
  // Waits for the oldest in-flight part and records its id.
  Status WaitOldest();
  Status WaitAll();
  // Records `s` as the sticky error and aborts the upload (once).
  Status Fail(Status s);
  void AbortUpload();

  std::shared_ptr<PartUploader> uploader_;
  const size_t base_part_size_;
  const int max_in_flight_;

  std::string buffer_;
  uint64_t appended_ = 0;
  bool begun_ = false;
  int next_part_ = 1;
  std::deque<InFlight> in_flight_;
  std::vector<UploadedPart> done_;
  Status status_;
  bool closed_ = false;
  bool published_ = false;
};

}  // namespace cofre

#endif  // COFRE_STORAGE_MULTIPART_WRITER_H_
