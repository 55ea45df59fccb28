// S3Storage: ExternalStorage on an S3 bucket (AWS or any S3-compatible service).
//
// URI: s3://bucket/base/path?AWS_ACCESS_KEY_ID=..&AWS_SECRET_ACCESS_KEY=..&AWS_SESSION_TOKEN=..
//        &AWS_REGION=..&AWS_ENDPOINT=http://127.0.0.1:9000&AWS_USE_PATH_STYLE=true
//        &AUTH=specified|implicit&S3_STORAGE_CLASS=..&COCKROACH_LOCALITY=..
// (COCKROACH_LOCALITY is accepted and left to the backup layer.) AUTH defaults to specified,
// which needs the key pair in the URI; implicit reads the environment and ~/.aws files (see
// util/aws_credentials.h). AWS_REGION defaults to the implicit region or us-east-1. Path-style
// addressing is used when AWS_USE_PATH_STYLE=true or the endpoint host is an IP address or
// "localhost"; otherwise virtual-hosted (bucket.host).
//
// Objects: writers buffer one part (S3Settings::part_size); an object smaller than that is one
// PUT at Close(), a larger one a multipart upload with at most max_parts_in_flight parts
// uploading at once (so a writer holds at most (max_parts_in_flight + 1) parts in memory). A
// failed or abandoned multipart upload is aborted. Readers learn the size and ETag with HEAD,
// then read with ranged GETs pinned to that ETag, so an object replaced mid-read is
// FailedPrecondition, never a mix. Sequential reads are one GET to the object's end, pulled as
// the reader reads (storage/ranged_reader.h): a reader holds no window of the object.
// Errors: see storage/s3_client.h; all messages show the URI redacted (RedactedUri()).
// Thread-safety: as ExternalStorage: the storage is thread-safe; its readers and writers are
// single-threaded objects and may outlive the storage.
#ifndef COFRE_STORAGE_S3_STORAGE_H_
#define COFRE_STORAGE_S3_STORAGE_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "storage/external_storage.h"
#include "storage/s3_client.h"
#include "util/aws_credentials.h"
#include "util/retry.h"
#include "util/uri.h"

namespace cofre {

struct S3Settings {
  // A writer holds at most (max_parts_in_flight + 1) parts: 15 MiB by default, which keeps a
  // backup with two export threads under 64 MiB of peak RSS (docs/storage.md, "Memory").
  size_t part_size = 5 << 20;   // multipart part size; >= 5 MiB (S3's minimum)
  int max_parts_in_flight = 2;  // concurrent part uploads per writer
  int list_page_size = 1000;    // max-keys per ListObjectsV2 request (1..1000)
  RetrySettings retry;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds stall_timeout{60'000};
  EnvLookup env = ProcessEnvironment();  // for AUTH=implicit and the default region
  // PEM file of the CAs that https:// endpoints are verified with; empty: the system's. The
  // storage factory takes it from CURL_CA_BUNDLE, as curl does.
  std::string ca_file;

  // InvalidArgument naming the first out-of-range field.
  Status Validate() const;
};

class S3Storage : public ExternalStorage {
 public:
  S3Storage(std::shared_ptr<S3Client> client, std::string base_prefix, std::string storage_class,
            S3Settings settings, std::string redacted_uri);

  std::string RedactedUri() const override { return redacted_uri_; }
  StatusOr<std::unique_ptr<ByteSink>> NewWriter(const std::string& path) override;
  using ExternalStorage::NewReader;
  StatusOr<std::unique_ptr<RandomAccessSource>> NewReader(const std::string& path,
                                                          const ReaderOptions& options) override;
  StatusOr<uint64_t> Size(const std::string& path) override;
  // One GET, no HEAD first.
  StatusOr<std::string> ReadSmall(const std::string& path, size_t max_bytes) override;
  Status List(const std::string& prefix, const std::string& delimiter,
              const std::function<Status(const ListEntry&)>& fn) override;
  Status Delete(const std::string& path) override;

  // Deletes many objects with batched DeleteObjects requests (absent ones are fine).
  Status DeleteMany(const std::vector<std::string>& paths);

  S3Client& client() { return *client_; }
  // The key prefix of this storage's base path ("" or "base/path/").
  const std::string& base_prefix() const { return base_prefix_; }

 private:
  StatusOr<std::string> KeyFor(const std::string& path) const;

  std::shared_ptr<S3Client> client_;
  std::string base_prefix_;
  std::string storage_class_;
  S3Settings settings_;
  std::string redacted_uri_;
};

// The query parameters an s3:// URI accepts.
const std::vector<std::string_view>& S3UriParams();

// Opens the storage for an s3:// URI. InvalidArgument for unknown parameters (all named), a bad
// endpoint, bucket or option; credential errors as util/aws_credentials.h. Does no I/O.
StatusOr<std::unique_ptr<ExternalStorage>> NewS3Storage(const Uri& uri, const S3Settings& settings);
// The same, returning the concrete type (for tests and tools that need DeleteMany or client()).
StatusOr<std::unique_ptr<S3Storage>> OpenS3Storage(const Uri& uri, const S3Settings& settings);

}  // namespace cofre

#endif  // COFRE_STORAGE_S3_STORAGE_H_
