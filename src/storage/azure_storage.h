// AzureStorage: ExternalStorage on an Azure Blob Storage container.
//
// URI (CockroachDB's form; azure:// is the older alias of azure-blob://):
//   azure-blob://<container>/<base path>?AZURE_ACCOUNT_NAME=..&<credentials>&AZURE_ENVIRONMENT=..
//     &AZURE_BLOB_ENDPOINT=..&AZURE_AUTHORITY_HOST=..&ALLOW_INSECURE_HTTP=true|false
//     &AUTH=specified|implicit&COCKROACH_LOCALITY=..
// Credentials (AUTH=specified, the default; exactly one of):
//   AZURE_ACCOUNT_KEY                                 Shared Key (the account's base64 key)
//   AZURE_SAS_TOKEN                                   a shared access signature ("sv=..&sig=..")
//   AZURE_CLIENT_ID, AZURE_CLIENT_SECRET, AZURE_TENANT_ID
//                                                     an Azure AD service principal (OAuth2
//                                                     client credentials, then bearer tokens)
// AUTH=implicit takes them from the environment instead (AzureSettings::env): AZURE_CLIENT_ID +
// AZURE_CLIENT_SECRET + AZURE_TENANT_ID, else AZURE_STORAGE_KEY, else AZURE_STORAGE_SAS_TOKEN;
// the account from AZURE_ACCOUNT_NAME or AZURE_STORAGE_ACCOUNT, the authority host from
// AZURE_AUTHORITY_HOST. AZURE_ENVIRONMENT (AzurePublicCloud — the default —,
// AzureUSGovernmentCloud, AzureChinaCloud, AzureGermanCloud) picks the endpoint suffix
// (https://<account>.blob.<suffix>) and the AD authority host. AZURE_BLOB_ENDPOINT replaces the
// blob endpoint (Azurite: http://127.0.0.1:10000/devstoreaccount1; private endpoints). A plain
// http:// endpoint or authority host is refused off loopback unless ALLOW_INSECURE_HTTP=true.
// (COCKROACH_LOCALITY is accepted and left to the backup layer.)
//
// Blobs: writers upload through storage/multipart_writer.h: a blob smaller than one block is one
// Put Blob at Close(), a larger one Put Block per block_size bytes (at most
// max_blocks_in_flight at once) and Put Block List at Close(); nothing is visible before that,
// and staged blocks of an abandoned writer are never committed (the service discards them).
// Readers learn the size and ETag with Get Blob Properties, then read with ranged Get Blob
// pinned to that ETag: sequential reads are one Get Blob to the blob's end, pulled as the reader
// reads, and hold no window of the blob (storage/ranged_reader.h).
// Errors: see storage/azure_client.h; all messages show the URI redacted (RedactedUri()).
// Thread-safety: as ExternalStorage: the storage is thread-safe; its readers and writers are
// single-threaded objects and may outlive the storage.
#ifndef COFRE_STORAGE_AZURE_STORAGE_H_
#define COFRE_STORAGE_AZURE_STORAGE_H_

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/azure_client.h"
#include "storage/external_storage.h"
#include "util/aws_credentials.h"
#include "util/retry.h"
#include "util/uri.h"

namespace cofre {

struct AzureSettings {
  size_t block_size = 4 << 20;   // Put Block size; 64 KiB .. 512 MiB
  int max_blocks_in_flight = 2;  // concurrent Put Block requests per writer
  int list_page_size = 5000;     // maxresults per List Blobs request (1..5000)
  RetrySettings retry;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds stall_timeout{60'000};
  // PEM file of the CAs that https:// endpoints are verified with (blob service and Azure AD);
  // empty: the system's. The storage factory takes it from CURL_CA_BUNDLE, as curl does.
  std::string ca_file;
  // Where AUTH=implicit finds its variables. Empty (the default): AUTH=implicit is refused;
  // the storage factory passes the process environment.
  EnvLookup env;

  // InvalidArgument naming the first out-of-range field.
  Status Validate() const;
};

class AzureStorage : public ExternalStorage {
 public:
  AzureStorage(std::shared_ptr<AzureBlobClient> client, std::string base_prefix,
               AzureSettings settings, std::string redacted_uri);

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

  AzureBlobClient& client() { return *client_; }
  const std::string& base_prefix() const { return base_prefix_; }

 private:
  StatusOr<std::string> NameFor(const std::string& path) const;
  // Get Blob Properties of `path`; a missing blob is NotFound naming the path in this storage.
  StatusOr<AzureBlobInfo> Properties(const std::string& path) const;

  std::shared_ptr<AzureBlobClient> client_;
  std::string base_prefix_;  // "" or "base/path/"
  AzureSettings settings_;
  std::string redacted_uri_;
};

// The query parameters an azure-blob:// URI accepts.
const std::vector<std::string_view>& AzureUriParams();
// True for "azure-blob" and "azure".
bool IsAzureScheme(std::string_view scheme);

// Opens the storage for an azure-blob:// (or azure://) URI. InvalidArgument for unknown
// parameters (all named), missing or conflicting credentials, a bad container, environment or
// endpoint; FailedPrecondition when AUTH=implicit finds nothing. Does no I/O (an AD token is
// requested on first use).
StatusOr<std::unique_ptr<ExternalStorage>> NewAzureStorage(const Uri& uri,
                                                           const AzureSettings& settings);
// The same, returning the concrete type (for tests and tools that need client()).
StatusOr<std::unique_ptr<AzureStorage>> OpenAzureStorage(const Uri& uri,
                                                         const AzureSettings& settings);

}  // namespace cofre

#endif  // COFRE_STORAGE_AZURE_STORAGE_H_
