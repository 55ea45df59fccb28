#include "sql/external_connections.h"

#include <algorithm>

#include "jobs/node_key.h"
#include "kms/kms.h"
#include "sql/lexer.h"
#include "sql/quote.h"
#include "storage/storage_factory.h"
#include "util/base64.h"
#include "util/uri.h"
#include "util/wipe.h"

namespace cofre::sql {
namespace {

constexpr char kExternalConnectionsSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS external_connections (
  name TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  sealed_uri TEXT NOT NULL,
  redacted_uri TEXT NOT NULL,
  owner TEXT NOT NULL,
  created TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);
)sql";

constexpr std::string_view kPrefix = "external://";

std::string Purpose(const std::string& name) { return "cofre external connection " + name; }

bool IsExternal(std::string_view uri) {
  return uri.size() >= kPrefix.size() &&
         std::equal(kPrefix.begin(), kPrefix.end(), uri.begin(), [](char a, char b) {
           return a == std::tolower(static_cast<unsigned char>(b));
         });
}

// "STORAGE" or "KMS" for a URI a connection may hold; a clear refusal for anything else.
StatusOr<std::string> ConnectionType(const std::string& uri, const std::string& extern_dir) {
  StatusOr<Uri> parsed = ParseUri(uri);
  if (!parsed.ok()) {
    return InvalidArgumentError("the URI of an external connection is malformed: " +
                                RedactUri(uri));
  }
  const std::string& scheme = parsed->scheme;
  const auto& kms = SupportedKmsSchemes();
  if (std::find(kms.begin(), kms.end(), scheme) != kms.end()) {
    RETURN_IF_ERROR(OpenKms(uri).status());
    return std::string("KMS");
  }
  if (scheme == "kafka" || scheme == "webhook-https" || scheme == "gcpubsub" ||
      scheme == "azure-event-hub") {
    return UnimplementedError("external connections to " + scheme +
                              ":// are changefeed sinks, and cofre has no changefeeds; it takes "
                              "storage URIs (nodelocal, file, s3, azure) and KMS URIs (aws)");
  }
  if (scheme == "external") {
    return InvalidArgumentError("an external connection cannot name another external connection");
  }
  // Opening the storage checks its scheme and parameters; nothing is written.
  RETURN_IF_ERROR(OpenExternalStorage(uri, StorageContext{extern_dir}).status());
  return std::string("STORAGE");
}

Status NotAllowed(const Privileges& actor, std::string_view what, const std::string& name) {
  return InsufficientPrivilege(actor.user, what, "external connection " + name);
}

}  // namespace

Status ExternalConnections::Init() { return dir_->system().Exec(kExternalConnectionsSchema); }

StatusOr<ResultSet> ExternalConnections::Run(const Privileges& actor,
                                             const CreateExternalConnection& s) {
  if (!actor.HasSystem("EXTERNALCONNECTION")) {
    return InsufficientPrivilege(actor.user, "EXTERNALCONNECTION", "system");
  }
  if (s.name.empty()) return InvalidArgumentError("an external connection needs a name");
  if (!actor.admin) {
    StatusOr<Uri> parsed = ParseUri(s.uri);
    if (parsed.ok() && (parsed->scheme == "nodelocal" || parsed->scheme == "file")) {
      return PermissionDeniedError("only admin users can create external connections to " +
                                   parsed->scheme + ":// storage (user " + actor.user +
                                   " is not a member of role admin)")
          .WithDetail(ErrorDetail::kInsufficientPrivilege);
    }
  }
  ASSIGN_OR_RETURN(std::string type, ConnectionType(s.uri, dir_->extern_dir()));
  ASSIGN_OR_RETURN(SqliteStmt find,
                   dir_->system().Prepare("SELECT 1 FROM external_connections WHERE name = ?"));
  find.Bind(1, s.name);
  ASSIGN_OR_RETURN(bool exists, find.Step());
  if (exists) {
    if (s.if_not_exists) return TagResult("CREATE EXTERNAL CONNECTION");
    return AlreadyExistsError("external connection \"" + s.name + "\" already exists")
        .WithDetail(ErrorDetail::kDuplicateObject);
  }
  ASSIGN_OR_RETURN(NodeKey key, NodeKey::LoadOrCreate(dir_->path()));
  ASSIGN_OR_RETURN(std::string sealed, key.Seal(s.uri, Purpose(s.name)));
  ASSIGN_OR_RETURN(SqliteStmt st, dir_->system().Prepare(
                                      "INSERT INTO external_connections (name, type, sealed_uri, "
                                      "redacted_uri, owner) VALUES (?, ?, ?, ?, ?)"));
  st.Bind(1, s.name).Bind(2, type).Bind(3, Base64Encode(sealed)).Bind(4, RedactUri(s.uri));
  st.Bind(5, actor.user);
  RETURN_IF_ERROR(st.Run());
  return TagResult("CREATE EXTERNAL CONNECTION");
}

