// AwsEndpoint: the scheme and host[:port] an AWS-protocol client (S3, KMS) talks to, from the
// AWS_ENDPOINT parameter of a URI or, when that is empty, the service's regional endpoint.
// Thread-safety: pure functions and plain values.
#ifndef COFRE_UTIL_AWS_ENDPOINT_H_
#define COFRE_UTIL_AWS_ENDPOINT_H_

#include <string>
#include <string_view>

#include "util/status.h"

namespace cofre {

struct AwsEndpoint {
  std::string scheme;     // "http" or "https"
  std::string host_port;  // "127.0.0.1:9000", "kms.us-east-1.amazonaws.com"
};

// Parses `endpoint` ("scheme://host[:port]", a trailing '/' allowed); an empty one means
// https://<service>.<region>.amazonaws.com. InvalidArgument naming `display` (the redacted
// URI, as the user knows it) for another scheme or a path, query or user part.
StatusOr<AwsEndpoint> ParseAwsEndpoint(std::string_view endpoint, std::string_view service,
                                       std::string_view region, std::string_view display);

}  // namespace cofre

#endif  // COFRE_UTIL_AWS_ENDPOINT_H_
