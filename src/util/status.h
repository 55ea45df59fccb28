// Status and StatusOr<T>: the error currency of every cofre layer.
//
// A Status is OK or carries a code from absl's vocabulary plus a message that names the object
// and says what to do. Messages must never contain secrets (passphrases, keys, credentials).
// StatusOr<T> holds either a value or a non-OK Status. Both are [[nodiscard]] and cheap to move.
// Thread-safety: values; distinct objects may be used from different threads freely.
#ifndef COFRE_UTIL_STATUS_H_
#define COFRE_UTIL_STATUS_H_

#include <cassert>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace cofre {

enum class StatusCode : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

std::string_view StatusCodeName(StatusCode code);

// A finer kind of error than the code, for callers that must tell, say, a unique violation from
// another constraint failure (the wire server maps it to a SQLSTATE). Set where the error is
// recognised (the SQLite wrapper, the privilege checks), never derived from message text
// elsewhere. Values are not persisted; they may be renumbered.
enum class ErrorDetail : int {
  kNone = 0,
  kSyntax,                 // the statement does not parse
  kUndefinedTable,         // no such table, view or database
  kUndefinedColumn,        // no such column
  kDuplicateObject,        // the object (table, user, ...) already exists
  kUniqueViolation,        // UNIQUE or PRIMARY KEY constraint
  kNotNullViolation,       // NOT NULL constraint
  kForeignKeyViolation,    // FOREIGN KEY constraint
  kCheckViolation,         // CHECK constraint
  kSerializationFailure,   // retryable write conflict (the write lock was not granted in time)
  kInsufficientPrivilege,  // the user lacks a privilege
  kQueryCanceled,          // interrupted by a cancel request or a timeout
  kDataException,          // a value of the wrong type or out of range
  kMissingContainer,       // the storage bucket or container itself does not exist
  kNoSuchUpload,           // the multipart upload no longer exists (completed or aborted)
  kWrongObjectSize,        // a stored object's size is not the one its reader was opened with
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message);

  static Status OK() { return Status(); }
  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::kOk; }
  const std::string& message() const;
  // Optional hint shown to users on its own line ("HINT: ...").
  const std::string& hint() const;
  Status WithHint(std::string hint) const;
  // The finer kind of error (kNone unless set).
  ErrorDetail detail() const { return rep_ ? rep_->detail : ErrorDetail::kNone; }
  // Returns a copy carrying `detail`.
  Status WithDetail(ErrorDetail detail) const;
  // Returns a copy whose message is "<prefix>: <message>".
  Status Annotate(std::string_view prefix) const;
  // "CODE: message".
  std::string ToString() const;
  // Explicitly ignores the status (for best-effort cleanup).
  void IgnoreError() const {}

 private:
  struct Rep {
    StatusCode code;
    std::string message;
    std::string hint;
    ErrorDetail detail = ErrorDetail::kNone;
  };
  std::shared_ptr<const Rep> rep_;
};

Status InvalidArgumentError(std::string message);
Status NotFoundError(std::string message);
Status AlreadyExistsError(std::string message);
Status FailedPreconditionError(std::string message);
Status PermissionDeniedError(std::string message);
Status UnavailableError(std::string message);
Status DataLossError(std::string message);
Status InternalError(std::string message);
Status ResourceExhaustedError(std::string message);
Status UnimplementedError(std::string message);
Status CancelledError(std::string message);
Status DeadlineExceededError(std::string message);

bool IsNotFound(const Status& s);
bool IsUnavailable(const Status& s);
bool IsDataLoss(const Status& s);

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const Status& status) : v_(status) { assert(!status.ok()); }
  StatusOr(Status&& status) : v_(std::move(status)) { assert(!std::get<Status>(v_).ok()); }
  StatusOr(const T& value) : v_(value) {}
  StatusOr(T&& value) : v_(std::move(value)) {}
  template <typename U>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::decay_t<U>, Status> &&
           !std::is_same_v<std::decay_t<U>, StatusOr<T>> && !std::is_same_v<std::decay_t<U>, T>)
      StatusOr(U&& u)
      : v_(T(std::forward<U>(u))) {}

  bool ok() const { return std::holds_alternative<T>(v_); }
  Status status() const { return ok() ? Status::OK() : std::get<Status>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace cofre

#define COFRE_CONCAT_INNER_(a, b) a##b
#define COFRE_CONCAT_(a, b) COFRE_CONCAT_INNER_(a, b)

// Returns from the current function when `expr` yields a non-OK Status.
#define RETURN_IF_ERROR(expr)              \
  do {                                     \
    ::cofre::Status _cofre_st = (expr);    \
    if (!_cofre_st.ok()) return _cofre_st; \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, F())` declares x from a StatusOr or returns its error.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL_(COFRE_CONCAT_(_cofre_so_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.ok()) return tmp.status();          \
  lhs = std::move(tmp).value()

#endif  // COFRE_UTIL_STATUS_H_
