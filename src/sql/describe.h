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
#include <string_view>

#include "sql/statement.h"

namespace cofre::sql {

std::string DescribeStatement(const Statement& stmt);

// The statement as SQL that parses back to it, secrets included: what a schedule seals under the
// node key (jobs/schedule_registry.h). Never for display or logs.
std::string RenderWithSecrets(const Statement& stmt);

// RedactStatementText: SQL text as the user typed it (one or more ';'-separated statements,
// maybe an unfinished one at the end), with its secrets hidden exactly as DescribeStatement
// hides them, for places that keep what was typed (the interactive shell's history).
// - a statement that parses as one of cofre's own renders as DescribeStatement renders it;
// - passthrough SQL (what SQLite runs) stays as typed;
// - text that does not parse (a typo in a BACKUP, an unfinished statement) is redacted token by
//   token: a string after `<option> =` renders as DescribeStatement renders that option's value
//   ('*****' for passphrase-like options, RedactUri for URI options), and every other string
//   holding "://" goes through RedactUri. Text that does not even lex (an unterminated string)
//   is cut where its first bad token starts, and "..." is appended.
// Statements are joined by "; ", and a ';' ends each complete one.
std::string RedactStatementText(std::string_view text);

}  // namespace cofre::sql

#endif  // COFRE_SQL_DESCRIBE_H_
