#include "util/status.h"

namespace cofre {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kCancelled:
      return "CANCELLED";
    case StatusCode::kUnknown:
      return "UNKNOWN";
    case StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case StatusCode::kDeadlineExceeded:
      return "DEADLINE_EXCEEDED";
    case StatusCode::kNotFound:
      return "NOT_FOUND";
    case StatusCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case StatusCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case StatusCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
    case StatusCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case StatusCode::kAborted:
      return "ABORTED";
    case StatusCode::kOutOfRange:
      return "OUT_OF_RANGE";
    case StatusCode::kUnimplemented:
      return "UNIMPLEMENTED";
    case StatusCode::kInternal:
      return "INTERNAL";
    case StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case StatusCode::kDataLoss:
      return "DATA_LOSS";
    case StatusCode::kUnauthenticated:
      return "UNAUTHENTICATED";
  }
  return "UNKNOWN";
}

Status::Status(StatusCode code, std::string message) {
  if (code != StatusCode::kOk) {
    rep_ = std::make_shared<const Rep>(Rep{code, std::move(message), {}, ErrorDetail::kNone});
  }
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return rep_ ? rep_->message : kEmpty;
}

const std::string& Status::hint() const {
  static const std::string kEmpty;
  return rep_ ? rep_->hint : kEmpty;
}

Status Status::WithHint(std::string hint) const {
  if (ok()) return *this;
  Status s;
  s.rep_ =
      std::make_shared<const Rep>(Rep{rep_->code, rep_->message, std::move(hint), rep_->detail});
  return s;
}

Status Status::WithDetail(ErrorDetail detail) const {
  if (ok()) return *this;
  Status s;
  s.rep_ = std::make_shared<const Rep>(Rep{rep_->code, rep_->message, rep_->hint, detail});
  return s;
}

Status Status::Annotate(std::string_view prefix) const {
  if (ok()) return *this;
  Status s;
  s.rep_ = std::make_shared<const Rep>(
      Rep{rep_->code, std::string(prefix) + ": " + rep_->message, rep_->hint, rep_->detail});
  return s;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(StatusCodeName(code())) + ": " + message();
}

#define COFRE_DEFINE_ERROR_(Name, Code) \
  Status Name(std::string message) { return Status(StatusCode::Code, std::move(message)); }
COFRE_DEFINE_ERROR_(InvalidArgumentError, kInvalidArgument)
COFRE_DEFINE_ERROR_(NotFoundError, kNotFound)
COFRE_DEFINE_ERROR_(AlreadyExistsError, kAlreadyExists)
COFRE_DEFINE_ERROR_(FailedPreconditionError, kFailedPrecondition)
COFRE_DEFINE_ERROR_(PermissionDeniedError, kPermissionDenied)
COFRE_DEFINE_ERROR_(UnavailableError, kUnavailable)
COFRE_DEFINE_ERROR_(DataLossError, kDataLoss)
COFRE_DEFINE_ERROR_(InternalError, kInternal)
COFRE_DEFINE_ERROR_(ResourceExhaustedError, kResourceExhausted)
COFRE_DEFINE_ERROR_(UnimplementedError, kUnimplemented)
COFRE_DEFINE_ERROR_(CancelledError, kCancelled)
COFRE_DEFINE_ERROR_(DeadlineExceededError, kDeadlineExceeded)
#undef COFRE_DEFINE_ERROR_

bool IsNotFound(const Status& s) { return s.code() == StatusCode::kNotFound; }
bool IsUnavailable(const Status& s) { return s.code() == StatusCode::kUnavailable; }
bool IsDataLoss(const Status& s) { return s.code() == StatusCode::kDataLoss; }

}  // namespace cofre
