// S3Client: the S3 REST operations cofre needs, on one bucket, signed with SigV4 and retried.
//
// Every operation retries Unavailable outcomes (network errors, HTTP 5xx, 429, SlowDown,
// RequestTimeout) with the configured RetrySettings; other failures return at once:
//   401/403                 -> PermissionDenied "S3 rejected the credentials for <display>: ..."
//   404 NoSuchBucket        -> NotFound naming the bucket
//   404 otherwise           -> NotFound naming the object
//   412 (If-Match failed)   -> FailedPrecondition (the object changed while being read)
//   other 4xx               -> InvalidArgument / FailedPrecondition with S3's code and message
// Messages name objects as s3://bucket/key and the storage as <display> (the redacted storage
// URI); they never contain credentials or signatures.
// Thread-safety: an S3Client is immutable after New() and safe to use from many threads; it
// keeps a pool of HTTP connections (one lent to each concurrent request).
#ifndef COFRE_STORAGE_S3_CLIENT_H_
#define COFRE_STORAGE_S3_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/object_requests.h"
#include "storage/s3_xml.h"
#include "util/aws_credentials.h"
#include "util/http_client.h"
#include "util/retry.h"
#include "util/status.h"

namespace cofre {

struct S3ClientConfig {
  // "scheme://host[:port]" (http or https, no path). Empty: https://s3.<region>.amazonaws.com.
  std::string endpoint;
  std::string bucket;
  std::string region = "us-east-1";
  bool path_style = false;  // "/bucket/key" instead of "bucket.host/key"
  AwsCredentials credentials;
  RetrySettings retry;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds stall_timeout{60'000};
  std::string ca_file;  // HttpRequest::ca_file
  // How messages name this storage (the redacted URI).
  std::string display;
};

struct S3ObjectInfo {
  uint64_t size = 0;
  std::string etag;
};

class S3Client {
 public:
  // Validates the endpoint and bucket name (InvalidArgument naming them).
  static StatusOr<std::unique_ptr<S3Client>> New(S3ClientConfig config);

  const S3ClientConfig& config() const { return config_; }

  // Creates the bucket (tests and tools). AlreadyExists if it exists and is someone else's;
  // OK if this account already owns it.
  Status CreateBucket();
  // HEAD on the bucket: OK, NotFound naming the bucket, PermissionDenied, ...
  Status HeadBucket();

  // Uploads `body` as `key` in one request. `storage_class` may be empty.
  Status PutObject(const std::string& key, std::string_view body, const std::string& storage_class);
  // Size and ETag of `key`; NotFound (naming the bucket when it is the bucket that is missing).
  StatusOr<S3ObjectInfo> HeadObject(const std::string& key);
  // All of `key` in one GET (no HEAD first). NotFound when absent (naming the bucket when it is
  // the bucket that is missing); ResourceExhausted when its body passes `max_bytes`.
  StatusOr<std::string> GetObject(const std::string& key, size_t max_bytes);
  // Reads bytes [offset, offset + n) of `key` into `out`, resuming after a retried failure
  // without re-delivering bytes. Returns the count read (less than n only at the object's end).
  // Each response is checked against `pin` (not null; CheckPinnedResponse): its If-Match ETag, once
  // known, makes a changed object FailedPrecondition; a size other than pin->size is DataLoss.
  StatusOr<size_t> GetRange(const std::string& key, uint64_t offset, size_t n,
                            std::shared_ptr<ObjectPin> pin, char* out);
  // Bytes [offset, offset + n) of `key` as a stream: one GET, read as the caller reads,
  // resumed where it stopped after a retried failure (NewRangeStream), checked against `pin` as
  // GetRange's responses are. The client must outlive the stream.
  std::unique_ptr<ByteSource> OpenRange(const std::string& key, uint64_t offset, uint64_t n,
                                        std::shared_ptr<ObjectPin> pin);

  // One ListObjectsV2 page.
  StatusOr<S3ListPage> ListObjectsV2(const std::string& prefix, const std::string& delimiter,
                                     const std::string& continuation_token, int max_keys);

  // Deletes `key`; deleting an absent key succeeds.
  Status DeleteObject(const std::string& key);
  // Deletes `keys` with DeleteObjects, 1000 per request. Fails naming the first key S3 refused.
  Status DeleteObjects(const std::vector<std::string>& keys);

  // Multipart upload. Parts are numbered from 1; all but the last must be >= 5 MiB.
  StatusOr<std::string> CreateMultipartUpload(const std::string& key,
                                              const std::string& storage_class);
  // Returns the part's ETag.
  StatusOr<std::string> UploadPart(const std::string& key, const std::string& upload_id,
                                   int part_number, std::string_view body);
  // Completes the upload. `expected_size` lets a retried completion that finds the upload
  // already finished confirm the object instead of failing.
  Status CompleteMultipartUpload(const std::string& key, const std::string& upload_id,
                                 const std::vector<S3CompletedPart>& parts, uint64_t expected_size);
  Status AbortMultipartUpload(const std::string& key, const std::string& upload_id);

  // "s3://bucket/key", how messages name an object.
  std::string Describe(const std::string& key) const;

 private:
  struct Op;
  explicit S3Client(S3ClientConfig config) : config_(std::move(config)) {}

  // The signed HTTP request of one attempt of `op`.
  HttpRequest SignedRequest(const Op& op) const;
  // Sends one signed attempt of `op` (no retries). Non-2xx statuses are returned as a response.
  StatusOr<HttpResponse> SendOnce(const Op& op, const HttpBodyCallback* on_body);
  // Maps a non-2xx response to a Status (Unavailable for retryable ones).
  Status ErrorFor(const Op& op, const HttpResponse& response) const;
  // SendOnce + ErrorFor, retried. The returned response is 2xx.
  StatusOr<HttpResponse> Execute(const Op& op);

  S3ClientConfig config_;
  std::string scheme_;     // "http" or "https"
  std::string host_port_;  // endpoint authority, e.g. "127.0.0.1:9000"
  mutable HttpClientPool pool_;
};

}  // namespace cofre

#endif  // COFRE_STORAGE_S3_CLIENT_H_
