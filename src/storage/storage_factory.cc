#include "storage/storage_factory.h"

#include <filesystem>
#include <system_error>

#include "storage/azure_storage.h"
#include "storage/local_storage.h"
#include "storage/s3_storage.h"
#include "util/uri.h"

namespace cofre {
namespace {

constexpr std::string_view kLocalityParam = "COCKROACH_LOCALITY";

std::string SchemeList() {
  std::string list;
  for (std::string_view s : SupportedStorageSchemes()) {
    list += (list.empty() ? "" : ", ") + std::string(s);
  }
  return list;
}

// Checks the path part of a local URI and returns it relative, without leading
// or trailing
// '/' ("" for the base directory itself).
StatusOr<std::string> LocalRelativePath(const Uri& uri, std::string_view redacted) {
  std::string_view path = uri.path;
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (uri.path.starts_with("//")) {
    return InvalidArgumentError("invalid path in storage URI '" + std::string(redacted) +
                                "': empty path segment");
  }
  size_t start = 0;
  while (!path.empty() && start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view seg = path.substr(start, slash - start);
    if (seg.empty() || seg == "." || seg == "..") {
      return InvalidArgumentError("invalid path in storage URI '" + std::string(redacted) +
                                  "': empty, '.' and '..' path segments are not allowed");
    }
    if (seg.find('\0') != std::string_view::npos) {
      return InvalidArgumentError("invalid path in storage URI '" + std::string(redacted) +
                                  "': it contains a NUL byte");
    }
    start = slash + 1;
  }
  return std::string(path);
}

StatusOr<std::unique_ptr<ExternalStorage>> OpenNodelocal(const Uri& uri,
                                                         const std::string& redacted,
                                                         const StorageContext& ctx) {
  if (uri.host.empty()) {
    return InvalidArgumentError("nodelocal URI '" + redacted +
                                "' needs a node id, e.g. nodelocal://1/backups or "
                                "nodelocal://self/backups");
  }
  if (uri.host != "1" && uri.host != "self") {
    bool numeric = uri.host.find_first_not_of("0123456789") == std::string::npos;
    return InvalidArgumentError("nodelocal URI '" + redacted + "' names " +
                                (numeric ? "node " + uri.host + ", which does not exist"
                                         : "'" + uri.host + "', which is not a node id") +
                                "; cofre runs a single node: use nodelocal://1/... or "
                                "nodelocal://self/...");
  }
  if (ctx.extern_dir.empty()) {
    return FailedPreconditionError("cannot open '" + redacted +
                                   "': nodelocal storage needs a data directory");
  }
  ASSIGN_OR_RETURN(std::string rel, LocalRelativePath(uri, redacted));
  std::error_code ec;
  std::filesystem::path base = std::filesystem::absolute(ctx.extern_dir, ec);
  if (ec) {
    return InternalError("cannot resolve the extern directory of the data directory for '" +
                         redacted + "': " + ec.message());
  }
  base = base.lexically_normal();
  std::string root = base.string();
  if (!rel.empty()) root += (root.ends_with('/') ? "" : "/") + rel;
  ASSIGN_OR_RETURN(std::unique_ptr<LocalStorage> storage, LocalStorage::New(root, redacted));
  return std::unique_ptr<ExternalStorage>(std::move(storage));
}

StatusOr<std::unique_ptr<ExternalStorage>> OpenFileScheme(const Uri& uri,
                                                          const std::string& redacted) {
  if (!uri.host.empty()) {
    return InvalidArgumentError("file URI '" + redacted +
                                "' must not name a host; use file:///absolute/path");
  }
  if (uri.path.empty()) {
    return InvalidArgumentError("file URI '" + redacted +
                                "' has no path; use file:///absolute/path");
  }
  ASSIGN_OR_RETURN(std::string rel, LocalRelativePath(uri, redacted));
  ASSIGN_OR_RETURN(std::unique_ptr<LocalStorage> storage, LocalStorage::New("/" + rel, redacted));
  return std::unique_ptr<ExternalStorage>(std::move(storage));
}

}  // namespace

const std::vector<std::string_view>& SupportedStorageSchemes() {
  static const std::vector<std::string_view> kSchemes = {"nodelocal", "file", "s3", "azure-blob",
                                                         "azure"};
  return kSchemes;
}

StatusOr<std::unique_ptr<ExternalStorage>> OpenExternalStorage(std::string_view uri,
                                                               const StorageContext& ctx) {
  const std::string redacted = RedactUri(uri);
  ASSIGN_OR_RETURN(Uri parsed, ParseUri(uri));
  if (parsed.scheme == "nodelocal" || parsed.scheme == "file") {
    RETURN_IF_ERROR(
        parsed.CheckParams({kLocalityParam}).Annotate("storage URI '" + redacted + "'"));
    if (parsed.scheme == "nodelocal") return OpenNodelocal(parsed, redacted, ctx);
    return OpenFileScheme(parsed, redacted);
  }
  // CURL_CA_BUNDLE, as curl reads it: the CAs of private endpoints and emulators.
  const std::string ca_file = ProcessEnvironment()("CURL_CA_BUNDLE").value_or("");
  if (parsed.scheme == "s3") {
    S3Settings settings;
    settings.ca_file = ca_file;
    return NewS3Storage(parsed, settings);
  }
  if (IsAzureScheme(parsed.scheme)) {
    AzureSettings settings;
    settings.env = ProcessEnvironment();  // AUTH=implicit reads the process environment
    settings.ca_file = ca_file;
    return NewAzureStorage(parsed, settings);
  }
  return InvalidArgumentError("unsupported storage scheme '" + parsed.scheme + "' in URI '" +
                              redacted + "'; supported schemes: " + SchemeList());
}

}  // namespace cofre
