#include "storage/azure_client.h"

#include <openssl/crypto.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <cstring>

#include "storage/object_requests.h"
#include "util/base64.h"
#include "util/uri.h"

namespace cofre {
namespace {

bool IsRetryableAzureCode(std::string_view code) {
  return code == "ServerBusy" || code == "OperationTimedOut" || code == "InternalError";
}

// Container names: 3-63 characters of lower-case letters, digits and single dashes, starting
// and ending with a letter or digit ("$root" and "$logs" are special containers).
bool IsValidContainer(std::string_view c) {
  if (c == "$root" || c == "$logs" || c == "$web") return true;
  if (c.size() < 3 || c.size() > 63) return false;
  for (size_t i = 0; i < c.size(); ++i) {
    char ch = c[i];
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-';
    if (!ok) return false;
    if (ch == '-' && (i == 0 || i + 1 == c.size() || c[i - 1] == '-')) return false;
  }
  return true;
}

}  // namespace

// One Blob service request, described independently of authorization and transport.
struct AzureBlobClient::Op {
  std::string method;
  std::string name;      // blob name; empty for container-level requests
  AzureKeyValues query;  // decoded
  AzureKeyValues headers;
  std::string_view body;
  std::string what;  // "reading azure-blob://...", for messages
  // The longest body a response may have (HttpRequest::max_response_bytes).
  size_t max_response_bytes = HttpRequest().max_response_bytes;
};

StatusOr<std::unique_ptr<AzureBlobClient>> AzureBlobClient::New(AzureClientConfig config) {
  if (!IsValidContainer(config.container)) {
    return InvalidArgumentError("'" + config.container + "' in " + config.display +
                                " is not a valid Azure container name (3-63 lower-case letters, "
                                "digits and single dashes)");
  }
  int methods = (config.auth.shared_key ? 1 : 0) + (config.auth.sas_token.empty() ? 0 : 1) +
                (config.auth.token_source ? 1 : 0);
  if (methods != 1) {
    return InvalidArgumentError("exactly one Azure authorization method is needed for " +
                                config.display);
  }
  StatusOr<Uri> ep = ParseUri(config.endpoint);
  if (!ep.ok() || (ep->scheme != "http" && ep->scheme != "https") || ep->host.empty() ||
      !ep->params.empty() || ep->host.find('@') != std::string::npos ||
      config.endpoint.find('#') != std::string::npos) {
    return InvalidArgumentError("the Azure blob endpoint of " + config.display +
                                " must look like https://<account>.blob.core.windows.net or "
                                "http://127.0.0.1:10000/<account>");
  }
  auto client = std::unique_ptr<AzureBlobClient>(new AzureBlobClient(std::move(config)));
  client->base_url_ = ep->scheme + "://" + ep->host;
  std::string path = ep->path;
  while (!path.empty() && path.back() == '/') path.pop_back();
  client->base_path_ = PercentEncode(path, /*keep_slash=*/true);
  return client;
}

AzureBlobClient::~AzureBlobClient() {
  OPENSSL_cleanse(config_.auth.sas_token.data(), config_.auth.sas_token.size());
}

bool AzureBlobClient::IsMissingContainer(const Status& s) {
  return s.detail() == ErrorDetail::kMissingContainer;
}

std::string AzureBlobClient::Describe(const std::string& name) const {
  return "azure-blob://" + config_.container + "/" + name;
}

StatusOr<HttpRequest> AzureBlobClient::AuthorizedRequest(const Op& op) const {
  AzureSignedRequest sreq;
  sreq.method = op.method;
  sreq.path = base_path_ + "/" + config_.container;
  if (!op.name.empty()) sreq.path += "/" + PercentEncode(op.name, /*keep_slash=*/true);
  sreq.query = op.query;
  sreq.headers = op.headers;
  sreq.headers.emplace_back("x-ms-date",
                            HttpDate(std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count()));
  sreq.headers.emplace_back("x-ms-version", kApiVersion);
  sreq.content_length = op.body.size();

  HttpRequest req;
  req.method = op.method;
  req.url = base_url_ + sreq.path;
  std::string query;
  for (const auto& [k, v] : op.query) {
    query += (query.empty() ? "" : "&") + PercentEncode(k, false) + "=" + PercentEncode(v, false);
  }
  const AzureAuth& auth = config_.auth;
  if (auth.shared_key) {
    sreq.headers.emplace_back("Authorization", auth.shared_key->Authorization(sreq));
  } else if (auth.token_source) {
    ASSIGN_OR_RETURN(std::string token, auth.token_source->Token());
    sreq.headers.emplace_back("Authorization", "Bearer " + token);
    OPENSSL_cleanse(token.data(), token.size());
  } else {
    query += (query.empty() ? "" : "&") + auth.sas_token;
  }
  if (!query.empty()) req.url += "?" + query;
  for (const auto& [k, v] : sreq.headers) req.headers.Add(k, v);
  req.body = op.body;
  req.max_response_bytes = op.max_response_bytes;
  req.connect_timeout = config_.connect_timeout;
  req.stall_timeout = config_.stall_timeout;
  req.ca_file = config_.ca_file;
  for (auto& [k, v] : sreq.headers) {
    if (k == "Authorization") OPENSSL_cleanse(v.data(), v.size());
  }
  return req;
}

namespace {
// Wipes the credentials a request carries (a SAS token in its URL, an Authorization header).
void WipeCredentials(HttpRequest& req) {
  OPENSSL_cleanse(req.url.data(), req.url.size());
  for (const auto& [k, v] : req.headers.fields()) {
    if (k == "Authorization") OPENSSL_cleanse(const_cast<char*>(v.data()), v.size());
  }
}
}  // namespace

StatusOr<HttpResponse> AzureBlobClient::SendOnce(const Op& op, const HttpBodyCallback* on_body) {
  ASSIGN_OR_RETURN(HttpRequest req, AuthorizedRequest(op));
  HttpClientPool::Lease client = pool_.Acquire();
  StatusOr<HttpResponse> r =
      on_body != nullptr ? client->SendStreaming(req, *on_body) : client->Send(req);
  WipeCredentials(req);
  return r;
}

StatusOr<std::unique_ptr<HttpBodyStream>> AzureBlobClient::OpenOnce(const Op& op) {
  ASSIGN_OR_RETURN(HttpRequest req, AuthorizedRequest(op));
  StatusOr<std::unique_ptr<HttpBodyStream>> stream = pool_.Open(req);
  WipeCredentials(req);
  return stream;
}

Status AzureBlobClient::ErrorFor(const Op& op, const HttpResponse& r) const {
  AzureErrorInfo e = ParseAzureError(r.body);
  if (auto h = r.headers.Get("x-ms-error-code"); h && !h->empty()) e.code = *h;
  // Error codes are identifiers; anything else is not shown.
  if (e.code.size() > 64 ||
      e.code.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") !=
          std::string::npos) {
    e.code.clear();
  }
  std::string detail = "HTTP " + std::to_string(r.status);
  if (!e.code.empty()) detail += " " + e.code;

  if (r.status == 401 || r.status == 403) {
    std::string hint = config_.auth.shared_key ? "check AZURE_ACCOUNT_NAME and AZURE_ACCOUNT_KEY"
                       : config_.auth.token_source
                           ? "check that the service principal has a Storage Blob Data role on "
                             "the account"
                           : "check AZURE_SAS_TOKEN (its permissions, expiry and resource)";
    return PermissionDeniedError("Azure rejected the credentials for " + config_.display + " (" +
                                 detail + ") while " + op.what + "; " + hint);
  }
  if (r.status == 404) {
    if (e.code == "ContainerNotFound" || (op.name.empty() && e.code.empty())) {
      return NotFoundError("Azure container '" + config_.container + "' does not exist (" +
                           config_.display + "); create it or correct the URI")
          .WithDetail(ErrorDetail::kMissingContainer);
    }
    return NotFoundError(Describe(op.name) + " does not exist");
  }
  if (e.code == "ContainerAlreadyExists") {
    return AlreadyExistsError("Azure container '" + config_.container + "' already exists")
        .WithDetail(ErrorDetail::kDuplicateObject);
  }
  if (r.status == 412) {
    return FailedPreconditionError(Describe(op.name) +
                                   " changed while it was being read; retry the operation");
  }
  if (r.status == 416) {
    return Status(StatusCode::kOutOfRange,
                  op.what + ": the requested range is outside the blob (" + detail + ")");
  }
  if (r.status == 408 || r.status == 429 || r.status >= 500 || IsRetryableAzureCode(e.code)) {
    return UnavailableError("Azure answered " + detail + " while " + op.what);
  }
  if (!e.message.empty() && e.message.size() < 200) detail += ": " + e.message;
  if (r.status == 400) {
    return InvalidArgumentError("Azure refused the request while " + op.what + " (" + detail + ")");
  }
  return FailedPreconditionError("Azure refused the request while " + op.what + " (" + detail +
                                 ")");
}

StatusOr<HttpResponse> AzureBlobClient::Execute(const Op& op) {
  return SendRetried(
      config_.retry, op.what, [&] { return SendOnce(op, nullptr); },
      [&](const HttpResponse& r) { return ErrorFor(op, r); });
}

Status AzureBlobClient::CreateContainer() {
  Op op{"PUT", "", {{"restype", "container"}},
        {},    {}, "creating container '" + config_.container + "'"};
  StatusOr<HttpResponse> r = Execute(op);
  if (!r.ok() && r.status().detail() == ErrorDetail::kDuplicateObject) {
    return Status::OK();
  }
  return r.status();
}

StatusOr<AzureBlobInfo> AzureBlobClient::GetProperties(const std::string& name) {
  Op op{"HEAD", name, {}, {}, {}, "reading the size of " + Describe(name)};
  ASSIGN_OR_RETURN(HttpResponse r, Execute(op));
  AzureBlobInfo info;
  ASSIGN_OR_RETURN(info.size, ContentLengthOf(r, "Azure", op.what));
  info.etag = r.headers.Get("ETag").value_or("");
  return info;
}

StatusOr<std::string> AzureBlobClient::GetBlob(const std::string& name, size_t max_bytes) {
  Op op{"GET", name, {}, {}, {}, "reading " + Describe(name)};
  op.max_response_bytes = WholeObjectResponseLimit(max_bytes);
  ASSIGN_OR_RETURN(HttpResponse r, Execute(op));
  return WholeObjectBody(std::move(r), max_bytes, op.what);
}

StatusOr<size_t> AzureBlobClient::GetRange(const std::string& name, uint64_t offset, size_t n,
                                           std::shared_ptr<ObjectPin> pin, char* out) {
  RangedReadRequest request{offset, n, "reading " + Describe(name),
                            "the Azure endpoint of " + config_.display, pin};
  Op op{"GET", name, {}, {}, {}, request.what};
  return ReadRangeRetried(
      config_.retry, request, out,
      [&](uint64_t first, uint64_t last, const HttpBodyCallback& sink) {
        op.headers.clear();
        op.headers.emplace_back("x-ms-range",
                                "bytes=" + std::to_string(first) + "-" + std::to_string(last));
        if (!pin->etag.empty()) op.headers.emplace_back("If-Match", pin->etag);
        return SendOnce(op, &sink);
      },
      [&](const HttpResponse& r) { return ErrorFor(op, r); });
}

std::unique_ptr<ByteSource> AzureBlobClient::OpenRange(const std::string& name, uint64_t offset,
                                                       uint64_t n, std::shared_ptr<ObjectPin> pin) {
  RangedReadRequest request{offset, static_cast<size_t>(n), "reading " + Describe(name),
                            "the Azure endpoint of " + config_.display, pin};
  auto op = std::make_shared<Op>(Op{"GET", name, {}, {}, {}, request.what});
  return NewRangeStream(
      config_.retry, std::move(request),
      [this, op, pin](uint64_t first, uint64_t last) {
        op->headers.clear();
        op->headers.emplace_back("x-ms-range",
                                 "bytes=" + std::to_string(first) + "-" + std::to_string(last));
        if (!pin->etag.empty()) op->headers.emplace_back("If-Match", pin->etag);
        return OpenOnce(*op);
      },
      [this, op](const HttpResponse& r) { return ErrorFor(*op, r); });
}

StatusOr<AzureListPage> AzureBlobClient::ListBlobs(const std::string& prefix,
                                                   const std::string& delimiter,
                                                   const std::string& marker, int max_results) {
  Op op{"GET", "", {{"restype", "container"}, {"comp", "list"}},
        {},    {}, "listing '" + prefix + "' in " + config_.display};
  if (!prefix.empty()) op.query.emplace_back("prefix", prefix);
  if (!delimiter.empty()) op.query.emplace_back("delimiter", delimiter);
  if (!marker.empty()) op.query.emplace_back("marker", marker);
  if (max_results > 0) op.query.emplace_back("maxresults", std::to_string(max_results));
  // A garbled page is Unavailable and retried.
  return SendAndParseRetried<AzureListPage>(
      config_.retry, op.what, [&] { return SendOnce(op, nullptr); },
      [&](const HttpResponse& r) { return ErrorFor(op, r); }, ParseAzureListBlobs);
}

Status AzureBlobClient::PutBlob(const std::string& name, std::string_view body) {
  Op op{"PUT", name,
        {},    {{"x-ms-blob-type", "BlockBlob"}, {"Content-Type", "application/octet-stream"}},
        body,  "writing " + Describe(name)};
  return Execute(op).status();
}

Status AzureBlobClient::PutBlock(const std::string& name, const std::string& block_id,
                                 std::string_view body) {
  Op op{"PUT",
        name,
        {{"comp", "block"}, {"blockid", block_id}},
        {{"Content-Type", "application/octet-stream"}},
        body,
        "uploading a block of " + Describe(name)};
  return Execute(op).status();
}

Status AzureBlobClient::PutBlockList(const std::string& name,
                                     const std::vector<std::string>& block_ids) {
  const std::string body = BuildAzureBlockListXml(block_ids);
  Op op{"PUT",
        name,
        {{"comp", "blocklist"}},
        {{"Content-Type", "application/xml"}},
        body,
        "committing the blocks of " + Describe(name)};
  return Execute(op).status();
}

Status AzureBlobClient::DeleteBlob(const std::string& name) {
  Op op{"DELETE", name, {}, {}, {}, "deleting " + Describe(name)};
  StatusOr<HttpResponse> r = Execute(op);
  if (!r.ok() && IsNotFound(r.status()) && !IsMissingContainer(r.status())) return Status::OK();
  return r.status();
}

}  // namespace cofre
