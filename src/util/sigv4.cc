#include "util/sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>
#include <map>

#include "util/ascii.h"
#include "util/sha256.h"
#include "util/uri.h"

namespace cofre {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string_view AsView(const unsigned char* p, size_t n) {
  return std::string_view(reinterpret_cast<const char*>(p), n);
}

std::string DateStamp(std::chrono::system_clock::time_point t) { return AmzDate(t).substr(0, 8); }

}  // namespace

std::string SigV4Request::EncodedQuery() const {
  std::string out;
  for (const auto& [k, v] : query) {
    if (!out.empty()) out.push_back('&');
    out += PercentEncode(k, false) + "=" + PercentEncode(v, false);
  }
  return out;
}

SigV4Params SigV4Params::ForS3(std::string region, std::chrono::system_clock::time_point time) {
  SigV4Params p;
  p.region = std::move(region);
  p.service = "s3";
  p.time = time;
  p.normalize_path = false;
  p.encode_path = false;
  p.add_content_sha256_header = true;
  return p;
}

SigV4Params SigV4Params::ForService(std::string service, std::string region,
                                    std::chrono::system_clock::time_point time) {
  SigV4Params p;
  p.region = std::move(region);
  p.service = std::move(service);
  p.time = time;
  return p;
}

std::string NormalizeUriPath(std::string_view path) {
  std::vector<std::string_view> segments;
  bool trailing_slash = false;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    std::string_view seg =
        path.substr(pos, slash == std::string_view::npos ? std::string_view::npos : slash - pos);
    bool last = slash == std::string_view::npos;
    if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
      trailing_slash = last;
    } else if (seg == ".") {
      trailing_slash = last;
    } else if (seg.empty()) {
      trailing_slash = last;
    } else {
      segments.push_back(seg);
      trailing_slash = false;
    }
    if (last) break;
    pos = slash + 1;
  }
  std::string out;
  for (std::string_view seg : segments) {
    out.push_back('/');
    out.append(seg);
  }
  if (out.empty() || trailing_slash) out.push_back('/');
  return out;
}

std::string CanonicalUriPath(std::string_view wire_path, bool normalize, bool encode) {
  std::string path = normalize ? NormalizeUriPath(wire_path) : std::string(wire_path);
  if (path.empty()) path = "/";
  return encode ? PercentEncode(path, /*keep_slash=*/true) : path;
}

std::string CanonicalQueryString(const KeyValueList& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [k, v] : query) {
    encoded.emplace_back(PercentEncode(k, false), PercentEncode(v, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [k, v] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += k + "=" + v;
  }
  return out;
}

std::string CanonicalHeaderValue(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

std::string CanonicalRequest(const SigV4Request& request, const SigV4Params& params,
                             std::string* signed_headers) {
  // Lower-cased name -> values in request order (a std::map sorts the names).
  std::map<std::string, std::vector<std::string>> headers;
  for (const auto& [name, value] : request.headers) {
    headers[AsciiLower(name)].push_back(CanonicalHeaderValue(value));
  }
  std::string canonical_headers;
  signed_headers->clear();
  for (const auto& [name, values] : headers) {
    canonical_headers += name + ":";
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) canonical_headers.push_back(',');
      canonical_headers += values[i];
    }
    canonical_headers.push_back('\n');
    if (!signed_headers->empty()) signed_headers->push_back(';');
    *signed_headers += name;
  }
  return request.method + "\n" +
         CanonicalUriPath(request.path, params.normalize_path, params.encode_path) + "\n" +
         CanonicalQueryString(request.query) + "\n" + canonical_headers + "\n" + *signed_headers +
         "\n" + request.payload_hash;
}

std::string AmzDate(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string CredentialScope(const SigV4Params& params) {
  return DateStamp(params.time) + "/" + params.region + "/" + params.service + "/aws4_request";
}

std::string StringToSign(std::string_view canonical_request, const SigV4Params& params) {
  return std::string(kAlgorithm) + "\n" + AmzDate(params.time) + "\n" + CredentialScope(params) +
         "\n" + Sha256::HexDigest(canonical_request);
}

std::string SignatureHex(const AwsCredentials& credentials, const SigV4Params& params,
                         std::string_view string_to_sign) {
  std::string secret = "AWS4" + credentials.secret_access_key;
  unsigned char k_date[32], k_region[32], k_service[32], k_signing[32], sig[32];
  HmacSha256(secret, DateStamp(params.time), k_date);
  HmacSha256(AsView(k_date, 32), params.region, k_region);
  HmacSha256(AsView(k_region, 32), params.service, k_service);
  HmacSha256(AsView(k_service, 32), "aws4_request", k_signing);
  HmacSha256(AsView(k_signing, 32), string_to_sign, sig);
  OPENSSL_cleanse(secret.data(), secret.size());
  OPENSSL_cleanse(k_date, sizeof(k_date));
  OPENSSL_cleanse(k_region, sizeof(k_region));
  OPENSSL_cleanse(k_service, sizeof(k_service));
  OPENSSL_cleanse(k_signing, sizeof(k_signing));
  return ToHex(AsView(sig, sizeof(sig)));
}

SigV4Signature SignRequestHeaders(const AwsCredentials& credentials, const SigV4Params& params,
                                  SigV4Request* request) {
  request->headers.emplace_back("X-Amz-Date", AmzDate(params.time));
  if (params.add_content_sha256_header) {
    request->headers.emplace_back("X-Amz-Content-SHA256", request->payload_hash);
  }
  const bool has_token = !credentials.session_token.empty();
  if (has_token && params.sign_session_token) {
    request->headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  SigV4Signature out;
  std::string signed_headers;
  out.canonical_request = CanonicalRequest(*request, params, &signed_headers);
  out.string_to_sign = StringToSign(out.canonical_request, params);
  out.signature = SignatureHex(credentials, params, out.string_to_sign);
  out.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" +
                      CredentialScope(params) + ", SignedHeaders=" + signed_headers +
                      ", Signature=" + out.signature;
  if (has_token && !params.sign_session_token) {
    request->headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  request->headers.emplace_back("Authorization", out.authorization);
  return out;
}

SigV4Signature PresignRequestQuery(const AwsCredentials& credentials, const SigV4Params& params,
                                   std::chrono::seconds expires, SigV4Request* request) {
  std::vector<std::string> names;
  for (const auto& [name, value] : request->headers) names.push_back(AsciiLower(name));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  std::string signed_headers;
  for (const std::string& n : names) signed_headers += (signed_headers.empty() ? "" : ";") + n;

  const bool has_token = !credentials.session_token.empty();
  request->query.emplace_back("X-Amz-Algorithm", std::string(kAlgorithm));
  request->query.emplace_back("X-Amz-Credential",
                              credentials.access_key_id + "/" + CredentialScope(params));
  request->query.emplace_back("X-Amz-Date", AmzDate(params.time));
  request->query.emplace_back("X-Amz-Expires", std::to_string(expires.count()));
  request->query.emplace_back("X-Amz-SignedHeaders", signed_headers);
  if (has_token && params.sign_session_token) {
    request->query.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  SigV4Signature out;
  std::string ignored;
  out.canonical_request = CanonicalRequest(*request, params, &ignored);
  out.string_to_sign = StringToSign(out.canonical_request, params);
  out.signature = SignatureHex(credentials, params, out.string_to_sign);
  if (has_token && !params.sign_session_token) {
    request->query.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }
  request->query.emplace_back("X-Amz-Signature", out.signature);
  return out;
}

std::string S3WirePath(std::string_view decoded_path) {
  return PercentEncode(decoded_path, /*keep_slash=*/true);
}

}  // namespace cofre
