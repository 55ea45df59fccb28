// AWS KMS error answers: parsing the error an AWS endpoint sent (JSON `__type` / `message`, the
// `x-amzn-ErrorType` header, or the XML error document that signature checks answer with) and
// mapping it to a Status with the codes kms.h promises:
//   DisabledException, KMSInvalidStateException             -> FailedPrecondition (key unusable)
//   InvalidKeyUsageException, UnsupportedOperationException -> FailedPrecondition (wrong key type)
//   AccessDeniedException, IncorrectKeyException,
//   InvalidCiphertextException                              -> PermissionDenied (not this key's)
//   NotFoundException                                       -> NotFound
//   rejected credentials or signature (401/403, UnrecognizedClientException, ...)
//                                                           -> Unauthenticated
//   throttling, KMSInternalException, KeyUnavailableException, DependencyTimeoutException,
//   408/429/5xx                                             -> Unavailable (retried)
//   any other 4xx                                           -> InvalidArgument
// Messages name the KMS URI redacted and quote at most a short, sanitised part of AWS's text.
// Thread-safety: pure functions.
#ifndef COFRE_KMS_AWS_KMS_ERRORS_H_
#define COFRE_KMS_AWS_KMS_ERRORS_H_

#include <optional>
#include <string>
#include <string_view>

#include "util/status.h"

namespace cofre {

// The error an AWS service sent: its type ("NotFoundException") and message (maybe empty).
struct AwsServiceError {
  std::string type;
  std::string message;
};

// Reads the error type from `error_type_header` (x-amzn-ErrorType) when present, else from the
// body's JSON `__type` or XML `<Code>`; namespace prefixes ("com.amazonaws.kms#") and suffixes
// (":http://...") are removed. Unparseable bodies give an empty type.
AwsServiceError ParseAwsServiceError(std::string_view body,
                                     const std::optional<std::string>& error_type_header);

// The Status for a non-2xx answer to `what` ("decrypting the backup's data key") from the KMS
// of `display` (the redacted KMS URI).
Status AwsKmsErrorStatus(int http_status, const AwsServiceError& error, std::string_view what,
                         std::string_view display);

}  // namespace cofre

#endif  // COFRE_KMS_AWS_KMS_ERRORS_H_
