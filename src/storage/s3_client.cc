#include "storage/s3_client.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

#include "storage/object_requests.h"
#include "util/aws_endpoint.h"
#include "util/sha256.h"
#include "util/sigv4.h"

namespace cofre {
namespace {

constexpr size_t kMaxKeysPerDelete = 1000;

std::string Base64Md5(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
  unsigned char b64[64];
  int n = EVP_EncodeBlock(b64, digest, static_cast<int>(len));
  return std::string(reinterpret_cast<char*>(b64), static_cast<size_t>(n));
}

bool IsDnsCompatibleBucket(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.')) {
      return false;
    }
  }
  return b.front() != '-' && b.front() != '.' && b.back() != '-' && b.back() != '.';
}

bool IsMissingBucket(const Status& s) { return s.detail() == ErrorDetail::kMissingContainer; }

bool IsRetryableS3Code(std::string_view code) {
  return code == "SlowDown" || code == "RequestTimeout" || code == "InternalError" ||
         code == "ServiceUnavailable" || code == "Throttling" || code == "ThrottlingException" ||
         code == "RequestLimitExceeded" || code == "OperationAborted";
}

}  // namespace

// One S3 request, described independently of signing and transport.
struct S3Client::Op {
  std::string method;
  std::string key;       // empty for bucket-level requests
  KeyValueList query;    // decoded
  KeyValueList headers;  // signed along with host and x-amz-*
  std::string_view body;
  std::string what;  // "reading 'k' in s3://...", for messages
  // The longest body a response may have (HttpRequest::max_response_bytes).
  size_t max_response_bytes = HttpRequest().max_response_bytes;
};

StatusOr<std::unique_ptr<S3Client>> S3Client::New(S3ClientConfig config) {
  if (config.bucket.empty() || config.bucket.find('/') != std::string::npos) {
    return InvalidArgumentError("invalid S3 bucket name in " + config.display +
                                "; use s3://bucket/path");
  }
  if (config.region.empty()) config.region = "us-east-1";
  ASSIGN_OR_RETURN(AwsEndpoint endpoint,
                   ParseAwsEndpoint(config.endpoint, "s3", config.region, config.display));
  if (!config.path_style && !IsDnsCompatibleBucket(config.bucket)) {
    return InvalidArgumentError("bucket name '" + config.bucket + "' in " + config.display +
                                " cannot be used in a host name; add AWS_USE_PATH_STYLE=true");
  }
  auto client = std::unique_ptr<S3Client>(new S3Client(std::move(config)));
  client->scheme_ = std::move(endpoint.scheme);
  client->host_port_ = std::move(endpoint.host_port);
  return client;
}

std::string S3Client::Describe(const std::string& key) const {
  return "s3://" + config_.bucket + "/" + key;
}

HttpRequest S3Client::SignedRequest(const Op& op) const {
  const std::string host = config_.path_style ? host_port_ : config_.bucket + "." + host_port_;
  std::string path = config_.path_style ? "/" + config_.bucket : "";
  if (!op.key.empty() || !config_.path_style) path += "/" + op.key;

  SigV4Request sreq;
  sreq.method = op.method;
  sreq.path = S3WirePath(path);
  sreq.query = op.query;
  sreq.headers.emplace_back("Host", host);
  for (const auto& h : op.headers) sreq.headers.push_back(h);
  sreq.payload_hash = Sha256::HexDigest(op.body);
  SignRequestHeaders(config_.credentials,
                     SigV4Params::ForS3(config_.region, std::chrono::system_clock::now()), &sreq);

  HttpRequest req;
  req.method = op.method;
  req.url = scheme_ + "://" + host + sreq.path;
  if (!op.query.empty()) {
    // The wire query is the original one; sreq.query is unchanged by header signing.
    req.url += "?" + sreq.EncodedQuery();
  }
  for (const auto& [k, v] : sreq.headers) req.headers.Add(k, v);
  req.body = op.body;
  req.max_response_bytes = op.max_response_bytes;
  req.connect_timeout = config_.connect_timeout;
  req.stall_timeout = config_.stall_timeout;
  req.ca_file = config_.ca_file;
  return req;
}

StatusOr<HttpResponse> S3Client::SendOnce(const Op& op, const HttpBodyCallback* on_body) {
  const HttpRequest req = SignedRequest(op);
  HttpClientPool::Lease client = pool_.Acquire();
  if (on_body != nullptr) return client->SendStreaming(req, *on_body);
  return client->Send(req);
}

