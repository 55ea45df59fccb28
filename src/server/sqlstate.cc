#include "server/sqlstate.h"

namespace cofre::server {

std::string_view SqlState(const Status& status) {
  switch (status.detail()) {
    case ErrorDetail::kSyntax:
      return "42601";
    case ErrorDetail::kUndefinedTable:
      return "42P01";
    case ErrorDetail::kUndefinedColumn:
      return "42703";
    case ErrorDetail::kDuplicateObject:
      return "42710";
    case ErrorDetail::kUniqueViolation:
      return "23505";
    case ErrorDetail::kNotNullViolation:
      return "23502";
    case ErrorDetail::kForeignKeyViolation:
      return "23503";
    case ErrorDetail::kCheckViolation:
      return "23514";
    case ErrorDetail::kSerializationFailure:
      return "40001";
    case ErrorDetail::kInsufficientPrivilege:
      return "42501";
    case ErrorDetail::kQueryCanceled:
      return "57014";
    case ErrorDetail::kDataException:
      return "22000";
    case ErrorDetail::kMissingContainer:  // storage kinds: the code's SQLSTATE below
    case ErrorDetail::kNoSuchUpload:
    case ErrorDetail::kWrongObjectSize:
    case ErrorDetail::kNone:
      break;
  }
  switch (status.code()) {
    case StatusCode::kOk:
      return "00000";
    case StatusCode::kInvalidArgument:
      return "42601";  // cofre's parser: a syntax error
    case StatusCode::kNotFound:
      return "42704";
    case StatusCode::kAlreadyExists:
      return "42710";
    case StatusCode::kPermissionDenied:
      return "42501";
    case StatusCode::kFailedPrecondition:
      return "55000";
    case StatusCode::kUnavailable:
      return "58000";  // storage or network: retry later
    case StatusCode::kAborted:
      return "40001";
    case StatusCode::kDataLoss:
      return "XX001";
    case StatusCode::kResourceExhausted:
      return "53000";
    case StatusCode::kCancelled:
      return "57014";
    case StatusCode::kDeadlineExceeded:
      return "57014";
    case StatusCode::kUnimplemented:
      return "0A000";
    case StatusCode::kOutOfRange:
      return "22003";
    case StatusCode::kUnauthenticated:
      return "28000";
    case StatusCode::kUnknown:
    case StatusCode::kInternal:
      return "XX000";
  }
  return "XX000";
}

}  // namespace cofre::server
