#include "sql/unsupported.h"

#include <initializer_list>
#include <set>
#include <string>
#include <vector>

#include "sql/lexer.h"

namespace cofre::sql {
namespace {

constexpr std::string_view kNoShowCreateSchedule =
    "SHOW SCHEDULE <id> shows a schedule's BACKUP statement (command) and its recurrence";

constexpr std::string_view kNoChangefeeds =
    "cofre has no changefeeds: SQLite keeps no change stream to emit; take incremental backups, "
    "or read the tables";

struct Refusal {
  std::vector<std::string_view> words;  // leading keywords, matched case-insensitively
  std::string_view name;                // the statement as CockroachDB names it
  std::string_view why;
};

const std::vector<Refusal>& Refusals() {
  static const std::vector<Refusal> kRefusals = {
      {{"show", "create", "schedule"}, "SHOW CREATE SCHEDULE", kNoShowCreateSchedule},
      {{"show", "create", "all", "schedules"}, "SHOW CREATE ALL SCHEDULES", kNoShowCreateSchedule},
      {{"pause", "all"},
       "PAUSE ALL JOBS",
       "cofre runs only BACKUP and RESTORE jobs: PAUSE JOBS "
       "(SELECT job_id FROM [SHOW JOBS] WHERE status = 'running') pauses them"},
      {{"resume", "all"},
       "RESUME ALL JOBS",
       "cofre runs only BACKUP and RESTORE jobs: RESUME "
       "JOBS (SELECT job_id FROM [SHOW JOBS] WHERE status = 'paused') resumes them"},
      {{"show", "changefeed"}, "SHOW CHANGEFEED JOBS", kNoChangefeeds},
      {{"create", "changefeed"}, "CREATE CHANGEFEED", kNoChangefeeds},
      {{"experimental", "changefeed"}, "EXPERIMENTAL CHANGEFEED", kNoChangefeeds},
      {{"alter", "changefeed"}, "ALTER CHANGEFEED", kNoChangefeeds},
      {{"alter", "job"},
       "ALTER JOB",
       "cofre's jobs have no owner to change; PAUSE, RESUME and "
       "CANCEL JOB control them"},
      {{"alter", "external", "connection"},
       "ALTER EXTERNAL CONNECTION",
       "drop the external connection and create it again with the new URI"},
      {{"check", "external", "connection"},
       "CHECK EXTERNAL CONNECTION",
       "SHOW BACKUPS IN 'external://name' checks that cofre can list it"},
      {{"import"},
       "IMPORT",
       "load rows with INSERT or COPY ... FROM STDIN, or adopt an SQLite "
       "file with CREATE DATABASE ... FROM FILE"},
      {{"export"},
       "EXPORT",
       "read rows with SELECT or COPY ... TO STDOUT (cofre sql --format csv)"},
      {{"set", "cluster", "setting"},
       "SET CLUSTER SETTING",
       "cofre is configured by its "
       "command-line flags (cofre start --help); it has no cluster settings"},
      {{"show", "cluster", "setting"},
       "SHOW CLUSTER SETTING",
       "cofre is configured by its "
       "command-line flags (cofre start --help); it has no cluster settings"},
      {{"show", "all", "cluster", "settings"},
       "SHOW ALL CLUSTER SETTINGS",
       "cofre is configured by its command-line flags; it has no cluster settings"},
      {{"show", "cluster", "settings"},
       "SHOW CLUSTER SETTINGS",
       "cofre is configured by its command-line flags; it has no cluster settings"},
      {{"show", "ranges"}, "SHOW RANGES", "a cofre database is one SQLite file, not ranges"},
      {{"show", "range"}, "SHOW RANGE", "a cofre database is one SQLite file, not ranges"},
      {{"show", "zone"}, "SHOW ZONE CONFIGURATIONS", "cofre runs one node; it has no zones"},
      {{"show", "zones"}, "SHOW ZONE CONFIGURATIONS", "cofre runs one node; it has no zones"},
      {{"show", "regions"},
       "SHOW REGIONS",
       "cofre runs one node; its --locality only picks "
       "where locality-aware backups write"},
      {{"show", "sessions"}, "SHOW SESSIONS", "the server's /metrics endpoint counts connections"},
      {{"show", "queries"}, "SHOW QUERIES", "the server's /metrics endpoint counts statements"},
      {{"cancel", "query"},
       "CANCEL QUERY",
       "cancel a statement from its client (PostgreSQL's "
       "cancel request, e.g. Ctrl-C in psql)"},
      {{"cancel", "session"}, "CANCEL SESSION", "close the client's connection"},
      {{"show", "statements"}, "SHOW STATEMENTS", "the server's /metrics endpoint counts them"},
      {{"create", "schema"}, "CREATE SCHEMA", "a cofre database has one schema, public"},
      {{"show", "schemas"}, "SHOW SCHEMAS", "a cofre database has one schema, public"},
      {{"show", "logical", "replication"},
       "SHOW LOGICAL REPLICATION JOBS",
       "cofre has no replication"},
      {{"create", "logical", "replication"},
       "CREATE LOGICAL REPLICATION STREAM",
       "cofre has no replication"},
  };
  return kRefusals;
}

// Whether `first` starts a statement of the table (or SHOW): the statements SQLite runs, on the
// hot path, leave after one token.
bool MayBeRefused(const Token& first) {
  static const std::set<std::string> kFirstWords = [] {
    std::set<std::string> words = {"show"};
    for (const Refusal& r : Refusals()) words.insert(std::string(r.words[0]));
    return words;
  }();
  return first.kind == TokenKind::kIdent && first.text.size() <= 12 &&
         kFirstWords.count(AsciiLower(first.text)) > 0;
}

}  // namespace

std::optional<Status> RefuseUnsupported(std::string_view text) {
  Lexer lexer(text);
  std::vector<Token> head;
  for (int i = 0; i < 4; ++i) {
    StatusOr<Token> tok = lexer.Next();
    if (!tok.ok()) return std::nullopt;  // SQLite reports the lexical error
    if (tok->kind == TokenKind::kEof) break;
    head.push_back(std::move(*tok));
    if (i == 0 && !MayBeRefused(head[0])) return std::nullopt;  // INSERT, SELECT, ...: SQLite's
  }
  if (head.empty() || head[0].kind != TokenKind::kIdent) return std::nullopt;
  const Refusal* best = nullptr;
  for (const Refusal& r : Refusals()) {
    if (r.words.size() > head.size()) continue;
    bool match = true;
    for (size_t i = 0; i < r.words.size() && match; ++i) match = head[i].IsKeyword(r.words[i]);
    if (match && (!best || r.words.size() > best->words.size())) best = &r;
  }
  if (best) {
    return UnimplementedError(std::string(best->name) +
                              " is not supported by cofre: " + std::string(best->why));
  }
  // SQLite has no SHOW statement: every other SHOW is CockroachDB's.
  if (head[0].IsKeyword("show")) {
    std::string what = "SHOW";
    for (size_t i = 1; i < head.size() && i < 3 && head[i].kind == TokenKind::kIdent; ++i) {
      what += " " + head[i].text;
      for (char& c : what) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return UnimplementedError(what +
                              " is not supported by cofre; it answers SHOW DATABASES, TABLES, "
                              "JOBS, JOB, BACKUPS, BACKUP, GRANTS, ROLES, USERS and EXTERNAL "
                              "CONNECTIONS (docs/compatibility.md)");
  }
  return std::nullopt;
}

}  // namespace cofre::sql
