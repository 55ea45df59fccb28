#include "kms/aws_kms_client.h"

#include <openssl/crypto.h>

#include "kms/aws_kms_errors.h"
#include "util/aws_endpoint.h"
#include "util/sha256.h"
#include "util/sigv4.h"

namespace cofre {
namespace {

constexpr std::string_view kContentType = "application/x-amz-json-1.1";

// A response buffer sized once and wiped on destruction.
class WipedBuffer {
 public:
  explicit WipedBuffer(size_t capacity) { bytes_.reserve(capacity); }
  ~WipedBuffer() { OPENSSL_cleanse(bytes_.data(), bytes_.capacity()); }
  WipedBuffer(const WipedBuffer&) = delete;
  WipedBuffer& operator=(const WipedBuffer&) = delete;

  // Appends without ever reallocating; false when `data` does not fit.
  bool Append(std::string_view data) {
    if (data.size() > bytes_.capacity() - bytes_.size()) return false;
    bytes_.append(data);
    return true;
  }
  std::string_view view() const { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace

StatusOr<std::unique_ptr<AwsKmsClient>> AwsKmsClient::New(AwsKmsClientConfig config) {
  if (config.region.empty()) {
    return InvalidArgumentError("no REGION in KMS URI '" + config.display +
                                "'; add REGION=<the key's region>, e.g. REGION=us-east-1");
  }
  ASSIGN_OR_RETURN(AwsEndpoint endpoint, ParseAwsEndpoint(config.endpoint, "kms", config.region,
                                                          "KMS URI '" + config.display + "'"));
  auto client = std::unique_ptr<AwsKmsClient>(new AwsKmsClient(std::move(config)));
  client->scheme_ = std::move(endpoint.scheme);
  client->host_port_ = std::move(endpoint.host_port);
  return client;
}

StatusOr<JsonFields> AwsKmsClient::CallOnce(std::string_view action, std::string_view body,
                                            std::string_view what) {
  const std::string target = "TrentService." + std::string(action);
  SigV4Request sreq;
  sreq.method = "POST";
  sreq.path = "/";
  sreq.headers = {
      {"Host", host_port_}, {"Content-Type", std::string(kContentType)}, {"X-Amz-Target", target}};
  sreq.payload_hash = Sha256::HexDigest(body);
  SignRequestHeaders(
      config_.credentials,
      SigV4Params::ForService("kms", config_.region, std::chrono::system_clock::now()), &sreq);

  HttpRequest req;
  req.method = "POST";
  req.url = scheme_ + "://" + host_port_ + "/";
  for (const auto& [k, v] : sreq.headers) req.headers.Add(k, v);
  req.body = body;
  req.connect_timeout = config_.connect_timeout;
  req.total_timeout = config_.request_timeout;

  WipedBuffer response_body(kMaxKmsResponseSize);
  bool too_large = false;
  HttpBodyCallback on_body = [&](std::string_view data) -> Status {
    if (!response_body.Append(data)) {
      too_large = true;
      return UnavailableError("AWS KMS for '" + config_.display + "' sent a response larger than " +
                              std::to_string(kMaxKmsResponseSize) + " bytes while " +
                              std::string(what));
    }
    return Status::OK();
  };
  ++request_count_;
  StatusOr<HttpResponse> r = http_.SendStreaming(req, on_body);
  if (!r.ok()) {
    if (too_large) return r.status();
    return UnavailableError("cannot reach AWS KMS at " + host_port_ + " for '" + config_.display +
                            "': " + r.status().message());
  }
  if (r->status < 200 || r->status >= 300) {
    return AwsKmsErrorStatus(r->status,
                             ParseAwsServiceError(r->body, r->headers.Get("x-amzn-ErrorType")),
                             what, config_.display);
  }
  StatusOr<JsonFields> fields = ParseJsonObject(response_body.view());
  if (!fields.ok()) {
    // A garbled answer (a proxy's error page, a cut connection): worth another attempt.
    return UnavailableError("AWS KMS for '" + config_.display +
                            "' sent a response that is not a JSON object while " +
                            std::string(what) + " (" + fields.status().message() + ")");
  }
  return fields;
}

StatusOr<JsonFields> AwsKmsClient::Call(std::string_view action, std::string_view body,
                                        std::string_view what) {
  StatusOr<JsonFields> result = UnavailableError("no request was sent");
  Status s = Retry(config_.retry, std::string(what) + " with AWS KMS", [&](int) -> Status {
    result = CallOnce(action, body, what);
    return result.status();
  });
  if (!s.ok()) return s;
  return result;
}

}  // namespace cofre