Status S3Client::ErrorFor(const Op& op, const HttpResponse& r) const {
  S3ErrorInfo e = ParseS3Error(r.body);
  std::string detail = "HTTP " + std::to_string(r.status);
  if (!e.code.empty()) detail += " " + e.code;
  if (!e.message.empty()) detail += ": " + e.message;

  if (r.status == 403 && e.code == "RequestTimeTooSkewed") {
    return PermissionDeniedError("S3 refused a request for " + config_.display +
                                 " because this machine's clock is off (" + detail +
                                 "); fix the system time");
  }
  if (r.status == 401 || r.status == 403) {
    return PermissionDeniedError("S3 rejected the credentials for " + config_.display + " (" +
                                 detail + ") while " + op.what +
                                 "; check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the "
                                 "AUTH=implicit environment) and the bucket's access policy");
  }
  if (r.status == 404) {
    if (e.code == "NoSuchBucket" || (op.key.empty() && e.code.empty())) {
      return NotFoundError("S3 bucket '" + config_.bucket + "' does not exist (" + config_.display +
                           "); create it or correct the URI")
          .WithDetail(ErrorDetail::kMissingContainer);
    }
    if (e.code == "NoSuchUpload") {
      return NotFoundError("the multipart upload of " + Describe(op.key) +
                           " no longer exists (it was aborted or completed elsewhere)")
          .WithDetail(ErrorDetail::kNoSuchUpload);
    }
    return NotFoundError(Describe(op.key) + " does not exist");
  }
  if (e.code == "BucketAlreadyOwnedByYou") {
    return AlreadyExistsError("S3 bucket '" + config_.bucket + "' already exists")
        .WithDetail(ErrorDetail::kDuplicateObject);
  }
  if (e.code == "BucketAlreadyExists") {
    return AlreadyExistsError("S3 bucket '" + config_.bucket +
                              "' already exists and belongs to another account");
  }
  if (r.status == 412) {
    return FailedPreconditionError(Describe(op.key) +
                                   " changed while it was being read; retry the operation");
  }
  if (r.status == 416) {
    return Status(StatusCode::kOutOfRange,
                  op.what + ": the requested range is outside the object (" + detail + ")");
  }
  if (r.status == 408 || r.status == 429 || r.status >= 500 || IsRetryableS3Code(e.code)) {
    return UnavailableError("S3 answered " + detail + " while " + op.what);
  }
  if (r.status == 400) {
    return InvalidArgumentError("S3 refused the request while " + op.what + " (" + detail + ")");
  }
  return FailedPreconditionError("S3 refused the request while " + op.what + " (" + detail + ")");
}

StatusOr<HttpResponse> S3Client::Execute(const Op& op) {
  return SendRetried(
      config_.retry, op.what, [&] { return SendOnce(op, nullptr); },
      [&](const HttpResponse& r) { return ErrorFor(op, r); });
}

Status S3Client::CreateBucket() {
  std::string body;
  if (config_.region != "us-east-1") {
    body =
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<LocationConstraint>" +
        XmlEscape(config_.region) + "</LocationConstraint></CreateBucketConfiguration>";
  }
  Op op{"PUT", "",
        {},    {{"Content-Type", "application/xml"}},
        body,  "creating bucket '" + config_.bucket + "'"};
  StatusOr<HttpResponse> r = Execute(op);
  if (r.ok()) return Status::OK();
  if (r.status().detail() == ErrorDetail::kDuplicateObject) return Status::OK();
  return r.status();
}

Status S3Client::HeadBucket() {
  Op op{"HEAD", "", {}, {}, {}, "checking bucket '" + config_.bucket + "'"};
  return Execute(op).status();
}

Status S3Client::PutObject(const std::string& key, std::string_view body,
                           const std::string& storage_class) {
  Op op{"PUT", key,
        {},    {{"Content-Type", "application/octet-stream"}},
        body,  "writing " + Describe(key)};
  if (!storage_class.empty()) op.headers.emplace_back("x-amz-storage-class", storage_class);
  return Execute(op).status();
}

