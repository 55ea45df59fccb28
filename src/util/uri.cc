#include "util/uri.h"

#include <algorithm>
#include <cctype>

namespace cofre {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsUnreserved(unsigned char c) {
  return std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

// A parameter name as IsSecretUriParam compares it: percent-decoded (repeatedly, so that
// "%255F" is "_" too; malformed escapes stay as they are), then only its letters and digits,
// upper-cased.
std::string NormalizedParamName(std::string_view name) {
  std::string decoded(name);
  for (bool changed = true; changed;) {
    changed = false;
    std::string out;
    out.reserve(decoded.size());
    for (size_t i = 0; i < decoded.size(); ++i) {
      int hi = -1, lo = -1;
      if (decoded[i] == '%' && i + 2 < decoded.size()) {
        hi = HexValue(decoded[i + 1]);
        lo = HexValue(decoded[i + 2]);
      }
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        changed = true;
      } else {
        out.push_back(decoded[i]);
      }
    }
    decoded = std::move(out);
  }
  std::string normalized;
  for (unsigned char c : decoded) {
    if (std::isalnum(c)) normalized.push_back(static_cast<char>(std::toupper(c)));
  }
  return normalized;
}

}  // namespace

std::string PercentEncode(std::string_view s, bool keep_slash) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

StatusOr<std::string> PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return InvalidArgumentError("malformed percent-escape in URI");
    int hi = HexValue(s[i + 1]), lo = HexValue(s[i + 2]);
    if (hi < 0 || lo < 0) return InvalidArgumentError("malformed percent-escape in URI");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::optional<std::string> Uri::Param(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return v;
  }
  return std::nullopt;
}

Status Uri::CheckParams(const std::vector<std::string_view>& known) const {
  for (const auto& [k, v] : params) {
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      std::string list;
      for (auto n : known) list += (list.empty() ? "" : ", ") + std::string(n);
      return InvalidArgumentError("unknown parameter " + k + " in " + scheme +
                                  " URI; known parameters: " + list);
    }
  }
  return Status::OK();
}

std::string Uri::ToString() const {
  // The host stays readable (s3://bucket, localhost:9000); only what would change how it parses
  // back is escaped.
  std::string out = scheme + "://";
  for (char c : host) {
    if (c == '%' || c == '/' || c == '?') {
      out += PercentEncode(std::string_view(&c, 1), false);
    } else {
      out.push_back(c);
    }
  }
  out += PercentEncode(path, /*keep_slash=*/true);
  char sep = '?';
  for (const auto& [k, v] : params) {
    out += sep + PercentEncode(k, false) + "=" + PercentEncode(v, false);
    sep = '&';
  }
  return out;
}

std::string Uri::Redacted(const std::vector<std::string_view>& secret_params) const {
  Uri copy = *this;
  for (auto& [k, v] : copy.params) {
    if (IsSecretUriParam(k, secret_params)) v = "redacted";
  }
  return copy.ToString();
}

StatusOr<Uri> ParseUri(std::string_view text) {
  Uri uri;
  size_t colon = text.find("://");
  if (colon == std::string_view::npos || colon == 0) {
    return InvalidArgumentError("malformed URI '" + RedactUri(text) +
                                "': expected scheme://host/path, e.g. nodelocal://1/backups");
  }
  for (char c : text.substr(0, colon)) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '+' && c != '.') {
      return InvalidArgumentError("malformed URI scheme in '" + RedactUri(text) + "'");
    }
    uri.scheme.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  std::string_view rest = text.substr(colon + 3);
  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  size_t slash = rest.find('/');
  std::string_view host = slash == std::string_view::npos ? rest : rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  ASSIGN_OR_RETURN(uri.host, PercentDecode(host));
  ASSIGN_OR_RETURN(uri.path, PercentDecode(path));
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (kv.empty()) continue;
    size_t eq = kv.find('=');
    ASSIGN_OR_RETURN(std::string k, PercentDecode(kv.substr(0, eq)));
    std::string v;
    if (eq != std::string_view::npos) {
      ASSIGN_OR_RETURN(v, PercentDecode(kv.substr(eq + 1)));
    }
    uri.params.emplace_back(std::move(k), std::move(v));
  }
  return uri;
}

Status CheckKnownUriParams(const Uri& uri, const std::vector<std::string_view>& known,
                           std::string_view scheme, std::string_view redacted) {
  std::vector<std::string> unknown;
  std::vector<std::string_view> seen;
  for (const auto& [k, v] : uri.params) {
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      unknown.push_back(k);
    } else if (std::find(seen.begin(), seen.end(), k) != seen.end()) {
      return InvalidArgumentError("parameter " + k + " appears more than once in '" +
                                  std::string(redacted) + "'; give it once");
    } else {
      seen.push_back(k);
    }
  }
  if (unknown.empty()) return Status::OK();
  std::string names, known_list;
  for (const std::string& u : unknown) names += (names.empty() ? "" : ", ") + u;
  for (std::string_view k : known) known_list += (known_list.empty() ? "" : ", ") + std::string(k);
  return InvalidArgumentError("unknown parameter" + std::string(unknown.size() > 1 ? "s " : " ") +
                              names + " in " + std::string(scheme) + " URI '" +
                              std::string(redacted) + "'; known parameters: " + known_list);
}

const std::vector<std::string_view>& SecretUriParams() {
  static const std::vector<std::string_view> kSecrets = {
      "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",   "AWS_ACCESS_KEY_ID", "CREDENTIALS",
      "AZURE_ACCOUNT_KEY",     "AZURE_CLIENT_SECRET", "AZURE_SAS_TOKEN",   "SIG"};
  return kSecrets;
}

bool IsSecretUriParam(std::string_view name) { return IsSecretUriParam(name, SecretUriParams()); }

bool IsSecretUriParam(std::string_view name, const std::vector<std::string_view>& secret_params) {
  const std::string normalized = NormalizedParamName(name);
  if (normalized.empty()) return false;
  for (std::string_view secret : secret_params) {
    if (NormalizedParamName(secret) == normalized) return true;
  }
  return false;
}

std::string RedactUri(std::string_view text) {
  // Like ParseUri, require "scheme://" before any query (this also keeps redaction idempotent:
  // hiding a value cannot remove the "://" that made the text a URI).
  const size_t q = text.find('?');
  if (text.substr(0, q).find("://") == std::string_view::npos) return "<unparseable URI>";
  if (q == std::string_view::npos) return std::string(text);
  // Split the query by hand so that even malformed URIs get redacted. ParseUri splits the query
  // at '&' only; splitting at '?' too finds every parameter it finds (and maybe more).
  std::string out(text.substr(0, q + 1));
  size_t start = q + 1;
  while (start <= text.size()) {
    size_t end = text.find_first_of("&?", start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view kv = text.substr(start, end - start);
    size_t eq = kv.find('=');
    if (eq != std::string_view::npos && IsSecretUriParam(kv.substr(0, eq))) {
      out.append(kv.substr(0, eq + 1));
      out.append("redacted");
    } else {
      out.append(kv);
    }
    if (end < text.size()) out.push_back(text[end]);
    start = end + 1;
  }
  return out;
}

}  // namespace cofre