StatusOr<ResultSet> ExternalConnections::Run(const Privileges& actor,
                                             const DropExternalConnection& s) {
  std::optional<std::string> owner;
  {
    ASSIGN_OR_RETURN(SqliteStmt find, dir_->system().Prepare(
                                          "SELECT owner FROM external_connections WHERE name = ?"));
    find.Bind(1, s.name);
    ASSIGN_OR_RETURN(bool exists, find.Step());
    if (exists) owner = find.ColumnText(0);
  }  // done reading before the write transaction (SqliteDb::BeginImmediate)
  if (!owner) {
    if (s.if_exists) return TagResult("DROP EXTERNAL CONNECTION");
    return NotFoundError("external connection \"" + s.name + "\" does not exist");
  }
  if (*owner != actor.user && !actor.HasConnection(s.name, "DROP")) {
    return NotAllowed(actor, "DROP", s.name);
  }
  RETURN_IF_ERROR(dir_->system().BeginImmediate());
  for (const char* sql :
       {"DELETE FROM external_connections WHERE name = ?",
        "DELETE FROM grants WHERE object_kind = 'external_connection' AND object = ?"}) {
    StatusOr<SqliteStmt> st = dir_->system().Prepare(sql);
    Status r = st.status();
    if (r.ok()) {
      st->Bind(1, s.name);
      r = st->Run();
    }
    if (!r.ok()) {
      dir_->system().Exec("ROLLBACK").IgnoreError();
      return r;
    }
  }
  RETURN_IF_ERROR(dir_->system().Exec("COMMIT"));
  return TagResult("DROP EXTERNAL CONNECTION");
}

StatusOr<ResultSet> ExternalConnections::Run(const Privileges& actor,
                                             const ShowExternalConnections& s) {
  ASSIGN_OR_RETURN(SqliteStmt st,
                   dir_->system().Prepare("SELECT name, redacted_uri, type, owner FROM "
                                          "external_connections WHERE ?1 IS NULL OR name = ?1 "
                                          "ORDER BY name"));
  if (s.name) {
    st.Bind(1, *s.name);
  } else {
    st.BindNull(1);
  }
  ResultSet rs;
  if (s.show_create) {
    rs.columns = {{"connection_name"}, {"create_statement"}};
  } else {
    rs.columns = {{"connection_name"}, {"connection_uri"}, {"connection_type"}};
  }
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    std::string name = st.ColumnText(0);
    if (st.ColumnText(3) != actor.user && !actor.HasConnection(name, "USAGE") &&
        !actor.HasConnection(name, "DROP")) {
      continue;  // not the user's to see
    }
    if (s.show_create) {
      rs.rows.push_back({name, "CREATE EXTERNAL CONNECTION " + QuoteString(name) + " AS " +
                                   QuoteString(st.ColumnText(1))});
    } else {
      rs.rows.push_back({name, st.ColumnText(1), st.ColumnText(2)});
    }
  }
  if (s.name && rs.rows.empty()) {
    return NotFoundError("external connection \"" + *s.name + "\" does not exist");
  }
  return rs;
}