StatusOr<S3ObjectInfo> S3Client::HeadObject(const std::string& key) {
  Op op{"HEAD", key, {}, {}, {}, "reading the size of " + Describe(key)};
  StatusOr<HttpResponse> r = Execute(op);
  if (!r.ok()) {
    // A HEAD response has no body, so ask the bucket whether it is the bucket that is missing.
    if (IsNotFound(r.status())) {
      Status bucket = HeadBucket();
      if (IsMissingBucket(bucket)) return bucket;
    }
    return r.status();
  }
  S3ObjectInfo info;
  ASSIGN_OR_RETURN(info.size, ContentLengthOf(*r, "S3", op.what));
  info.etag = r->headers.Get("ETag").value_or("");
  return info;
}

StatusOr<std::string> S3Client::GetObject(const std::string& key, size_t max_bytes) {
  Op op{"GET", key, {}, {}, {}, "reading " + Describe(key)};
  op.max_response_bytes = WholeObjectResponseLimit(max_bytes);
  ASSIGN_OR_RETURN(HttpResponse r, Execute(op));
  return WholeObjectBody(std::move(r), max_bytes, op.what);
}

StatusOr<size_t> S3Client::GetRange(const std::string& key, uint64_t offset, size_t n,
                                    std::shared_ptr<ObjectPin> pin, char* out) {
  RangedReadRequest request{offset, n, "reading " + Describe(key),
                            "the S3 endpoint of " + config_.display, pin};
  Op op{"GET", key, {}, {}, {}, request.what};
  return ReadRangeRetried(
      config_.retry, request, out,
      [&](uint64_t first, uint64_t last, const HttpBodyCallback& sink) {
        op.headers.clear();
        op.headers.emplace_back("Range",
                                "bytes=" + std::to_string(first) + "-" + std::to_string(last));
        if (!pin->etag.empty()) op.headers.emplace_back("If-Match", pin->etag);
        return SendOnce(op, &sink);
      },
      [&](const HttpResponse& r) { return ErrorFor(op, r); });
}

std::unique_ptr<ByteSource> S3Client::OpenRange(const std::string& key, uint64_t offset, uint64_t n,
                                                std::shared_ptr<ObjectPin> pin) {
  RangedReadRequest request{offset, static_cast<size_t>(n), "reading " + Describe(key),
                            "the S3 endpoint of " + config_.display, pin};
  auto op = std::make_shared<Op>(Op{"GET", key, {}, {}, {}, request.what});
  return NewRangeStream(
      config_.retry, std::move(request),
      [this, op, pin](uint64_t first, uint64_t last) {
        op->headers.clear();
        op->headers.emplace_back("Range",
                                 "bytes=" + std::to_string(first) + "-" + std::to_string(last));
        if (!pin->etag.empty()) op->headers.emplace_back("If-Match", pin->etag);
        return pool_.Open(SignedRequest(*op));
      },
      [this, op](const HttpResponse& r) { return ErrorFor(*op, r); });
}

StatusOr<S3ListPage> S3Client::ListObjectsV2(const std::string& prefix,
                                             const std::string& delimiter,
                                             const std::string& continuation_token, int max_keys) {
  Op op{"GET", "", {{"list-type", "2"}, {"encoding-type", "url"}},
        {},    {}, "listing '" + prefix + "' in " + config_.display};
  if (!prefix.empty()) op.query.emplace_back("prefix", prefix);
  if (!delimiter.empty()) op.query.emplace_back("delimiter", delimiter);
  if (!continuation_token.empty()) op.query.emplace_back("continuation-token", continuation_token);
  if (max_keys > 0) op.query.emplace_back("max-keys", std::to_string(max_keys));
  // A garbled page is Unavailable and retried.
  return SendAndParseRetried<S3ListPage>(
      config_.retry, op.what, [&] { return SendOnce(op, nullptr); },
      [&](const HttpResponse& r) { return ErrorFor(op, r); }, ParseListObjectsV2);
}

Status S3Client::DeleteObject(const std::string& key) {
  Op op{"DELETE", key, {}, {}, {}, "deleting " + Describe(key)};
  StatusOr<HttpResponse> r = Execute(op);
  if (!r.ok() && IsNotFound(r.status()) && !IsMissingBucket(r.status())) return Status::OK();
  return r.status();
}

