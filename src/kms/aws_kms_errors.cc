#include "kms/aws_kms_errors.h"

#include <algorithm>
#include <array>

#include "util/json.h"

namespace cofre {
namespace {

constexpr size_t kMaxQuotedMessage = 240;

// "com.amazonaws.kms#NotFoundException:http://..." -> "NotFoundException".
std::string CleanType(std::string_view type) {
  if (size_t hash = type.rfind('#'); hash != std::string_view::npos) type.remove_prefix(hash + 1);
  if (size_t colon = type.find(':'); colon != std::string_view::npos) type = type.substr(0, colon);
  std::string out;
  for (char c : type) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
        c == '_' || c == '-') {
      out.push_back(c);
    }
  }
  return out.substr(0, 100);
}

// Printable ASCII only, shortened: AWS text is shown to users but is not trusted.
std::string Sanitize(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (out.size() >= kMaxQuotedMessage) {
      out += "...";
      break;
    }
    out.push_back(c >= 0x20 && c < 0x7F ? c : ' ');
  }
  return out;
}

std::string_view XmlElement(std::string_view body, std::string_view name) {
  const std::string open = "<" + std::string(name) + ">";
  const std::string close = "</" + std::string(name) + ">";
  size_t start = body.find(open);
  if (start == std::string_view::npos) return {};
  start += open.size();
  size_t end = body.find(close, start);
  if (end == std::string_view::npos) return {};
  return body.substr(start, end - start);
}

template <size_t N>
bool IsOneOf(std::string_view type, const std::array<std::string_view, N>& names) {
  return std::find(names.begin(), names.end(), type) != names.end();
}

constexpr std::array<std::string_view, 10> kCredentialErrors = {
    "UnrecognizedClientException", "InvalidSignatureException",
    "IncompleteSignature",         "IncompleteSignatureException",
    "MissingAuthenticationToken",  "MissingAuthenticationTokenException",
    "ExpiredTokenException",       "InvalidClientTokenId",
    "SignatureDoesNotMatch",       "AuthFailure"};
constexpr std::array<std::string_view, 9> kRetryableErrors = {
    "ThrottlingException",        "Throttling",         "LimitExceededException",
    "KMSInternalException",       "InternalFailure",    "KeyUnavailableException",
    "DependencyTimeoutException", "ServiceUnavailable", "RequestTimeout"};
constexpr std::array<std::string_view, 3> kWrongKeyErrors = {
    "AccessDeniedException", "IncorrectKeyException", "InvalidCiphertextException"};

}  // namespace

AwsServiceError ParseAwsServiceError(std::string_view body,
                                     const std::optional<std::string>& error_type_header) {
  AwsServiceError e;
  StatusOr<JsonFields> json = ParseJsonObject(body);
  if (json.ok()) {
    auto get = [&](std::string_view name) -> std::string {
      auto it = json->find(name);
      return it == json->end() ? std::string() : it->second;
    };
    e.type = CleanType(get("__type"));
    e.message = get("message");
    if (e.message.empty()) e.message = get("Message");
  } else {
    e.type = CleanType(XmlElement(body, "Code"));
    e.message = std::string(XmlElement(body, "Message"));
  }
  if (error_type_header && !error_type_header->empty()) e.type = CleanType(*error_type_header);
  e.message = Sanitize(e.message);
  return e;
}

Status AwsKmsErrorStatus(int http_status, const AwsServiceError& error, std::string_view what,
                         std::string_view display) {
  std::string detail = "HTTP " + std::to_string(http_status);
  if (!error.type.empty()) detail += " " + error.type;
  if (!error.message.empty()) detail += ": " + error.message;
  const std::string uri = "'" + std::string(display) + "'";
  const std::string& type = error.type;

  if (type == "DisabledException") {
    return FailedPreconditionError("the KMS key of " + uri + " is disabled (" + detail +
                                   ") while " + std::string(what) +
                                   "; enable the key in AWS KMS, or use another of the backup's "
                                   "KMS keys");
  }
  if (type == "KMSInvalidStateException") {
    return FailedPreconditionError("the KMS key of " + uri +
                                   " cannot be used in its current state, e.g. pending deletion (" +
                                   detail + ") while " + std::string(what) +
                                   "; cancel the key's deletion or use another of the backup's "
                                   "KMS keys");
  }
  if (type == "InvalidKeyUsageException" || type == "UnsupportedOperationException") {
    return FailedPreconditionError("the KMS key of " + uri + " cannot encrypt data keys (" +
                                   detail + "); use a symmetric ENCRYPT_DECRYPT key");
  }
  if (type == "NotFoundException") {
    return NotFoundError("the KMS key of " + uri + " does not exist (" + detail +
                         "); check the key id, ARN or alias and the REGION parameter");
  }
  if (type == "RequestTimeTooSkewed" ||
      (type == "InvalidSignatureException" && error.message.find("expired") != std::string::npos)) {
    return Status(StatusCode::kUnauthenticated, "AWS KMS refused a request for " + uri +
                                                    " because this machine's clock is off (" +
                                                    detail + "); fix the system time");
  }
  if (IsOneOf(type, kCredentialErrors) || http_status == 401 || http_status == 403) {
    return Status(StatusCode::kUnauthenticated,
                  "AWS KMS rejected the credentials of " + uri + " (" + detail + ") while " +
                      std::string(what) +
                      "; check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN "
                      "(or, with AUTH=implicit, the environment and ~/.aws files)");
  }
  if (IsOneOf(type, kWrongKeyErrors)) {
    return PermissionDeniedError("AWS KMS refused " + std::string(what) + " with the key of " +
                                 uri + " (" + detail + ")");
  }
  if (IsOneOf(type, kRetryableErrors) || http_status == 408 || http_status == 429 ||
      http_status >= 500) {
    return UnavailableError("AWS KMS for " + uri + " answered " + detail);
  }
  return InvalidArgumentError("AWS KMS refused the request while " + std::string(what) + " for " +
                              uri + " (" + detail + ")");
}

}  // namespace cofre
