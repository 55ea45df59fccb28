// AWS Signature Version 4: signs an HTTP request for S3, KMS or any other AWS service, either
// with an Authorization header or as a presigned URL (signature in the query string).
//
// Steps (AWS's "Create a signed AWS API request"): canonical request -> string to sign ->
// signing key (HMAC chain over date, region, service) -> signature. The building blocks are
// public so that tests can check each step against AWS's published test suite.
//
// Path rules differ by service: S3 signs the wire path exactly as sent (no normalisation, no
// second encoding); other services remove dot segments and repeated slashes and percent-encode
// the wire path again. SigV4Params::ForS3 / ForService pick the right rules.
//
// Signing cannot fail; it never logs or returns the secret key (only the signature derived
// from it). Thread-safety: pure functions of their arguments; reentrant.
#ifndef COFRE_UTIL_SIGV4_H_
#define COFRE_UTIL_SIGV4_H_

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/aws_credentials.h"

namespace cofre {

using KeyValueList = std::vector<std::pair<std::string, std::string>>;

// The parts of an HTTP request that SigV4 covers.
struct SigV4Request {
  std::string method;  // "GET", "PUT", ...
  // The path as it goes on the wire (already percent-encoded as the service expects; for S3 each
  // byte of the key except '/' and unreserved characters is %XX-encoded, see S3WirePath).
  std::string path = "/";
  KeyValueList query;  // decoded names and values, in wire order
  // Header fields to sign, any case. REQUIRES: includes "host" (host[:port] as sent).
  KeyValueList headers;
  std::string payload_hash;  // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"

  // "k=v&k2=v2" percent-encoded in `query` order (what goes after '?').
  std::string EncodedQuery() const;
};

struct SigV4Params {
  std::string region;   // "us-east-1"
  std::string service;  // "s3", "kms"
  std::chrono::system_clock::time_point time;
  bool normalize_path = true;              // remove "." / ".." segments and repeated slashes
  bool encode_path = true;                 // percent-encode the wire path again ("double encoding")
  bool add_content_sha256_header = false;  // add x-amz-content-sha256 (S3 requires it)
  // When false, the session token is attached after signing instead of being signed
  // (a few services want that; S3 and KMS sign it).
  bool sign_session_token = true;

  // S3's rules: verbatim path, x-amz-content-sha256 header.
  static SigV4Params ForS3(std::string region, std::chrono::system_clock::time_point time);
  // Every other service (KMS, STS, ...): normalised, double-encoded path.
  static SigV4Params ForService(std::string service, std::string region,
                                std::chrono::system_clock::time_point time);
};

// The intermediate and final values of one signing, for tests and debugging. The canonical
// request and string to sign contain no secrets (they may contain the session token).
struct SigV4Signature {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;      // hex
  std::string authorization;  // header signing only: the Authorization header value
};

// Header signing: adds X-Amz-Date, X-Amz-Content-SHA256 (when asked), X-Amz-Security-Token (when
// the credentials have one) and Authorization to request->headers.
SigV4Signature SignRequestHeaders(const AwsCredentials& credentials, const SigV4Params& params,
                                  SigV4Request* request);

// Query signing (presigned URL valid for `expires`): adds X-Amz-Algorithm, X-Amz-Credential,
// X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Security-Token (when present) and
// X-Amz-Signature to request->query.
SigV4Signature PresignRequestQuery(const AwsCredentials& credentials, const SigV4Params& params,
                                   std::chrono::seconds expires, SigV4Request* request);

// --- building blocks ---

// The canonical URI of a wire path under `params`' rules.
std::string CanonicalUriPath(std::string_view wire_path, bool normalize, bool encode);
// Removes "." and ".." segments and empty segments; keeps a trailing slash. "" -> "/".
std::string NormalizeUriPath(std::string_view path);
// Names and values percent-encoded, sorted by name then value, joined with '&'.
std::string CanonicalQueryString(const KeyValueList& query);
// Trims a header value and collapses each run of whitespace (including folded lines) to one space.
std::string CanonicalHeaderValue(std::string_view value);
// The whole canonical request (method, URI, query, headers, signed header list, payload hash).
std::string CanonicalRequest(const SigV4Request& request, const SigV4Params& params,
                             std::string* signed_headers);
// "AWS4-HMAC-SHA256\n<amz-date>\n<scope>\n<hex sha256(canonical request)>".
std::string StringToSign(std::string_view canonical_request, const SigV4Params& params);
// "<yyyymmdd>/<region>/<service>/aws4_request".
std::string CredentialScope(const SigV4Params& params);
// "YYYYMMDDTHHMMSSZ" in UTC.
std::string AmzDate(std::chrono::system_clock::time_point t);
// Hex HMAC-SHA256 of the string to sign under the derived signing key.
std::string SignatureHex(const AwsCredentials& credentials, const SigV4Params& params,
                         std::string_view string_to_sign);

// S3's wire form of a decoded path such as "/bucket/key": every byte except unreserved
// characters and '/' percent-encoded.
std::string S3WirePath(std::string_view decoded_path);

}  // namespace cofre

#endif  // COFRE_UTIL_SIGV4_H_