Status S3Client::DeleteObjects(const std::vector<std::string>& keys) {
  for (size_t start = 0; start < keys.size(); start += kMaxKeysPerDelete) {
    std::vector<std::string> batch(keys.begin() + start,
                                   keys.begin() + std::min(keys.size(), start + kMaxKeysPerDelete));
    const std::string body = BuildDeleteObjectsXml(batch);
    Op op{"POST",
          "",
          {{"delete", ""}},
          {{"Content-Type", "application/xml"}, {"Content-MD5", Base64Md5(body)}},
          body,
          "deleting " + std::to_string(batch.size()) + " objects in " + config_.display};
    ASSIGN_OR_RETURN(HttpResponse r, Execute(op));
    ASSIGN_OR_RETURN(std::vector<S3DeleteError> errors, ParseDeleteResult(r.body));
    if (!errors.empty()) {
      const S3DeleteError& e = errors.front();
      std::string detail = e.error.code + (e.error.message.empty() ? "" : ": " + e.error.message);
      if (e.error.code == "AccessDenied") {
        return PermissionDeniedError("S3 refused to delete " + Describe(e.key) + " (" + detail +
                                     "); check the credentials' permissions");
      }
      return FailedPreconditionError("S3 could not delete " + Describe(e.key) + " (" + detail +
                                     ") and " + std::to_string(errors.size() - 1) + " more");
    }
  }
  return Status::OK();
}

StatusOr<std::string> S3Client::CreateMultipartUpload(const std::string& key,
                                                      const std::string& storage_class) {
  Op op{"POST",
        key,
        {{"uploads", ""}},
        {{"Content-Type", "application/octet-stream"}},
        {},
        "starting the upload of " + Describe(key)};
  if (!storage_class.empty()) op.headers.emplace_back("x-amz-storage-class", storage_class);
  ASSIGN_OR_RETURN(HttpResponse r, Execute(op));
  return ParseInitiateMultipartUpload(r.body);
}

StatusOr<std::string> S3Client::UploadPart(const std::string& key, const std::string& upload_id,
                                           int part_number, std::string_view body) {
  Op op{"PUT",
        key,
        {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}},
        {{"Content-Type", "application/octet-stream"}},
        body,
        "uploading part " + std::to_string(part_number) + " of " + Describe(key)};
  ASSIGN_OR_RETURN(HttpResponse r, Execute(op));
  std::optional<std::string> etag = r.headers.Get("ETag");
  if (!etag || etag->empty()) return UnavailableError("S3 sent no ETag while " + op.what);
  return *etag;
}

Status S3Client::CompleteMultipartUpload(const std::string& key, const std::string& upload_id,
                                         const std::vector<S3CompletedPart>& parts,
                                         uint64_t expected_size) {
  const std::string body = BuildCompleteMultipartUploadXml(parts);
  Op op{"POST",
        key,
        {{"uploadId", upload_id}},
        {{"Content-Type", "application/xml"}},
        body,
        "completing the upload of " + Describe(key)};
  return Retry(config_.retry, op.what, [&](int attempt) -> Status {
    StatusOr<HttpResponse> r = SendOnce(op, nullptr);
    if (!r.ok()) return r.status();
    Status s;
    if (r->status < 200 || r->status >= 300) {
      s = ErrorFor(op, *r);
    } else {
      // S3 may report a failure inside a 200 response.
      ASSIGN_OR_RETURN(std::optional<S3ErrorInfo> err, ParseCompleteMultipartUpload(r->body));
      if (!err) return Status::OK();
      HttpResponse as_error;
      as_error.status = IsRetryableS3Code(err->code) ? 503 : 400;
      as_error.body = r->body;
      s = ErrorFor(op, as_error);
    }
    if (attempt > 1 && s.detail() == ErrorDetail::kNoSuchUpload) {
      // An earlier attempt may have completed the upload before its answer was lost.
      StatusOr<S3ObjectInfo> info = HeadObject(key);
      if (info.ok() && info->size == expected_size) return Status::OK();
    }
    return s;
  });
}

Status S3Client::AbortMultipartUpload(const std::string& key, const std::string& upload_id) {
  Op op{"DELETE", key, {{"uploadId", upload_id}},
        {},       {},  "aborting the upload of " + Describe(key)};
  StatusOr<HttpResponse> r = Execute(op);
  if (!r.ok() && IsNotFound(r.status()) && !IsMissingBucket(r.status())) return Status::OK();
  return r.status();
}

}  // namespace cofre
