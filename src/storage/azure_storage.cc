#include "storage/azure_storage.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstdio>

#include "storage/multipart_writer.h"
#include "storage/object_path.h"
#include "storage/ranged_reader.h"
#include "util/ascii.h"
#include "util/base64.h"

namespace cofre {
namespace {

constexpr size_t kMinBlockSize = 64 << 10;
constexpr size_t kMaxBlockSize = size_t{512} << 20;

struct AzureCloud {
  std::string_view name;
  std::string_view blob_suffix;     // https://<account>.blob.<suffix>
  std::string_view authority_host;  // Azure AD
};

constexpr AzureCloud kClouds[] = {
    {"AzurePublicCloud", "core.windows.net", "https://login.microsoftonline.com"},
    {"AzureUSGovernmentCloud", "core.usgovcloudapi.net", "https://login.microsoftonline.us"},
    {"AzureChinaCloud", "core.chinacloudapi.cn", "https://login.chinacloudapi.cn"},
    {"AzureGermanCloud", "core.cloudapi.de", "https://login.microsoftonline.de"},
};

StatusOr<const AzureCloud*> FindCloud(const std::optional<std::string>& name,
                                      const std::string& redacted) {
  if (!name || name->empty()) return &kClouds[0];
  std::string names;
  for (const AzureCloud& c : kClouds) {
    if (AsciiLower(c.name) == AsciiLower(*name)) return &c;
    names += (names.empty() ? "" : ", ") + std::string(c.name);
  }
  return InvalidArgumentError("AZURE_ENVIRONMENT=" + *name + " in '" + redacted +
                              "' is not an Azure cloud; use one of " + names);
}

// Storage account names: 3-24 lower-case letters and digits (the emulator's devstoreaccount1
// fits too).
bool IsValidAccount(std::string_view a) {
  if (a.size() < 3 || a.size() > 24) return false;
  return std::all_of(a.begin(), a.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

// One blob's upload with Put Block / Put Block List.
class AzureBlockUploader : public PartUploader {
 public:
  AzureBlockUploader(std::shared_ptr<AzureBlobClient> client, std::string name)
      : client_(std::move(client)), name_(std::move(name)) {}

  std::string Describe() const override { return client_->Describe(name_); }
  int MaxParts() const override { return AzureBlobClient::kMaxBlocks; }
  Status PutWhole(std::string_view body) override { return client_->PutBlob(name_, body); }
  Status Begin() override { return Status::OK(); }
  StatusOr<std::string> UploadPart(int number, std::string_view body) override {
    // Every id of a blob has the same length: base64 of "cofre-" and six digits.
    char raw[16];
    std::snprintf(raw, sizeof(raw), "cofre-%06d", number);
    std::string id = Base64Encode(raw);
    RETURN_IF_ERROR(client_->PutBlock(name_, id, body));
    return id;
  }
  Status Complete(const std::vector<UploadedPart>& parts, uint64_t /*total_size*/) override {
    std::vector<std::string> ids;
    ids.reserve(parts.size());
    for (const UploadedPart& p : parts) ids.push_back(p.id);
    return client_->PutBlockList(name_, ids);
  }
  // Uncommitted blocks are invisible and the service discards them; there is nothing to undo.
  void Abort() override {}

 private:
  std::shared_ptr<AzureBlobClient> client_;
  const std::string name_;
};

// Plain http:// would carry the data, and SAS tokens, bearer tokens or the client secret, in
// clear: only to this machine (Azurite, a sidecar proxy) or with ALLOW_INSECURE_HTTP=true.
Status CheckPlainHttp(const std::string& url, std::string_view param, bool allowed,
                      const std::string& redacted) {
  StatusOr<Uri> parsed = ParseUri(url);
  if (!parsed.ok() || parsed->scheme != "http" || allowed || IsLoopbackHostPort(parsed->host)) {
    return Status::OK();  // other malformations are the client's to report
  }
  return InvalidArgumentError("azure URI '" + redacted + "' uses " + std::string(param) +
                              " http://" + parsed->host +
                              ": over plain HTTP the backup and the credentials would cross the "
                              "network in clear; use https:// (plain http:// is accepted for "
                              "loopback addresses), or add ALLOW_INSECURE_HTTP=true if the "
                              "network path is trusted");
}

void WipeString(std::string* s) {
  OPENSSL_cleanse(s->data(), s->size());
  s->clear();
}

// The credentials of one URI, wherever they came from.
struct AzureCredentialValues {
  std::string account;
  std::string key;
  std::string sas;
  std::string tenant, client_id, client_secret;
  std::string authority_host;
  ~AzureCredentialValues() {
    WipeString(&key);
    WipeString(&sas);
    WipeString(&client_secret);
  }
};

StatusOr<AzureAuth> MakeAuth(AzureCredentialValues& v, const AzureCloud& cloud,
                             const AzureSettings& settings, bool allow_http,
                             const std::string& redacted) {
  AzureAuth auth;
  if (!v.key.empty()) {
    ASSIGN_OR_RETURN(AzureSharedKey key, AzureSharedKey::New(v.account, v.key));
    auth.shared_key.emplace(std::move(key));
  } else if (!v.sas.empty()) {
    std::string_view sas = v.sas;
    if (sas.starts_with('?')) sas.remove_prefix(1);
    if (sas.find("sig=") == std::string_view::npos ||
        sas.find_first_of("# \r\n") != std::string_view::npos) {
      return InvalidArgumentError("AZURE_SAS_TOKEN in '" + redacted +
                                  "' is not a SAS token (a query string such as "
                                  "sv=...&sp=...&sig=..., percent-encoded inside the URI)");
    }
    auth.sas_token = std::string(sas);
  } else {
    AzureAdConfig ad;
    ad.authority_host =
        v.authority_host.empty() ? std::string(cloud.authority_host) : v.authority_host;
    RETURN_IF_ERROR(
        CheckPlainHttp(ad.authority_host, "AZURE_AUTHORITY_HOST", allow_http, redacted));
    ad.tenant_id = v.tenant;
    ad.client_id = v.client_id;
    ad.client_secret = v.client_secret;
    ad.connect_timeout = settings.connect_timeout;
    ad.stall_timeout = settings.stall_timeout;
    ad.ca_file = settings.ca_file;
    ad.display = redacted;
    ASSIGN_OR_RETURN(auth.token_source, AzureTokenSource::New(std::move(ad)));
  }
  return auth;
}

// AUTH=specified: exactly one credential kind in the URI.
Status SpecifiedCredentials(const Uri& uri, const std::string& redacted, AzureCredentialValues* v) {
  v->key = uri.Param("AZURE_ACCOUNT_KEY").value_or("");
  v->sas = uri.Param("AZURE_SAS_TOKEN").value_or("");
  v->tenant = uri.Param("AZURE_TENANT_ID").value_or("");
  v->client_id = uri.Param("AZURE_CLIENT_ID").value_or("");
  v->client_secret = uri.Param("AZURE_CLIENT_SECRET").value_or("");
  const bool ad = !v->tenant.empty() || !v->client_id.empty() || !v->client_secret.empty();
  const int kinds = (v->key.empty() ? 0 : 1) + (v->sas.empty() ? 0 : 1) + (ad ? 1 : 0);
  if (kinds == 0) {
    return InvalidArgumentError(
        "azure URI '" + redacted +
        "' carries no credentials; give AZURE_ACCOUNT_KEY, AZURE_SAS_TOKEN, or AZURE_CLIENT_ID "
        "with AZURE_CLIENT_SECRET and AZURE_TENANT_ID (or use AUTH=implicit)");
  }
  if (kinds > 1) {
    return InvalidArgumentError("azure URI '" + redacted +
                                "' gives more than one kind of credentials; give only one of "
                                "AZURE_ACCOUNT_KEY, AZURE_SAS_TOKEN or the AZURE_CLIENT_* set");
  }
  if (ad) {
    for (auto [name, value] : {std::pair{"AZURE_CLIENT_ID", &v->client_id},
                               std::pair{"AZURE_CLIENT_SECRET", &v->client_secret},
                               std::pair{"AZURE_TENANT_ID", &v->tenant}}) {
      if (value->empty()) {
        return InvalidArgumentError("azure URI '" + redacted + "' lacks " + name +
                                    "; Azure AD authentication needs AZURE_CLIENT_ID, "
                                    "AZURE_CLIENT_SECRET and AZURE_TENANT_ID");
      }
    }
  }
  return Status::OK();
}

// AUTH=implicit: the credentials come from the environment, none from the URI.
Status ImplicitCredentials(const Uri& uri, const AzureSettings& settings,
                           const std::string& redacted, AzureCredentialValues* v) {
  for (std::string_view p : {"AZURE_ACCOUNT_KEY", "AZURE_SAS_TOKEN", "AZURE_CLIENT_ID",
                             "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID"}) {
    if (uri.Param(p)) {
      return InvalidArgumentError("azure URI '" + redacted + "' uses AUTH=implicit and gives " +
                                  std::string(p) +
                                  "; give credentials in the URI or in the environment, not both");
    }
  }
  if (!settings.env) {
    return FailedPreconditionError("AUTH=implicit in '" + redacted +
                                   "' has no environment to read credentials from here");
  }
  auto get = [&](std::string_view name) { return settings.env(name).value_or(""); };
  if (v->account.empty()) v->account = get("AZURE_STORAGE_ACCOUNT");
  if (v->authority_host.empty()) v->authority_host = get("AZURE_AUTHORITY_HOST");
  v->client_id = get("AZURE_CLIENT_ID");
  v->client_secret = get("AZURE_CLIENT_SECRET");
  v->tenant = get("AZURE_TENANT_ID");
  if (!v->client_id.empty() || !v->client_secret.empty() || !v->tenant.empty()) {
    if (v->client_id.empty() || v->client_secret.empty() || v->tenant.empty()) {
      return FailedPreconditionError(
          "AUTH=implicit in '" + redacted +
          "': the environment sets only part of AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and "
          "AZURE_TENANT_ID; set all three");
    }
    return Status::OK();
  }
  v->key = get("AZURE_STORAGE_KEY");
  if (v->key.empty()) v->sas = get("AZURE_STORAGE_SAS_TOKEN");
  if (v->key.empty() && v->sas.empty()) {
    return FailedPreconditionError(
        "AUTH=implicit in '" + redacted +
        "' found no Azure credentials: set AZURE_CLIENT_ID, AZURE_CLIENT_SECRET and "
        "AZURE_TENANT_ID, or AZURE_STORAGE_KEY, or AZURE_STORAGE_SAS_TOKEN");
  }
  return Status::OK();
}

}  // namespace

const std::vector<std::string_view>& AzureUriParams() {
  static const std::vector<std::string_view> kParams = {"AZURE_ACCOUNT_NAME",
                                                        "AZURE_ACCOUNT_KEY",
                                                        "AZURE_SAS_TOKEN",
                                                        "AZURE_CLIENT_ID",
                                                        "AZURE_CLIENT_SECRET",
                                                        "AZURE_TENANT_ID",
                                                        "AZURE_ENVIRONMENT",
                                                        "AZURE_BLOB_ENDPOINT",
                                                        "AZURE_AUTHORITY_HOST",
                                                        "ALLOW_INSECURE_HTTP",
                                                        "AUTH",
                                                        "COCKROACH_LOCALITY"};
  return kParams;
}

bool IsAzureScheme(std::string_view scheme) { return scheme == "azure-blob" || scheme == "azure"; }

Status AzureSettings::Validate() const {
  if (block_size < kMinBlockSize || block_size > kMaxBlockSize) {
    return InvalidArgumentError("Azure block size must be between 64 KiB and 512 MiB, got " +
                                std::to_string(block_size) + " bytes");
  }
  if (max_blocks_in_flight < 1 || max_blocks_in_flight > 64) {
    return InvalidArgumentError("Azure max blocks in flight must be between 1 and 64, got " +
                                std::to_string(max_blocks_in_flight));
  }
  if (list_page_size < 1 || list_page_size > 5000) {
    return InvalidArgumentError("Azure list page size must be between 1 and 5000, got " +
                                std::to_string(list_page_size));
  }
  return retry.Validate();
}

AzureStorage::AzureStorage(std::shared_ptr<AzureBlobClient> client, std::string base_prefix,
                           AzureSettings settings, std::string redacted_uri)
    : client_(std::move(client)),
      base_prefix_(std::move(base_prefix)),
      settings_(std::move(settings)),
      redacted_uri_(std::move(redacted_uri)) {}

StatusOr<std::string> AzureStorage::NameFor(const std::string& path) const {
  RETURN_IF_ERROR(ValidateObjectPath(path, redacted_uri_));
  return base_prefix_ + path;
}

StatusOr<AzureBlobInfo> AzureStorage::Properties(const std::string& path) const {
  ASSIGN_OR_RETURN(std::string name, NameFor(path));
  StatusOr<AzureBlobInfo> info = client_->GetProperties(name);
  if (IsNotFound(info.status()) && !AzureBlobClient::IsMissingContainer(info.status())) {
    return NotFoundError(DescribeObject(path, redacted_uri_) + " does not exist");
  }
  return info;
}

StatusOr<std::unique_ptr<ByteSink>> AzureStorage::NewWriter(const std::string& path) {
  ASSIGN_OR_RETURN(std::string name, NameFor(path));
  return std::unique_ptr<ByteSink>(
      new MultipartWriter(std::make_shared<AzureBlockUploader>(client_, std::move(name)),
                          settings_.block_size, settings_.max_blocks_in_flight));
}

StatusOr<std::unique_ptr<RandomAccessSource>> AzureStorage::NewReader(
    const std::string& path, const ReaderOptions& options) {
  ASSIGN_OR_RETURN(std::string name, NameFor(path));
  auto pin = std::make_shared<ObjectPin>();
  if (options.expected_size) {
    pin->size = *options.expected_size;  // no Get Blob Properties: the first Get Blob checks it
  } else {
    ASSIGN_OR_RETURN(AzureBlobInfo info, Properties(path));
    pin->etag = info.etag;
    pin->size = info.size;
  }
  std::string describe = client_->Describe(name);
  const uint64_t size = pin->size;
  RangeFetch fetch = [client = client_, name, pin](uint64_t offset, size_t n, char* out) {
    return client->GetRange(name, offset, n, pin, out);
  };
  RangeOpen open = [client = client_, name, pin](uint64_t offset) {
    return client->OpenRange(name, offset, pin->size - std::min(offset, pin->size), pin);
  };
  return std::unique_ptr<RandomAccessSource>(
      new RangedReader(std::move(fetch), std::move(open), std::move(describe), size));
}

StatusOr<std::string> AzureStorage::ReadSmall(const std::string& path, size_t max_bytes) {
  ASSIGN_OR_RETURN(std::string name, NameFor(path));
  StatusOr<std::string> body = client_->GetBlob(name, max_bytes);
  if (body.status().code() == StatusCode::kResourceExhausted) {
    return SmallFileTooLargeError(DescribeObject(path, redacted_uri_), std::nullopt, max_bytes);
  }
  if (IsNotFound(body.status()) && !AzureBlobClient::IsMissingContainer(body.status())) {
    return NotFoundError(DescribeObject(path, redacted_uri_) + " does not exist");
  }
  return body;
}

StatusOr<uint64_t> AzureStorage::Size(const std::string& path) {
  ASSIGN_OR_RETURN(AzureBlobInfo info, Properties(path));
  return info.size;
}

Status AzureStorage::List(const std::string& prefix, const std::string& delimiter,
                          const std::function<Status(const ListEntry&)>& fn) {
  RETURN_IF_ERROR(ValidateListPrefix(prefix, redacted_uri_));
  const std::string full_prefix = base_prefix_ + prefix;
  // A one-character delimiter is the service's to apply; a longer one (which Azurite does not
  // handle) is rolled up here, from a listing without delimiter.
  const bool local_rollup = delimiter.size() > 1;
  std::string last_rollup;
  std::string marker;
  while (true) {
    ASSIGN_OR_RETURN(AzureListPage page,
                     client_->ListBlobs(full_prefix, local_rollup ? "" : delimiter, marker,
                                        settings_.list_page_size));
    // Blobs and prefixes of a page come in name order from Azure, prefixes first from Azurite.
    std::stable_sort(page.entries.begin(), page.entries.end(),
                     [](const AzureListPage::Entry& a, const AzureListPage::Entry& b) {
                       return a.name < b.name;
                     });
    for (AzureListPage::Entry& item : page.entries) {
      // Skip anything outside the base path, and a "directory marker" blob for the base.
      if (!item.name.starts_with(base_prefix_) || item.name.size() == base_prefix_.size()) {
        continue;
      }
      if (local_rollup && !item.is_prefix) {
        size_t d = item.name.find(delimiter, full_prefix.size());
        if (d != std::string::npos) {
          std::string rolled = item.name.substr(0, d + delimiter.size());
          if (rolled == last_rollup) continue;  // names sharing a prefix are contiguous
          last_rollup = rolled;
          item.name = std::move(rolled);
          item.is_prefix = true;
          item.size = 0;
        }
      }
      ListEntry e;
      e.path = item.name.substr(base_prefix_.size());
      e.is_prefix = item.is_prefix;
      e.size = item.size;
      RETURN_IF_ERROR(fn(e));
    }
    if (page.next_marker.empty()) return Status::OK();
    if (page.next_marker == marker) {
      return UnavailableError("Azure repeated a continuation marker while listing '" + prefix +
                              "' in " + redacted_uri_);
    }
    marker = page.next_marker;
  }
}

Status AzureStorage::Delete(const std::string& path) {
  ASSIGN_OR_RETURN(std::string name, NameFor(path));
  return client_->DeleteBlob(name);
}

StatusOr<std::unique_ptr<AzureStorage>> OpenAzureStorage(const Uri& uri,
                                                         const AzureSettings& settings) {
  const std::string redacted = uri.Redacted(SecretUriParams());
  if (!IsAzureScheme(uri.scheme)) {
    return InvalidArgumentError("'" + redacted + "' is not an azure-blob:// URI");
  }
  RETURN_IF_ERROR(CheckKnownUriParams(uri, AzureUriParams(), uri.scheme, redacted));
  RETURN_IF_ERROR(settings.Validate());
  if (uri.host.empty()) {
    return InvalidArgumentError("azure URI '" + redacted +
                                "' names no container; use azure-blob://container/path?...");
  }
  std::string_view path = uri.path;
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  std::string base_prefix;
  if (!path.empty()) {
    RETURN_IF_ERROR(ValidateObjectPath(path, redacted).Annotate("base path of the azure URI"));
    base_prefix = std::string(path) + "/";
  }
  ASSIGN_OR_RETURN(AwsAuthMode mode, ParseAwsAuthMode(uri.Param("AUTH"), redacted));
  ASSIGN_OR_RETURN(const AzureCloud* cloud, FindCloud(uri.Param("AZURE_ENVIRONMENT"), redacted));

  AzureCredentialValues creds;
  creds.account = uri.Param("AZURE_ACCOUNT_NAME").value_or("");
  creds.authority_host = uri.Param("AZURE_AUTHORITY_HOST").value_or("");
  if (mode == AwsAuthMode::kImplicit) {
    RETURN_IF_ERROR(ImplicitCredentials(uri, settings, redacted, &creds));
  } else {
    RETURN_IF_ERROR(SpecifiedCredentials(uri, redacted, &creds));
  }
  if (creds.account.empty()) {
    return InvalidArgumentError("azure URI '" + redacted + "' lacks AZURE_ACCOUNT_NAME");
  }
  if (!IsValidAccount(creds.account)) {
    return InvalidArgumentError("AZURE_ACCOUNT_NAME=" + creds.account + " in '" + redacted +
                                "' is not a storage account name (3-24 lower-case letters and "
                                "digits)");
  }

  AzureClientConfig config;
  config.account = creds.account;
  config.container = uri.host;
  config.endpoint = uri.Param("AZURE_BLOB_ENDPOINT").value_or("");
  if (config.endpoint.empty()) {
    config.endpoint = "https://" + creds.account + ".blob." + std::string(cloud->blob_suffix);
  }
  bool allow_http = false;
  if (auto allow = uri.Param("ALLOW_INSECURE_HTTP")) {
    if (*allow != "true" && *allow != "false") {
      return InvalidArgumentError("ALLOW_INSECURE_HTTP in '" + redacted +
                                  "' must be true or false");
    }
    allow_http = *allow == "true";
  }
  RETURN_IF_ERROR(CheckPlainHttp(config.endpoint, "AZURE_BLOB_ENDPOINT", allow_http, redacted));
  ASSIGN_OR_RETURN(config.auth, MakeAuth(creds, *cloud, settings, allow_http, redacted));
  config.retry = settings.retry;
  config.connect_timeout = settings.connect_timeout;
  config.stall_timeout = settings.stall_timeout;
  config.ca_file = settings.ca_file;
  config.display = redacted;
  ASSIGN_OR_RETURN(std::unique_ptr<AzureBlobClient> client,
                   AzureBlobClient::New(std::move(config)));
  return std::make_unique<AzureStorage>(std::shared_ptr<AzureBlobClient>(std::move(client)),
                                        std::move(base_prefix), settings, redacted);
}

StatusOr<std::unique_ptr<ExternalStorage>> NewAzureStorage(const Uri& uri,
                                                           const AzureSettings& settings) {
  ASSIGN_OR_RETURN(std::unique_ptr<AzureStorage> s, OpenAzureStorage(uri, settings));
  return std::unique_ptr<ExternalStorage>(std::move(s));
}

}  // namespace cofre
