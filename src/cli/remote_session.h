// RemoteSession: the sql::Session of `cofre sql --url`: statements go to a cofre server (or any
// PostgreSQL-wire server) through libpq, and results come back as ResultSets for the same
// shell, formats and variables as embedded use.
//
// libpq reads the URL and everything a psql user expects: PG* environment variables
// (PGPASSWORD, PGSSLMODE, ...) and ~/.pgpass. When the server asks for a password that none of
// those gave and stdin is a terminal, the user is prompted (without echo). Server NOTICEs become
// the result's notices; errors keep the server's message and hint, and the SQLSTATE picks the
// Status code (28xxx PermissionDenied, 42501 PermissionDenied, 57014 Cancelled, 08xxx
// Unavailable, others InvalidArgument).
// Thread-safety: one thread at a time; Interrupt() from any thread (it sends a CancelRequest).
#ifndef COFRE_CLI_REMOTE_SESSION_H_
#define COFRE_CLI_REMOTE_SESSION_H_

#include <memory>
#include <string>

#include "cli/progress_line.h"
#include "sql/session.h"

namespace cofre::cli {

struct RemoteSessionOptions {
  std::string url;                   // postgresql://user@host:port/db?sslmode=...
  bool prompt_for_password = false;  // ask on the terminal when the server wants one
};

StatusOr<std::unique_ptr<sql::Session>> OpenRemoteSession(const RemoteSessionOptions& options);

// The progress of the jobs that statements of `session` (made by OpenRemoteSession, and
// outliving the poll) run on the server: SHOW JOBS on a second connection with the session's
// parameters (opened on first use, on the progress line's thread), following the newest running
// job with the statement's description (its fraction, and the rows and bytes cofre's SHOW JOBS
// adds).
ProgressPoll RemoteJobProgress(sql::Session* session);

}  // namespace cofre::cli

#endif  // COFRE_CLI_REMOTE_SESSION_H_
