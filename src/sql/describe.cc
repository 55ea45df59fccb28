#include "sql/describe.h"

#include <algorithm>
#include <iterator>
#include <string_view>
#include <variant>
#include <vector>

#include "sql/lexer.h"
#include "sql/parser.h"
#include "sql/quote.h"
#include "sql/splitter.h"
#include "util/uri.h"

namespace cofre::sql {
namespace {

constexpr std::string_view kHidden = "'*****'";

// Options whose string values are storage or KMS URIs.
constexpr std::string_view kUriOptions[] = {"kms", "new_kms", "old_kms", "incremental_location",
                                            "encryption_info_dir"};

bool IsSecretOption(std::string_view name) {
  for (std::string_view word : {"passphrase", "password", "secret"}) {
    if (name.find(word) != std::string_view::npos) return true;
  }
  return false;
}

bool IsUriOption(std::string_view name) {
  return std::find(std::begin(kUriOptions), std::end(kUriOptions), name) != std::end(kUriOptions);
}

// A string value that may be a URI: quoted, with credentials hidden when it is
// one.
std::string RenderMaybeUri(std::string_view value, bool is_uri, bool redact = true) {
  if (redact && (is_uri || value.find("://") != std::string_view::npos)) {
    return QuoteString(RedactUri(value));
  }
  return QuoteString(value);
}

// 'a' or ('a', 'b').
std::string RenderList(const std::vector<std::string>& values, bool are_uris, bool redact) {
  if (values.size() == 1) return RenderMaybeUri(values[0], are_uris, redact);
  std::string out = "(";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    out += RenderMaybeUri(values[i], are_uris, redact);
  }
  out += ")";
  return out;
}

std::string RenderUris(const std::vector<std::string>& uris, bool redact = true) {
  return RenderList(uris, true, redact);
}

bool IsPlainWord(std::string_view w) {
  if (w.empty()) return false;
  char c0 = w[0];
  if (!((c0 >= 'a' && c0 <= 'z') || c0 == '_')) return false;
  if (w.size() == 1 && c0 == 'e') return false;  // e'...' would start a string
  return std::all_of(w.begin(), w.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// True when `w` lexes back as exactly one number, optionally signed.
bool IsNumberWord(std::string_view w) {
  std::string_view digits = w;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) digits.remove_prefix(1);
  Lexer lexer(digits);
  StatusOr<Token> number = lexer.Next();
  if (!number.ok() || number->kind != TokenKind::kNumber || number->begin != 0 ||
      number->end != digits.size()) {
    return false;
  }
  return true;
}

std::string RenderWord(std::string_view w) {
  if (IsPlainWord(w) || IsNumberWord(w)) return std::string(w);
  std::string out = "\"";
  for (char c : w) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  return out + "\"";
}

std::string RenderOption(const Option& opt, bool redact = true) {
  std::string out = opt.name;
  if (opt.kind == Option::Kind::kFlag) return out;
  out += " = ";
  if (redact && IsSecretOption(opt.name)) return out + std::string(kHidden);
  switch (opt.kind) {
    case Option::Kind::kString:
      return out +
             RenderMaybeUri(opt.values.empty() ? "" : opt.values[0], IsUriOption(opt.name), redact);
    case Option::Kind::kStringList: {
      std::string list = "(";
      for (size_t i = 0; i < opt.values.size(); ++i) {
        if (i > 0) list += ", ";
        list += RenderMaybeUri(opt.values[i], IsUriOption(opt.name), redact);
      }
      return out + list + ")";
    }
    case Option::Kind::kWord:
      return out + RenderWord(opt.values.empty() ? "" : opt.values[0]);
    case Option::Kind::kFlag:
      break;
  }
  return out;
}

std::string RenderOptions(const std::vector<Option>& options, bool redact = true) {
  if (options.empty()) return "";
  std::string out = " WITH OPTIONS (";
  for (size_t i = 0; i < options.size(); ++i) {
    if (i > 0) out += ", ";
    out += RenderOption(options[i], redact);
  }
  return out + ")";
}

std::string RenderAsOf(const std::optional<AsOf>& as_of) {
  if (!as_of) return "";
  return " AS OF SYSTEM TIME " + (as_of->is_string ? QuoteString(as_of->text) : as_of->text);
}

std::string RenderRef(const BackupRef& ref) {
  return ref.latest ? std::string("LATEST") : QuoteString(ref.subdir);
}

bool NamesPublic(std::string_view database) { return EqualsIgnoreCase(database, "public"); }

std::string RenderTablePattern(const TablePattern& t) {
  if (t.all_tables) {
    if (t.database.empty()) return "*";
    // "public".* would read as the public schema of the current database.
    return QuoteName(t.database) + (NamesPublic(t.database) ? ".public.*" : ".*");
  }
  if (t.database.empty()) return QuoteName(t.table);
  return QuoteName(t.database) + ".public." + QuoteName(t.table);
}

// " DATABASE a, b" / " TABLE t, db.public.t" / "" (cluster).
std::string RenderTargets(const Targets& targets) {
  std::string out;
  switch (targets.kind) {
    case Targets::Kind::kCluster:
      return out;
    case Targets::Kind::kDatabases:
      out = " DATABASE ";
      for (size_t i = 0; i < targets.databases.size(); ++i) {
        if (i > 0) out += ", ";
        out += QuoteName(targets.databases[i]);
      }
      return out;
    case Targets::Kind::kTables:
      out = " TABLE ";
      for (size_t i = 0; i < targets.tables.size(); ++i) {
        if (i > 0) out += ", ";
        out += RenderTablePattern(targets.tables[i]);
      }
      return out;
  }
  return out;
}

std::string RedactOne(std::string_view text, bool complete);

struct Describer {
  bool redact = true;  // false: secrets kept (RenderWithSecrets)
  std::string operator()(const Passthrough& s) const { return s.text; }
  std::string operator()(const CreateDatabase& s) const {
    std::string out = "CREATE DATABASE ";
    if (s.if_not_exists) out += "IF NOT EXISTS ";
    out += QuoteName(s.name);
    if (s.from_file) out += " FROM FILE " + QuoteString(*s.from_file);
    if (s.journal_mode) out += " WITH journal_mode = " + QuoteString(*s.journal_mode);
    return out;
  }
  std::string operator()(const DropDatabase& s) const {
    return std::string("DROP DATABASE ") + (s.if_exists ? "IF EXISTS " : "") + QuoteName(s.name) +
           (s.cascade ? " CASCADE" : "");
  }
  std::string operator()(const ShowDatabases&) const { return "SHOW DATABASES"; }
  std::string operator()(const ShowTables& s) const {
    return s.database ? "SHOW TABLES FROM " + QuoteName(*s.database) : "SHOW TABLES";
  }
  std::string operator()(const Use& s) const { return "USE " + QuoteName(s.database); }
  std::string operator()(const ShowJobs& s) const {
    if (s.schedule_id) return "SHOW JOBS FOR SCHEDULE " + std::to_string(*s.schedule_id);
    if (!s.schedules_query.empty()) {
      return "SHOW JOBS FOR SCHEDULES (" + RedactOne(s.schedules_query, true) + ")";
    }
    return s.automatic ? "SHOW AUTOMATIC JOBS" : "SHOW JOBS";
  }
  std::string operator()(const ControlJobs& s) const {
    std::string tag(StatementTag(Statement(s)));
    if (s.schedule_id) return tag + " FOR SCHEDULE " + std::to_string(*s.schedule_id);
    if (s.for_schedules) tag += " FOR SCHEDULES";
    return tag + " (" + RedactOne(s.query, true) + ")";
  }
  std::string operator()(const ShowQuery& s) const {
    std::string out;
    size_t pos = 0;
    for (const ShowQuery::Source& src : s.sources) {
      out += s.text.substr(pos, src.begin - pos) + "(" + RedactOne(src.show, true) + ")";
      pos = src.end;
    }
    return out + s.text.substr(pos);
  }
  std::string operator()(const CreateExternalConnection& s) const {
    return std::string("CREATE EXTERNAL CONNECTION ") + (s.if_not_exists ? "IF NOT EXISTS " : "") +
           QuoteName(s.name) + " AS " + RenderUris({s.uri});
  }
  std::string operator()(const ShowExternalConnections& s) const {
    std::string out = s.show_create ? "SHOW CREATE " : "SHOW ";
    if (!s.name) return out + (s.show_create ? "ALL EXTERNAL CONNECTIONS" : "EXTERNAL CONNECTIONS");
    return out + "EXTERNAL CONNECTION " + QuoteName(*s.name);
  }
  std::string operator()(const DropExternalConnection& s) const {
    return std::string("DROP EXTERNAL CONNECTION ") + (s.if_exists ? "IF EXISTS " : "") +
           QuoteName(s.name);
  }
  std::string operator()(const ShowJob& s) const {
    return std::string(s.when_complete ? "SHOW JOB WHEN COMPLETE " : "SHOW JOB ") +
           std::to_string(s.job_id);
  }
  std::string operator()(const ControlJob& s) const {
    return std::string(StatementTag(Statement(s))) + " " + std::to_string(s.job_id);
  }
  std::string operator()(const Backup& s) const {
    std::string out = "BACKUP" + RenderTargets(s.targets) + " INTO ";
    if (s.incremental_on) out += RenderRef(*s.incremental_on) + " IN ";
    return out + RenderUris(s.destinations, redact) + RenderAsOf(s.as_of) +
           RenderOptions(s.options, redact);
  }
  std::string operator()(const Restore& s) const {
    return "RESTORE" + RenderTargets(s.targets) + " FROM " + RenderRef(s.from) + " IN " +
           RenderUris(s.in) + RenderAsOf(s.as_of) + RenderOptions(s.options);
  }
  std::string operator()(const ShowBackups& s) const {
    std::string out = "SHOW BACKUPS IN " + RenderUris(s.in);
    if (s.newer_than) out += " NEWER THAN " + QuoteString(*s.newer_than);
    if (s.older_than) out += " OLDER THAN " + QuoteString(*s.older_than);
    if (s.revision_start_time) out += " WITH REVISION START TIME";
    return out;
  }
  std::string operator()(const ShowBackup& s) const {
    std::string out = "SHOW BACKUP ";
    if (s.kind == ShowBackup::Kind::kSchemas) out += "SCHEMAS ";
    if (s.kind == ShowBackup::Kind::kFiles) out += "FILES ";
    return out + "FROM " + RenderRef(s.from) + " IN " + RenderUris(s.in) + RenderOptions(s.options);
  }
  std::string operator()(const AlterBackup& s) const {
    std::string out = "ALTER BACKUP " + RenderRef(s.backup) + " IN " + RenderUris(s.in);
    for (const AlterBackupCommand& cmd : s.commands) {
      out += cmd.kind == AlterBackupCommand::Kind::kAddKms ? " ADD NEW_KMS = " : " DROP KMS = ";
      out += RenderUris(cmd.kms) + " WITH OLD_KMS = " + RenderUris(cmd.old_kms);
    }
    return out;
  }
  // Users and grants: a password always renders as '*****'.
  static std::string RenderRoleOptions(const RoleOptions& o) {
    std::string out;
    if (o.password) out += *o.password ? " WITH PASSWORD '*****'" : " WITH PASSWORD NULL";
    if (o.login) out += *o.login ? " LOGIN" : " NOLOGIN";
    return out;
  }
  static std::string RenderNames(const std::vector<std::string>& names) {
    std::string out;
    for (size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + QuoteName(names[i]);
    return out;
  }
  static std::string RenderObject(const GrantObject& on) {
    switch (on.kind) {
      case GrantObject::Kind::kSystem:
        return "SYSTEM";
      case GrantObject::Kind::kDatabase:
        return "DATABASE " + RenderNames(on.names);
      case GrantObject::Kind::kExternalConnection:
        return "EXTERNAL CONNECTION " + RenderNames(on.names);
      case GrantObject::Kind::kTable: {
        std::string out = "TABLE ";
        for (size_t i = 0; i < on.names.size(); ++i) {
          const std::string& n = on.names[i];
          size_t dot = n.find('.');
          std::string db = n.substr(0, dot), t = n.substr(dot + 1);
          out += (i ? ", " : "") + (db.empty() ? "" : QuoteName(db) + ".") +
                 (t == "*" ? std::string("*") : QuoteName(t));
        }
        return out;
      }
    }
    return "";
  }
  std::string operator()(const CreateRole& s) const {
    return std::string(s.is_user ? "CREATE USER " : "CREATE ROLE ") +
           (s.if_not_exists ? "IF NOT EXISTS " : "") + QuoteName(s.name) +
           RenderRoleOptions(s.options);
  }
  std::string operator()(const AlterRole& s) const {
    return "ALTER ROLE " + std::string(s.if_exists ? "IF EXISTS " : "") + QuoteName(s.name) +
           RenderRoleOptions(s.options);
  }
  std::string operator()(const DropRole& s) const {
    return "DROP ROLE " + std::string(s.if_exists ? "IF EXISTS " : "") + RenderNames(s.names);
  }
  std::string operator()(const GrantPrivileges& s) const {
    std::string privs;
    for (size_t i = 0; i < s.privileges.size(); ++i) privs += (i ? ", " : "") + s.privileges[i];
    if (s.on.kind == GrantObject::Kind::kSystem) {
      return std::string(s.revoke ? "REVOKE SYSTEM " : "GRANT SYSTEM ") + privs +
             (s.revoke ? " FROM " : " TO ") + RenderNames(s.grantees);
    }
    return std::string(s.revoke ? "REVOKE " : "GRANT ") + privs + " ON " + RenderObject(s.on) +
           (s.revoke ? " FROM " : " TO ") + RenderNames(s.grantees);
  }
  std::string operator()(const GrantRoles& s) const {
    return std::string(s.revoke ? "REVOKE " : "GRANT ") + RenderNames(s.roles) +
           (s.revoke ? " FROM " : " TO ") + RenderNames(s.members);
  }
  std::string operator()(const ShowRoles& s) const {
    return s.users_only ? "SHOW USERS" : "SHOW ROLES";
  }
  std::string operator()(const CreateSchedule& s) const {
    std::string out = "CREATE SCHEDULE ";
    if (s.if_not_exists) out += "IF NOT EXISTS ";
    if (s.label) out += QuoteString(*s.label) + " ";
    out += "FOR " + (*this)(s.backup) + " RECURRING " + QuoteString(s.recurring);
    if (s.full_backup_always) out += " FULL BACKUP ALWAYS";
    if (s.full_backup) out += " FULL BACKUP " + QuoteString(*s.full_backup);
    if (!s.schedule_options.empty()) {
      out += " WITH SCHEDULE OPTIONS ";
      for (size_t i = 0; i < s.schedule_options.size(); ++i) {
        out += (i ? ", " : "") + RenderOption(s.schedule_options[i], redact);
      }
    }
    return out;
  }
  std::string operator()(const ShowSchedules& s) const {
    if (s.id) return "SHOW SCHEDULE " + std::to_string(*s.id);
    return s.filter == ShowSchedules::Filter::kRunning  ? "SHOW RUNNING SCHEDULES"
           : s.filter == ShowSchedules::Filter::kPaused ? "SHOW PAUSED SCHEDULES"
                                                        : "SHOW SCHEDULES";
  }
  std::string operator()(const ControlSchedules& s) const {
    std::string out = std::string(StatementTag(Statement(s))) + " ";
    if (!s.query.empty()) return out + "(" + RedactOne(s.query, true) + ")";
    for (size_t i = 0; i < s.ids.size(); ++i) out += (i ? ", " : "") + std::to_string(s.ids[i]);
    return out;
  }
  std::string operator()(const AlterBackupSchedule& s) const {
    using K = AlterScheduleCommand::Kind;
    std::string out = "ALTER BACKUP SCHEDULE " + std::to_string(s.id);
    for (size_t i = 0; i < s.commands.size(); ++i) {
      const AlterScheduleCommand& c = s.commands[i];
      out += i ? ", " : " ";
      switch (c.kind) {
        case K::kSetLabel:
          out += "SET LABEL " + QuoteString(c.value);
          break;
        case K::kSetInto:
          out += "SET INTO " + RenderUris({c.value}, redact);
          break;
        case K::kSetWith:
          out += "SET WITH " + (c.options.empty() ? "" : RenderOption(c.options[0], redact));
          break;
        case K::kSetRecurring:
          out += "SET RECURRING " + QuoteString(c.value);
          break;
        case K::kSetFullBackup:
          out += "SET FULL BACKUP " + (c.always ? std::string("ALWAYS") : QuoteString(c.value));
          break;
        case K::kSetScheduleOption:
          out += "SET SCHEDULE OPTION " +
                 (c.options.empty() ? "" : RenderOption(c.options[0], redact));
          break;
        case K::kExecuteImmediately:
          out += "EXECUTE IMMEDIATELY";
          break;
        case K::kExecuteFullImmediately:
          out += "EXECUTE FULL IMMEDIATELY";
          break;
      }
    }
    return out;
  }
  std::string operator()(const ShowGrants& s) const {
    std::string out = "SHOW GRANTS";
    if (s.on) out += " ON " + RenderObject(*s.on);
    if (!s.grantees.empty()) out += " FOR " + RenderNames(s.grantees);
    return out;
  }
};

// The token-by-token redaction of RedactStatementText, for text that does not parse.
std::string RedactTokens(std::string_view text) {
  std::string out;
  Lexer lexer(text);
  size_t copied = 0;  // text[0, copied) is in `out`
  size_t lexed = 0;   // the end of the last token lexed
  // The option name a following string is the value of: set by `<name> =`, kept through a
  // parenthesised list of values, cleared by anything else.
  std::string option, last_word;
  bool after_equals = false, in_list = false;
  while (true) {
    StatusOr<Token> token = lexer.Next();
    if (!token.ok()) {
      // What follows the last good token cannot be told apart from a secret: cut it.
      out.append(text.substr(copied, lexed - copied));
      return out + " ...";
    }
    if (token->kind == TokenKind::kEof) break;
    lexed = token->end;
    if (token->kind == TokenKind::kString) {
      bool is_option_value = after_equals || in_list;
      std::string rendered;
      if (is_option_value && IsSecretOption(option)) {
        rendered = std::string(kHidden);
      } else {
        rendered = RenderMaybeUri(token->text, is_option_value && IsUriOption(option));
      }
      out.append(text.substr(copied, token->begin - copied));
      out += rendered;
      copied = token->end;
      after_equals = false;
      continue;
    }
    if (token->IsPunct('=') && !last_word.empty()) {
      option = last_word;
      after_equals = true;
    } else if (token->IsPunct('(') && after_equals) {
      in_list = true;
      after_equals = false;
    } else if (token->IsPunct(',') && in_list) {
      // another value of the list
    } else if (token->IsPunct(')') && in_list) {
      in_list = false;
    } else {
      after_equals = false;
      in_list = false;
    }
    last_word = token->kind == TokenKind::kIdent ? AsciiLower(token->text) : std::string();
  }
  out.append(text.substr(copied));
  return out;
}

// One statement's redaction (see RedactStatementText).
std::string RedactOne(std::string_view text, bool complete) {
  if (complete) {
    StatusOr<Statement> stmt = ParseStatement(text);
    if (stmt.ok()) {
      if (std::holds_alternative<Passthrough>(*stmt)) return std::string(text);
      return DescribeStatement(*stmt);
    }
  }
  return RedactTokens(text);
}

}  // namespace

std::string DescribeStatement(const Statement& stmt) { return std::visit(Describer{}, stmt); }

std::string RenderWithSecrets(const Statement& stmt) {
  return std::visit(Describer{/*redact=*/false}, stmt);
}

std::string RedactStatementText(std::string_view text) {
  std::string rest;
  std::string out;
  for (const std::string& stmt : SplitStatements(text, &rest)) {
    if (!out.empty()) out += " ";
    out += RedactOne(stmt, /*complete=*/true) + ";";
  }
  if (!rest.empty()) {
    if (!out.empty()) out += " ";
    out += RedactOne(rest, /*complete=*/false);
  }
  return out;
}

}  // namespace cofre::sql
