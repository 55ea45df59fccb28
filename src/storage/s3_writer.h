// S3Writer: a ByteSink that publishes one S3 object on Close().
//
// States (numbered as the transitions happen):
//   1. Buffering: bytes collect in one part buffer. Close() here sends one PutObject.
//   2. Multipart: the first full buffer starts a multipart upload; each full buffer becomes a
//      part uploaded by a worker thread, at most `max_parts_in_flight` at once (Append waits for
//      the oldest when the limit is reached). Close() uploads the tail, waits for every part
//      and completes the upload.
//   3. Closed: Close() ran (successfully or not). Append/Close return FailedPrecondition.
//   4. Failed: any error is sticky: later calls return it; the upload is aborted.
// Invariants: parts are numbered 1, 2, ... in append order; all but the last are at least
// part_size bytes; part sizes double every 2500 parts so 10 000 parts reach 37 500 x part_size.
// A writer destroyed before a successful Close() waits for its workers and aborts the upload,
// so nothing is published and no parts are left behind.
// Thread-safety: single-threaded object (its workers are internal).
#ifndef COFRE_STORAGE_S3_WRITER_H_
#define COFRE_STORAGE_S3_WRITER_H_

#include <deque>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "storage/s3_client.h"
#include "util/stream.h"

namespace cofre {

class S3Writer : public ByteSink {
 public:
  static constexpr int kMaxParts = 10'000;
  static constexpr int kPartsPerSizeStep = 2'500;

  S3Writer(std::shared_ptr<S3Client> client, std::string key, std::string storage_class,
           size_t part_size, int max_parts_in_flight);
  ~S3Writer() override;

  Status Append(std::string_view data) override;
  Status Close() override;
  uint64_t BytesAppended() const override { return appended_; }

  // The size of part `number` (1-based) for a base part size.
  static size_t PartSize(size_t base, int number);

 private:
  struct InFlight {
    int number;
    std::future<StatusOr<std::string>> etag;
  };

  // Sends the buffer as the next part (starting the multipart upload first if needed).
  Status FlushPart();
  // Waits for the oldest in-flight part and records its ETag.
  Status WaitOldest();
  Status WaitAll();
  // Records `s` as the sticky error and aborts the upload (once).
  Status Fail(Status s);
  void AbortUpload();

  std::shared_ptr<S3Client> client_;
  const std::string key_;
  const std::string storage_class_;
  const size_t base_part_size_;
  const int max_in_flight_;

  std::string buffer_;
  uint64_t appended_ = 0;
  std::string upload_id_;
  int next_part_ = 1;
  std::deque<InFlight> in_flight_;
  std::vector<S3CompletedPart> done_;
  Status status_;
  bool closed_ = false;
  bool published_ = false;
};

}  // namespace cofre

#endif  // COFRE_STORAGE_S3_WRITER_H_
