// PqLibrary: the libpq functions `cofre sql --url` calls, bound from libpq.so.5 when it first
// connects (util/shared_library.h) rather than linked: linked, libpq and its dependencies
// (Kerberos, LDAP) were loaded at the start of every cofre command, embedded ones included.
// Each field is named after the libpq function it points to.
// Thread-safety: Get may be called from any thread; the functions are libpq's own.
#ifndef COFRE_CLI_PQ_LIBRARY_H_
#define COFRE_CLI_PQ_LIBRARY_H_

#include <libpq-fe.h>

#include "util/status.h"

namespace cofre::cli {

// clang-format off
#define COFRE_PQ_FUNCTIONS(X)                                                                   \
  X(PQcancel) X(PQclear) X(PQcmdStatus) X(PQconnectdbParams) X(PQconnectionNeedsPassword)       \
  X(PQconninfo) X(PQconninfoFree) X(PQdb) X(PQerrorMessage) X(PQexec) X(PQexecParams)           \
  X(PQfinish) X(PQfname) X(PQfreeCancel) X(PQftype) X(PQgetCancel) X(PQgetResult)               \
  X(PQgetisnull) X(PQgetlength) X(PQgetvalue) X(PQnfields) X(PQntuples) X(PQputCopyEnd)         \
  X(PQresultErrorField) X(PQresultStatus) X(PQsetNoticeReceiver) X(PQstatus)                    \
  X(PQtransactionStatus)
// clang-format on

struct PqLibrary {
#define COFRE_PQ_FIELD(name) decltype(&::name) name = nullptr;
  COFRE_PQ_FUNCTIONS(COFRE_PQ_FIELD)
#undef COFRE_PQ_FIELD

  // Loads libpq once; later calls return the same library, or the same error
  // (FailedPrecondition naming libpq.so.5 and its package).
  static StatusOr<const PqLibrary*> Get();
};

}  // namespace cofre::cli

#endif  // COFRE_CLI_PQ_LIBRARY_H_
