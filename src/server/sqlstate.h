// The one table from cofre's errors to PostgreSQL SQLSTATE codes: the error's detail
// (util/status.h ErrorDetail) when it has one, else its code.
// Thread-safety: pure function.
#ifndef COFRE_SERVER_SQLSTATE_H_
#define COFRE_SERVER_SQLSTATE_H_

#include <string_view>

#include "util/status.h"

namespace cofre::server {

std::string_view SqlState(const Status& status);

namespace sqlstate {
inline constexpr std::string_view kProtocolViolation = "08P01";
inline constexpr std::string_view kInvalidPassword = "28P01";
inline constexpr std::string_view kInvalidAuthorization = "28000";
inline constexpr std::string_view kTooManyConnections = "53300";
inline constexpr std::string_view kInFailedTransaction = "25P02";
inline constexpr std::string_view kQueryCanceled = "57014";
inline constexpr std::string_view kAdminShutdown = "57P01";
inline constexpr std::string_view kIdleSessionTimeout = "57P05";
inline constexpr std::string_view kInvalidPreparedStatement = "26000";
inline constexpr std::string_view kInvalidCursor = "34000";
inline constexpr std::string_view kFeatureNotSupported = "0A000";
inline constexpr std::string_view kProgramLimitExceeded = "54000";
}  // namespace sqlstate

}  // namespace cofre::server

#endif  // COFRE_SERVER_SQLSTATE_H_
