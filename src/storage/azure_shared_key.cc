#include "storage/azure_shared_key.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <optional>

#include "util/base64.h"
#include "util/sha256.h"

namespace cofre {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Trims and folds every run of whitespace into one space.
std::string FoldValue(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (IsSpace(c)) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

std::optional<std::string> HeaderValue(const AzureKeyValues& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (Lower(k) == name) return v;
  }
  return std::nullopt;
}

}  // namespace

std::string AzureCanonicalizedResource(std::string_view account, std::string_view path,
                                       const AzureKeyValues& query) {
  std::string out = "/" + std::string(account) + std::string(path.empty() ? "/" : path);
  std::map<std::string, std::vector<std::string>> params;
  for (const auto& [k, v] : query) params[Lower(k)].push_back(v);
  for (auto& [name, values] : params) {
    std::sort(values.begin(), values.end());
    out += "\n" + name + ":";
    for (size_t i = 0; i < values.size(); ++i) out += (i == 0 ? "" : ",") + values[i];
  }
  return out;
}

std::string AzureCanonicalizedHeaders(const AzureKeyValues& headers) {
  std::map<std::string, std::string> ms;
  for (const auto& [k, v] : headers) {
    std::string name = Lower(FoldValue(k));
    if (!name.starts_with("x-ms-")) continue;
    std::string value = FoldValue(v);
    auto [it, inserted] = ms.emplace(name, value);
    if (!inserted) it->second += "," + value;
  }
  std::string out;
  for (const auto& [k, v] : ms) out += k + ":" + v + "\n";
  return out;
}

std::string AzureSharedKeyStringToSign(std::string_view account, const AzureSignedRequest& r) {
  static constexpr std::string_view kStandard[] = {"content-encoding",
                                                   "content-language",
                                                   "content-length",
                                                   "content-md5",
                                                   "content-type",
                                                   "date",
                                                   "if-modified-since",
                                                   "if-match",
                                                   "if-none-match",
                                                   "if-unmodified-since",
                                                   "range"};
  std::string out = r.method + "\n";
  for (std::string_view h : kStandard) {
    if (h == "content-length") {
      out += (r.content_length == 0 ? "" : std::to_string(r.content_length)) + "\n";
    } else {
      out += HeaderValue(r.headers, h).value_or("") + "\n";
    }
  }
  out += AzureCanonicalizedHeaders(r.headers);
  out += AzureCanonicalizedResource(account, r.path, r.query);
  return out;
}

StatusOr<AzureSharedKey> AzureSharedKey::New(std::string account, std::string_view key_base64) {
  if (account.empty()) return InvalidArgumentError("the Azure account name is empty");
  StatusOr<std::string> key = Base64Decode(key_base64);
  if (!key.ok() || key->empty()) {
    return InvalidArgumentError(
        "AZURE_ACCOUNT_KEY is not a base64 account key (copy key1 or key2 of the storage "
        "account's access keys)");
  }
  return AzureSharedKey(std::move(account), std::move(*key));
}

AzureSharedKey::~AzureSharedKey() { OPENSSL_cleanse(key_.data(), key_.size()); }

AzureSharedKey& AzureSharedKey::operator=(AzureSharedKey&& other) noexcept {
  if (this != &other) {
    OPENSSL_cleanse(key_.data(), key_.size());
    account_ = std::move(other.account_);
    key_ = std::move(other.key_);
  }
  return *this;
}

std::string AzureSharedKey::Sign(std::string_view string_to_sign) const {
  unsigned char mac[32];
  HmacSha256(key_, string_to_sign, mac);
  std::string sig = Base64Encode(std::string_view(reinterpret_cast<const char*>(mac), 32));
  OPENSSL_cleanse(mac, sizeof(mac));
  return sig;
}

std::string AzureSharedKey::Authorization(const AzureSignedRequest& r) const {
  return "SharedKey " + account_ + ":" + Sign(AzureSharedKeyStringToSign(account_, r));
}

std::string HttpDate(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

}  // namespace cofre
