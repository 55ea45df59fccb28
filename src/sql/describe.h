// DescribeStatement: renders a statement as CockroachDB-syntax SQL with its secrets hidden, for
// job descriptions, SHOW JOBS and logs.
//
// Passphrase-like option values (any option whose name mentions passphrase, password or secret)
// render as '*****'. Storage and KMS URIs (destinations, kms, new_kms, old_kms,
// incremental_location, encryption_info_dir, and any value containing "://") render through
// RedactUri, which hides credential parameters. Options render as CockroachDB does:
//   BACKUP INTO 'nodelocal://1/b' WITH OPTIONS (encryption_passphrase = '*****')
// The rendering parses back (ParseStatement) to the same statement with the secrets replaced,
// and describing that again yields the same text. Passthrough statements render as their text.
// Thread-safety: a pure function.
#ifndef COFRE_SQL_DESCRIBE_H_
#define COFRE_SQL_DESCRIBE_H_

#include <string>

#include "sql/statement.h"

namespace cofre::sql {

std::string DescribeStatement(const Statement& stmt);

}  // namespace cofre::sql

#endif  // COFRE_SQL_DESCRIBE_H_
