// AwsKmsClient: one AWS KMS endpoint in one region, spoken to with the AWS JSON 1.1 protocol:
// `POST /` with `Content-Type: application/x-amz-json-1.1`, `X-Amz-Target: TrentService.<Action>`
// and a JSON body, signed with SigV4 (service "kms") over util/http_client.
//
// Call() returns the top-level string members of a 2xx response; any other answer becomes a
// Status through AwsKmsErrorStatus (aws_kms_errors.h). Throttling, 5xx and transport failures
// are retried with util/retry; everything else is returned at once. Request bodies are read
// in place and 2xx response bodies land in one pre-sized buffer that is wiped after parsing, so
// key material in either leaves no copies behind.
// Thread-safety: one thread at a time (it owns one HTTP connection).
#ifndef COFRE_KMS_AWS_KMS_CLIENT_H_
#define COFRE_KMS_AWS_KMS_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "util/aws_credentials.h"
#include "util/http_client.h"
#include "util/json.h"
#include "util/retry.h"
#include "util/status.h"

namespace cofre {

// Largest 2xx response body accepted (KMS answers are a few hundred bytes).
inline constexpr size_t kMaxKmsResponseSize = 64 << 10;

struct AwsKmsClientConfig {
  std::string region;    // REQUIRES: non-empty
  std::string endpoint;  // "http[s]://host[:port]"; empty: https://kms.<region>.amazonaws.com
  AwsCredentials credentials;
  std::string display;  // the KMS URI, redacted, for messages
  RetrySettings retry;
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{30'000};  // whole request, per attempt
};

class AwsKmsClient {
 public:
  // Validates the endpoint. InvalidArgument naming `config.display` when it is not
  // http[s]://host[:port] without a path.
  static StatusOr<std::unique_ptr<AwsKmsClient>> New(AwsKmsClientConfig config);

  // Sends TrentService.`action` with JSON `body`; `what` ("encrypting the data key") names the
  // operation in errors. The caller wipes `body` if it holds secrets and wipes the result
  // (WipeJsonFields) if it does.
  StatusOr<JsonFields> Call(std::string_view action, std::string_view body, std::string_view what);

  // Requests sent so far, retries included.
  int request_count() const { return request_count_; }
  const std::string& display() const { return config_.display; }

 private:
  explicit AwsKmsClient(AwsKmsClientConfig config) : config_(std::move(config)) {}
  // One attempt: a transport error, an error Status for a non-2xx answer, or the fields.
  StatusOr<JsonFields> CallOnce(std::string_view action, std::string_view body,
                                std::string_view what);

  AwsKmsClientConfig config_;
  std::string scheme_;     // "http" or "https"
  std::string host_port_;  // as sent in Host
  HttpClient http_;
  int request_count_ = 0;
};

}  // namespace cofre

#endif  // COFRE_KMS_AWS_KMS_CLIENT_H_
