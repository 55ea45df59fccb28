// AzureBlobClient: the Blob service REST operations cofre needs, on one container, authorized
// with Shared Key, a SAS token or an Azure AD bearer token, and retried.
//
// Every operation retries Unavailable outcomes (network errors, HTTP 5xx, 408, 429, ServerBusy,
// OperationTimedOut) with the configured RetrySettings; other failures return at once:
//   401/403                      -> PermissionDenied "Azure rejected the credentials for ..."
//   404 ContainerNotFound        -> NotFound naming the container
//   404 otherwise                -> NotFound naming the blob
//   412 (If-Match failed)        -> FailedPrecondition (the blob changed while being read)
//   other 4xx                    -> InvalidArgument / FailedPrecondition with the service's code
// The error code comes from the x-ms-error-code header (HEAD answers have no body), else from the
// <Error> document. Messages name blobs as azure-blob://container/name and the storage as
// <display> (the redacted URI); they never contain keys, signatures, SAS tokens or bearer tokens.
// Thread-safety: immutable after New() and safe to use from many threads; it keeps a pool of
// HTTP connections (one lent to each concurrent request).
#ifndef COFRE_STORAGE_AZURE_CLIENT_H_
#define COFRE_STORAGE_AZURE_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "storage/azure_shared_key.h"
#include "storage/azure_token.h"
#include "storage/azure_xml.h"
#include "storage/object_requests.h"
#include "util/http_client.h"
#include "util/retry.h"
#include "util/status.h"

namespace cofre {

// Exactly one way to authorize requests.
struct AzureAuth {
  std::optional<AzureSharedKey> shared_key;
  std::string sas_token;                           // query string without '?'; wiped on exit
  std::shared_ptr<AzureTokenSource> token_source;  // Azure AD bearer tokens
};

struct AzureClientConfig {
  // "scheme://host[:port][/path]" of the account's blob service, e.g.
  // https://myaccount.blob.core.windows.net or http://127.0.0.1:10000/devstoreaccount1.
  std::string endpoint;
  std::string account;
  std::string container;
  AzureAuth auth;
  RetrySettings retry;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds stall_timeout{60'000};
  std::string ca_file;  // HttpRequest::ca_file
  std::string display;  // how messages name this storage (the redacted URI)
};

struct AzureBlobInfo {
  uint64_t size = 0;
  std::string etag;
};

class AzureBlobClient {
 public:
  // The API version sent as x-ms-version.
  static constexpr const char* kApiVersion = "2021-08-06";
  // Put Block List accepts at most this many blocks.
  static constexpr int kMaxBlocks = 50'000;

  // Validates the endpoint and container name (InvalidArgument naming them).
  static StatusOr<std::unique_ptr<AzureBlobClient>> New(AzureClientConfig config);
  ~AzureBlobClient();

  const AzureClientConfig& config() const { return config_; }

  // Creates the container (tests and tools); OK when it exists already.
  Status CreateContainer();
  // Get Blob Properties: size and ETag; NotFound naming the blob or the container.
  StatusOr<AzureBlobInfo> GetProperties(const std::string& name);
  // All of blob `name` in one Get Blob (no Get Blob Properties first). NotFound naming the blob
  // or the container; ResourceExhausted when its body passes `max_bytes`.
  StatusOr<std::string> GetBlob(const std::string& name, size_t max_bytes);
  // Reads bytes [offset, offset + n) of `name` into `out`, resuming after a retried failure
  // without re-delivering bytes. Returns the count read (less than n only at the blob's end).
  // Each response is checked against `pin` (not null; CheckPinnedResponse): its If-Match ETag, once
  // known, makes a changed blob FailedPrecondition; a size other than pin->size is DataLoss.
  StatusOr<size_t> GetRange(const std::string& name, uint64_t offset, size_t n,
                            std::shared_ptr<ObjectPin> pin, char* out);
  // Bytes [offset, offset + n) of blob `name` as a stream: one Get Blob, read as the caller
  // reads, resumed where it stopped after a retried failure (NewRangeStream), checked against `pin`
  // as GetRange's responses are. The client must outlive the stream.
  std::unique_ptr<ByteSource> OpenRange(const std::string& name, uint64_t offset, uint64_t n,
                                        std::shared_ptr<ObjectPin> pin);
  // One List Blobs page (max_results 1..5000).
  StatusOr<AzureListPage> ListBlobs(const std::string& prefix, const std::string& delimiter,
                                    const std::string& marker, int max_results);
  // Put Blob (a block blob in one request).
  Status PutBlob(const std::string& name, std::string_view body);
  // Put Block: stages `body` under `block_id` (base64, the same length for every block of a blob).
  Status PutBlock(const std::string& name, const std::string& block_id, std::string_view body);
  // Put Block List: commits the staged blocks, in order, as the blob's content.
  Status PutBlockList(const std::string& name, const std::vector<std::string>& block_ids);
  // Delete Blob; deleting an absent blob succeeds (an absent container does not).
  Status DeleteBlob(const std::string& name);

  // True for the NotFound this client returns when the container is missing.
  static bool IsMissingContainer(const Status& s);

  // "azure-blob://container/name", how messages name a blob.
  std::string Describe(const std::string& name) const;

 private:
  struct Op;
  explicit AzureBlobClient(AzureClientConfig config) : config_(std::move(config)) {}

  // The authorized HTTP request of one attempt of `op` (it carries credentials: wipe it after).
  StatusOr<HttpRequest> AuthorizedRequest(const Op& op) const;
  // Sends one authorized attempt of `op` (no retries). Non-2xx statuses are returned as a
  // response.
  StatusOr<HttpResponse> SendOnce(const Op& op, const HttpBodyCallback* on_body);
  // Opens one authorized attempt of `op`, a GET, its body not read yet (HttpClient::Open).
  StatusOr<std::unique_ptr<HttpBodyStream>> OpenOnce(const Op& op);
  Status ErrorFor(const Op& op, const HttpResponse& response) const;
  // SendOnce + ErrorFor, retried. The returned response is 2xx.
  StatusOr<HttpResponse> Execute(const Op& op);

  AzureClientConfig config_;
  std::string base_url_;   // scheme://host[:port]
  std::string base_path_;  // "" or "/devstoreaccount1"
  mutable HttpClientPool pool_;
};

}  // namespace cofre

#endif  // COFRE_STORAGE_AZURE_CLIENT_H_
