// Azure Storage Shared Key authorization (the "SharedKey account:signature" Authorization header
// of the Blob service, versions 2009-09-19 and later).
//
// The string to sign is the verb, eleven standard header values (Content-Encoding,
// Content-Language, Content-Length — empty when zero —, Content-MD5, Content-Type, Date,
// If-Modified-Since, If-Match, If-None-Match, If-Unmodified-Since, Range), the canonicalized
// x-ms-* headers (lower-case names, sorted, values trimmed with inner whitespace runs folded,
// "name:value\n" each) and the canonicalized resource ("/" account wire-path, then
// "\nname:value" per query parameter: names lower-cased and sorted, a repeated parameter's
// values sorted and joined with ','). The signature is base64(HMAC-SHA256(base64-decoded account
// key, string to sign)).
// Thread-safety: pure functions; AzureSharedKey is immutable after construction.
#ifndef COFRE_STORAGE_AZURE_SHARED_KEY_H_
#define COFRE_STORAGE_AZURE_SHARED_KEY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace cofre {

using AzureKeyValues = std::vector<std::pair<std::string, std::string>>;

// The parts of a request that Shared Key covers.
struct AzureSignedRequest {
  std::string method;      // "GET", "PUT", ...
  std::string path;        // as on the wire (percent-encoded), e.g. "/container/dir/blob"
  AzureKeyValues query;    // decoded names and values
  AzureKeyValues headers;  // any case; x-ms-date (or Date) and x-ms-version among them
  uint64_t content_length = 0;
};

// "/<account><path>" plus the sorted query lines.
std::string AzureCanonicalizedResource(std::string_view account, std::string_view path,
                                       const AzureKeyValues& query);
// The x-ms-* header lines, sorted.
std::string AzureCanonicalizedHeaders(const AzureKeyValues& headers);
std::string AzureSharedKeyStringToSign(std::string_view account, const AzureSignedRequest& r);

// An account name with its decoded key. The key bytes are wiped on destruction.
class AzureSharedKey {
 public:
  // InvalidArgument when `account` is empty or `key_base64` is not base64 (never quoting it).
  static StatusOr<AzureSharedKey> New(std::string account, std::string_view key_base64);
  AzureSharedKey(AzureSharedKey&& other) noexcept = default;
  AzureSharedKey& operator=(AzureSharedKey&& other) noexcept;
  AzureSharedKey(const AzureSharedKey&) = delete;
  ~AzureSharedKey();

  const std::string& account() const { return account_; }
  // base64(HMAC-SHA256(key, string_to_sign)).
  std::string Sign(std::string_view string_to_sign) const;
  // "SharedKey <account>:<signature of r>".
  std::string Authorization(const AzureSignedRequest& r) const;

 private:
  AzureSharedKey(std::string account, std::string key)
      : account_(std::move(account)), key_(std::move(key)) {}
  std::string account_;
  std::string key_;  // raw bytes
};

// "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 1123, for x-ms-date).
std::string HttpDate(int64_t unix_seconds);

}  // namespace cofre

#endif  // COFRE_STORAGE_AZURE_SHARED_KEY_H_