StatusOr<std::string> ExternalConnections::Resolve(const Privileges& actor,
                                                   const std::string& uri) {
  if (!IsExternal(uri)) return uri;
  std::string_view rest = std::string_view(uri).substr(kPrefix.size());
  if (rest.find_first_of("?#") != std::string_view::npos) {
    return InvalidArgumentError(
        "an external:// URI takes no query parameters: they belong to the connection (" +
        RedactUri(uri) + ")");
  }
  const size_t slash = rest.find('/');
  const std::string name(rest.substr(0, slash));
  std::string subpath(slash == std::string_view::npos ? "" : rest.substr(slash + 1));
  while (!subpath.empty() && subpath.back() == '/') subpath.pop_back();
  if (name.empty()) return InvalidArgumentError("external:// needs a connection name");
  for (size_t at = 0; at <= subpath.size();) {
    size_t next = subpath.find('/', at);
    if (next == std::string::npos) next = subpath.size();
    std::string_view segment = std::string_view(subpath).substr(at, next - at);
    if (segment == "." || segment == "..") {
      return InvalidArgumentError(
          "the path of an external:// URI must stay beneath its "
          "connection: no '.' or '..' segments");
    }
    at = next + 1;
  }
  ASSIGN_OR_RETURN(SqliteStmt st, dir_->system().Prepare("SELECT sealed_uri, owner, type FROM "
                                                         "external_connections WHERE name = ?"));
  st.Bind(1, name);
  ASSIGN_OR_RETURN(bool exists, st.Step());
  if (!exists) {
    return NotFoundError("external connection \"" + name + "\" does not exist")
        .WithHint("CREATE EXTERNAL CONNECTION " + name +
                  " AS 'uri' names it; SHOW EXTERNAL "
                  "CONNECTIONS lists the ones you may use");
  }
  if (st.ColumnText(1) != actor.user && !actor.HasConnection(name, "USAGE")) {
    return NotAllowed(actor, "USAGE", name);
  }
  if (!subpath.empty() && st.ColumnText(2) != "STORAGE") {
    return InvalidArgumentError("external connection \"" + name +
                                "\" holds a KMS key: it takes no path");
  }
  ASSIGN_OR_RETURN(std::string sealed, Base64Decode(st.ColumnText(0)));
  ASSIGN_OR_RETURN(NodeKey key, NodeKey::LoadOrCreate(dir_->path()));
  ASSIGN_OR_RETURN(std::string real, key.Open(sealed, Purpose(name)));
  if (subpath.empty()) return real;
  const size_t query = real.find('?');
  std::string base = real.substr(0, query);
  while (base.size() > 1 && base.back() == '/' && !base.ends_with("//")) base.pop_back();
  std::string out = base + (base.ends_with("/") ? "" : "/") + subpath +
                    (query == std::string::npos ? "" : real.substr(query));
  WipeString(&real);
  return out;
}

Status ExternalConnections::RefuseOwners(const std::vector<std::string>& roles) {
  ASSIGN_OR_RETURN(SqliteStmt st, dir_->system().Prepare("SELECT name FROM external_connections "
                                                         "WHERE owner = ? ORDER BY name LIMIT 1"));
  for (const std::string& role : roles) {
    const std::string name = AsciiLower(role);
    RETURN_IF_ERROR(st.Reset());
    st.Bind(1, name);
    ASSIGN_OR_RETURN(bool owns, st.Step());
    if (owns) {
      return FailedPreconditionError("role " + name +
                                     " cannot be dropped: it owns external "
                                     "connection \"" +
                                     st.ColumnText(0) + "\"")
          .WithHint("DROP EXTERNAL CONNECTION " + st.ColumnText(0) + " first");
    }
  }
  return Status::OK();
}

Status ExternalConnections::ResolveAll(const Privileges& actor, std::vector<std::string>* uris) {
  for (std::string& u : *uris) {
    if (!IsExternal(u)) continue;
    ASSIGN_OR_RETURN(std::string resolved, Resolve(actor, u));
    u = std::move(resolved);
  }
  return Status::OK();
}

Status ExternalConnections::ResolveOptions(const Privileges& actor, std::vector<Option>* options) {
  for (Option& o : *options) {
    if (o.name == "kms" || o.name == "incremental_location") {
      RETURN_IF_ERROR(ResolveAll(actor, &o.values));
    }
  }
  return Status::OK();
}

Status ResolveExternalUris(ExternalConnections* connections, const Privileges& actor,
                           Statement* stmt) {
  if (auto* s = std::get_if<Backup>(stmt)) {
    RETURN_IF_ERROR(connections->ResolveAll(actor, &s->destinations));
    return connections->ResolveOptions(actor, &s->options);
  }
  if (auto* s = std::get_if<Restore>(stmt)) {
    RETURN_IF_ERROR(connections->ResolveAll(actor, &s->in));
    return connections->ResolveOptions(actor, &s->options);
  }
  if (auto* s = std::get_if<ShowBackups>(stmt)) return connections->ResolveAll(actor, &s->in);
  if (auto* s = std::get_if<ShowBackup>(stmt)) {
    RETURN_IF_ERROR(connections->ResolveAll(actor, &s->in));
    return connections->ResolveOptions(actor, &s->options);
  }
  if (auto* s = std::get_if<AlterBackup>(stmt)) {
    RETURN_IF_ERROR(connections->ResolveAll(actor, &s->in));
    for (AlterBackupCommand& c : s->commands) {
      RETURN_IF_ERROR(connections->ResolveAll(actor, &c.kms));
      RETURN_IF_ERROR(connections->ResolveAll(actor, &c.old_kms));
    }
  }
  return Status::OK();
}

}  // namespace cofre::sql
