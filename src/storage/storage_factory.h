// OpenExternalStorage: turns a storage URI from SQL (BACKUP ... INTO '<uri>')
// into an ExternalStorage.
//
// Schemes:
//   nodelocal://<node>/path  a directory under StorageContext::extern_dir;
//                            <node> is "1" or "self" (cofre is a single node,
//                            node 1).
//   file:///abs/path         an absolute local directory; the host must be
//                            empty.
//   s3://bucket/path?...     an S3 bucket (storage/s3_storage.h lists the
//                            parameters), with default S3Settings.
//   azure-blob://container/path?...  (or azure://) an Azure Blob Storage container
//                            (storage/azure_storage.h), with default AzureSettings and the
//                            process environment for AUTH=implicit.
// For s3 and azure, CURL_CA_BUNDLE (as curl reads it) names a PEM file of the CAs to verify
// https:// endpoints with instead of the system's.
// Other schemes (userfile, gs, http, ...) are refused with
// InvalidArgument naming the scheme and listing the supported ones. The only
// query parameter nodelocal and file accept is COCKROACH_LOCALITY (consumed by
// the backup layer). A malformed URI is InvalidArgument; every message shows
// the URI redacted (util/uri.h RedactUri), never a secret.
//
// Opening a local storage does no I/O: a missing directory reads as empty and
// is created on first write.
//
// Thread-safety: OpenExternalStorage is thread-safe.
#ifndef COFRE_STORAGE_STORAGE_FACTORY_H_
#define COFRE_STORAGE_STORAGE_FACTORY_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/external_storage.h"
#include "util/status.h"

namespace cofre {

struct StorageContext {
  // <data dir>/extern: where nodelocal:// URIs resolve. A relative path is
  // taken relative to the current directory. May be empty when no nodelocal URI
  // is opened.
  std::string extern_dir;
};

// The URI schemes OpenExternalStorage accepts, in the order messages list them.
const std::vector<std::string_view>& SupportedStorageSchemes();

// Opens the storage named by `uri`. InvalidArgument for a malformed URI, an
// unsupported scheme, an unknown parameter, a bad node id or an unsafe path;
// FailedPrecondition for a nodelocal URI when `ctx.extern_dir` is empty.
StatusOr<std::unique_ptr<ExternalStorage>> OpenExternalStorage(std::string_view uri,
                                                               const StorageContext& ctx);

}  // namespace cofre

#endif  // COFRE_STORAGE_STORAGE_FACTORY_H_
