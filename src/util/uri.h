// Uri: a parsed external URI (nodelocal://1/path, file:///abs, s3://bucket/path?K=V,
// aws:///key?K=V).
//
// Query parameters keep their order and are percent-decoded. Parsing never fails silently: a
// malformed URI is InvalidArgument with a message that shows the URI redacted.
// Thread-safety: a plain value.
#ifndef COFRE_UTIL_URI_H_
#define COFRE_UTIL_URI_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/status.h"

namespace cofre {

struct Uri {
  std::string scheme;  // lower-cased, e.g. "s3"
  std::string host;    // authority (bucket, node id); may be empty ("aws:///key")
  std::string path;    // percent-decoded, starts with '/' when non-empty
  std::vector<std::pair<std::string, std::string>> params;  // decoded, in order

  // The value of parameter `name` (exact, case-sensitive), if present.
  std::optional<std::string> Param(std::string_view name) const;
  // Refuses any parameter not in `known`, naming the first unknown one.
  Status CheckParams(const std::vector<std::string_view>& known) const;
  // Re-renders the URI with each parameter in `secret_params` shown as "redacted". Names match
  // as IsSecretUriParam matches them: case-insensitively, ignoring punctuation and escapes.
  std::string Redacted(const std::vector<std::string_view>& secret_params) const;
  // Renders the URI (percent-encoding as needed).
  std::string ToString() const;
};

// Refuses parameters not in `known` (naming all of them, and listing the known ones) and any
// parameter given twice. `scheme` ("s3") and `redacted` (the redacted URI) name it in messages.
Status CheckKnownUriParams(const Uri& uri, const std::vector<std::string_view>& known,
                           std::string_view scheme, std::string_view redacted);

// Parses "scheme://host/path?k=v&...". InvalidArgument when there is no scheme.
StatusOr<Uri> ParseUri(std::string_view text);

// Names of query parameters that carry secrets in any scheme cofre knows.
const std::vector<std::string_view>& SecretUriParams();
// Whether a query parameter named `name` (raw or decoded) is to be hidden: its name, once
// percent-decoded, upper-cased and stripped of everything but letters and digits, is that of a
// parameter in `secret_params` (SecretUriParams() by default). Errs towards hiding:
// "aws_secret_access_key", "AWS%5FSECRET_ACCESS_KEY" and "AWS-SECRET-ACCESS-KEY" all match.
bool IsSecretUriParam(std::string_view name);
bool IsSecretUriParam(std::string_view name, const std::vector<std::string_view>& secret_params);
// Redacts `text` for display: the value of every query parameter IsSecretUriParam names becomes
// "redacted". It never fails and is idempotent: malformed URIs are redacted too (every '&' or '?'
// after the first '?' starts a parameter), and text without "://" before its first '?' shows as
// "<unparseable URI>".
std::string RedactUri(std::string_view text);

// Percent-encoding per RFC 3986 (unreserved characters kept). `keep_slash` leaves '/' as is.
std::string PercentEncode(std::string_view s, bool keep_slash);
// Decodes %XX escapes ('+' stays '+'). InvalidArgument on a malformed escape.
StatusOr<std::string> PercentDecode(std::string_view s);

}  // namespace cofre

#endif  // COFRE_UTIL_URI_H_
