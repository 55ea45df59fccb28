#include "kms/kms.h"

#include <openssl/crypto.h>

#include <utility>

#include "kms/aws_kms.h"
#include "util/uri.h"

namespace cofre {

KmsPlaintext::KmsPlaintext(std::string&& bytes) : bytes_(bytes) {
  // Copy, then wipe the caller's buffer: a moved small string would leave its bytes behind.
  if (bytes.capacity() > 0) OPENSSL_cleanse(bytes.data(), bytes.capacity());
  bytes.clear();
}

KmsPlaintext::~KmsPlaintext() { Wipe(); }

KmsPlaintext::KmsPlaintext(KmsPlaintext&& other) noexcept : bytes_(other.bytes_) { other.Wipe(); }

KmsPlaintext& KmsPlaintext::operator=(KmsPlaintext&& other) noexcept {
  if (this != &other) {
    Wipe();
    bytes_ = other.bytes_;
    other.Wipe();
  }
  return *this;
}

void KmsPlaintext::Wipe() {
  if (bytes_.capacity() > 0) OPENSSL_cleanse(bytes_.data(), bytes_.capacity());
  bytes_.clear();
}

RetrySettings DefaultKmsRetrySettings() {
  RetrySettings s;
  s.max_attempts = 6;
  s.initial_backoff = std::chrono::milliseconds(100);
  s.max_backoff = std::chrono::milliseconds(5'000);
  s.total_budget = std::chrono::milliseconds(30'000);
  return s;
}

const std::vector<std::string_view>& SupportedKmsSchemes() {
  static const std::vector<std::string_view> kSchemes = {"aws", "aws-kms"};
  return kSchemes;
}

StatusOr<std::unique_ptr<Kms>> OpenKms(std::string_view uri, const KmsOptions& options) {
  StatusOr<Uri> parsed = ParseUri(uri);
  if (!parsed.ok()) {
    return InvalidArgumentError("malformed KMS URI '" + RedactUri(uri) +
                                "'; use aws:///<key id, ARN or alias/name>?REGION=...");
  }
  if (parsed->scheme == "aws" || parsed->scheme == "aws-kms") {
    ASSIGN_OR_RETURN(auto kms, AwsKms::Open(*parsed, options));
    return std::unique_ptr<Kms>(std::move(kms));
  }
  std::string schemes;
  for (std::string_view s : SupportedKmsSchemes()) {
    schemes += (schemes.empty() ? "" : ", ") + std::string(s) + ":///";
  }
  return InvalidArgumentError(
      "KMS URI '" + RedactUri(uri) + "' has scheme " + parsed->scheme +
      ", which this cofre does not support; supported KMS schemes: " + schemes);
}

}  // namespace cofre
