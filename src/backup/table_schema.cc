#include "backup/table_schema.h"

#include <strings.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "backup/schema_guard.h"

namespace cofre {
namespace {

std::string Join(const std::vector<std::string>& names, const std::string& prefix = "") {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ", ";
    out += prefix + QuoteIdent(names[i]);
  }
  return out;
}

std::string Placeholders(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += i ? ", ?" : "?";
  return out;
}

Status ReadColumns(const SqliteDb& db, const std::string& schema, TableSchema* t) {
  ASSIGN_OR_RETURN(SqliteStmt stmt, db.Prepare("SELECT name, pk, hidden FROM " +
                                               QuoteIdent(schema) + ".pragma_table_xinfo(?)"));
  stmt.Bind(1, t->name);
  std::map<int, std::string> pk;
  std::set<std::string> lower_names;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    std::string name = stmt.ColumnText(0);
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
    lower_names.insert(lower);
    if (stmt.ColumnInt(2) != 0) continue;  // generated (computed) column
    if (stmt.ColumnInt(1) > 0) pk[static_cast<int>(stmt.ColumnInt(1))] = name;
    t->columns.push_back(name);
  }
  if (t->without_rowid) {
    for (auto& [i, name] : pk) {
      t->key_columns.push_back(name);
      t->key_column_positions.push_back(static_cast<int>(
          std::find(t->columns.begin(), t->columns.end(), name) - t->columns.begin()));
    }
  } else {
    for (const char* alias : {"rowid", "_rowid_", "oid"}) {
      if (!lower_names.count(alias)) {
        t->rowid_name = alias;
        break;
      }
    }
    if (t->rowid_name.empty()) {
      return InvalidArgumentError("table \"" + t->name +
                                  "\" has columns named rowid, _rowid_ and oid, which hide its "
                                  "row ids; rename one of them to back it up");
    }
  }
  return Status::OK();
}

Status ReadIndexes(const SqliteDb& db, const std::string& schema, TableSchema* t) {
  ASSIGN_OR_RETURN(SqliteStmt stmt, db.Prepare("SELECT name, origin, partial FROM " +
                                               QuoteIdent(schema) + ".pragma_index_list(?)"));
  stmt.Bind(1, t->name);
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    if (t->without_rowid && stmt.ColumnText(1) == "pk") continue;  // the table itself
    t->indexes.push_back({stmt.ColumnText(0), stmt.ColumnInt(2) != 0});
  }
  return Status::OK();
}

// The next SQL token of `sql` from `*pos` (an identifier, a quoted name unquoted, or one
// punctuation character); "" at the end.
std::string NextToken(std::string_view sql, size_t* pos) {
  size_t i = *pos;
  while (i < sql.size()) {
    if (std::isspace(static_cast<unsigned char>(sql[i]))) {
      ++i;
    } else if (sql.compare(i, 2, "--") == 0) {
      size_t nl = sql.find('\n', i);
      i = nl == std::string_view::npos ? sql.size() : nl + 1;
    } else if (sql.compare(i, 2, "/*") == 0) {
      size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
    } else {
      break;
    }
  }
  if (i >= sql.size()) {
    *pos = i;
    return "";
  }
  char c = sql[i];
  char close = c == '"' ? '"' : c == '`' ? '`' : c == '[' ? ']' : c == '\'' ? '\'' : 0;
  std::string out;
  if (close) {
    for (++i; i < sql.size(); ++i) {
      if (sql[i] == close) {
        if (close != ']' && i + 1 < sql.size() && sql[i + 1] == close) {
          out += close;
          ++i;
          continue;
        }
        ++i;
        break;
      }
      out += sql[i];
    }
  } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
             static_cast<unsigned char>(c) >= 0x80) {
    while (i < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[i])) || sql[i] == '_' ||
                              sql[i] == '$' || static_cast<unsigned char>(sql[i]) >= 0x80)) {
      out += sql[i++];
    }
  } else {
    out = std::string(1, c);
    ++i;
  }
  *pos = i;
  return out;
}

bool IsWord(const std::string& token, const char* word) {
  return strcasecmp(token.c_str(), word) == 0;
}

// The virtual table a shadow table belongs to: the one whose name and a suffix its module
// creates make the shadow table's name.
std::string OwnerOfShadow(const std::string& shadow,
                          const std::vector<proto::VirtualTable>& vtabs) {
  static const std::map<std::string, std::vector<std::string>> kSuffixes = {
      {"fts5", {"data", "idx", "content", "docsize", "config"}},
      {"fts4", {"content", "segments", "segdir", "docsize", "stat"}},
      {"fts3", {"content", "segments", "segdir", "docsize", "stat"}},
      {"rtree", {"node", "rowid", "parent"}},
      {"rtree_i32", {"node", "rowid", "parent"}}};
  for (const auto& vt : vtabs) {
    auto it = kSuffixes.find(vt.module());
    if (it == kSuffixes.end()) continue;
    for (const auto& suffix : it->second) {
      if (strcasecmp(shadow.c_str(), (vt.name() + "_" + suffix).c_str()) == 0) return vt.name();
    }
  }
  return "";
}

}  // namespace

std::string VirtualTableModule(std::string_view create_sql) {
  size_t pos = 0;
  for (const char* word : {"CREATE", "VIRTUAL", "TABLE"}) {
    if (!IsWord(NextToken(create_sql, &pos), word)) return "";
  }
  std::string token = NextToken(create_sql, &pos);
  if (IsWord(token, "IF")) {
    NextToken(create_sql, &pos);  // NOT
    NextToken(create_sql, &pos);  // EXISTS
    token = NextToken(create_sql, &pos);
  }
  // [schema .] name
  token = NextToken(create_sql, &pos);
  if (token == ".") {
    NextToken(create_sql, &pos);
    token = NextToken(create_sql, &pos);
  }
  if (!IsWord(token, "USING")) return "";
  return NextToken(create_sql, &pos);
}

std::string TableSchema::ScanSql(const std::string& schema, bool from, bool to,
                                 ScanPart part) const {
  std::string cols = Join(columns);
  std::string sql = " FROM " + QuoteIdent(schema) + "." + QuoteIdent(name);
  std::string key = without_rowid ? "(" + Join(key_columns) + ")" : rowid_name;
  std::string params =
      without_rowid ? "(" + Placeholders(key_columns.size()) + ")" : std::string("?");
  if (from || to) sql += " WHERE ";
  if (from) sql += key + " >= " + params;
  if (from && to) sql += " AND ";
  if (to) sql += key + " < " + params;
  if (without_rowid) return "SELECT " + cols + sql + " ORDER BY " + Join(key_columns);
  const std::string order = " ORDER BY " + rowid_name;
  if (part == ScanPart::kKey || (part == ScanPart::kColumns && cols.empty())) {
    return "SELECT " + rowid_name + sql + order;
  }
  if (part == ScanPart::kColumns) return "SELECT " + cols + sql + order;
  return "SELECT " + rowid_name + (cols.empty() ? "" : ", " + cols) + sql + order;
}

std::string TableSchema::InsertSql(const std::string& schema, bool replace) const {
  std::string head = std::string(replace ? "INSERT OR REPLACE" : "INSERT") + " INTO " +
                     QuoteIdent(schema) + "." + QuoteIdent(name);
  if (without_rowid) {
    return head + "(" + Join(columns) + ") VALUES(" + Placeholders(columns.size()) + ")";
  }
  return head + "(" + rowid_name + (columns.empty() ? "" : ", " + Join(columns)) + ") VALUES(" +
         Placeholders(columns.size() + 1) + ")";
}

std::string TableSchema::StoredColumnList() const {
  if (without_rowid) return Join(columns);
  return rowid_name + (columns.empty() ? "" : ", " + Join(columns));
}

std::string TableSchema::DeleteSql(const std::string& schema) const {
  std::string head = "DELETE FROM " + QuoteIdent(schema) + "." + QuoteIdent(name) + " WHERE ";
  if (!without_rowid) return head + rowid_name + " = ?";
  std::string where;
  for (size_t i = 0; i < key_columns.size(); ++i) {
    where += (i ? " AND " : "") + QuoteIdent(key_columns[i]) + " = ?";
  }
  return head + where;
}

StatusOr<DatabaseSchema> ReadDatabaseSchema(const SqliteDb& db, const std::string& schema,
                                            const std::vector<std::string>& only_tables) {
  DatabaseSchema out;
  std::set<std::string> wanted(only_tables.begin(), only_tables.end());
  std::set<std::string> found;
  // Kinds and flags from PRAGMA table_list (virtual and shadow tables are refused).
  std::map<std::string, std::pair<std::string, bool>> kinds;
  {
    ASSIGN_OR_RETURN(SqliteStmt stmt, db.Prepare("SELECT name, type, wr FROM " +
                                                 QuoteIdent(schema) + ".pragma_table_list"));
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      kinds[stmt.ColumnText(0)] = {stmt.ColumnText(1), stmt.ColumnInt(2) != 0};
    }
  }
  // Virtual tables first: their shadow tables are known by their names.
  std::vector<std::string> shadows;
  {
    ASSIGN_OR_RETURN(SqliteStmt stmt,
                     db.Prepare("SELECT name, sql FROM " + QuoteIdent(schema) +
                                ".sqlite_schema WHERE type = 'table' AND "
                                "sql LIKE 'CREATE VIRTUAL TABLE%' ORDER BY rowid"));
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      std::string name = stmt.ColumnText(0), sql = stmt.ColumnText(1);
      if (!wanted.empty() && !wanted.count(name)) continue;
      std::string module = VirtualTableModule(sql);
      std::transform(module.begin(), module.end(), module.begin(), ::tolower);
      if (!SupportedVirtualTableModule(module)) {
        int64_t available = 0;
        if (!module.empty()) {
          ASSIGN_OR_RETURN(SqliteStmt q,
                           db.Prepare("SELECT count(*) FROM pragma_module_list WHERE name = ?"));
          q.Bind(1, module);
          ASSIGN_OR_RETURN(bool got, q.Step());
          if (got) available = q.ColumnInt(0);
        }
        return InvalidArgumentError(
            "table \"" + name + "\" is a virtual table of module \"" + module + "\"" +
            (available ? std::string("") : std::string(", which is not available here")) +
            "; cofre backs up the virtual tables of modules fts5, fts4, fts3 and rtree only: back "
            "up the other tables with BACKUP TABLE, or drop it and rebuild it after restore");
      }
      if (!wanted.empty()) {
        return InvalidArgumentError("table \"" + name +
                                    "\" is a virtual table: back it up with its database "
                                    "(BACKUP DATABASE), which holds its shadow tables");
      }
      proto::VirtualTable vt;
      vt.set_name(name);
      vt.set_module(module);
      vt.set_sql(sql);
      out.virtual_tables.push_back(std::move(vt));
      found.insert(name);
    }
  }
  ASSIGN_OR_RETURN(SqliteStmt stmt,
                   db.Prepare("SELECT type, name, tbl_name, sql FROM " + QuoteIdent(schema) +
                              ".sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
                              "ORDER BY rowid"));
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    std::string type = stmt.ColumnText(0), name = stmt.ColumnText(1);
    std::string table = stmt.ColumnText(2), sql = stmt.ColumnText(3);
    bool selected = wanted.empty() || wanted.count(table);
    if (!selected) continue;
    if (type == "table") {
      auto kind = kinds[name];
      if (kind.first == "virtual") continue;  // read above
      TableSchema t;
      t.name = name;
      t.create_sql = sql;
      t.without_rowid = kind.second;
      if (kind.first == "shadow") {
        t.virtual_table = OwnerOfShadow(name, out.virtual_tables);
        if (t.virtual_table.empty()) {
          return InvalidArgumentError(
              "table \"" + name + "\" is a virtual table's shadow table" +
              (wanted.empty() ? std::string(" that belongs to no virtual table cofre knows")
                              : std::string(": back it up with its database (BACKUP DATABASE)")));
        }
      }
      RETURN_IF_ERROR(ReadColumns(db, schema, &t));
      RETURN_IF_ERROR(ReadIndexes(db, schema, &t));
      found.insert(name);
      out.tables.push_back(std::move(t));
    } else if (!stmt.ColumnIsNull(3)) {  // automatic indexes have no SQL
      proto::SchemaObject obj;
      obj.set_type(type);
      obj.set_name(name);
      obj.set_table_name(table);
      obj.set_sql(sql);
      // Views name themselves as their table; keep them only in whole-database backups.
      if (type == "view" && !wanted.empty()) continue;
      out.objects.push_back(std::move(obj));
    }
  }
  for (const auto& w : wanted) {
    if (!found.count(w)) return NotFoundError("table \"" + w + "\" does not exist");
  }
  return out;
}

TableSchema SchemaFromManifest(const proto::Table& table) {
  TableSchema t;
  t.name = table.name();
  t.create_sql = table.create_sql();
  t.without_rowid = table.without_rowid();
  t.virtual_table = table.virtual_table();
  std::map<uint32_t, std::pair<std::string, int>> keys;
  for (int i = 0; i < table.columns_size(); ++i) {
    const auto& c = table.columns(i);
    t.columns.push_back(c.name());
    if (c.key_position() > 0) keys[c.key_position()] = {c.name(), i};
  }
  for (const auto& [pos, col] : keys) {
    t.key_columns.push_back(col.first);
    t.key_column_positions.push_back(col.second);
  }
  if (!t.without_rowid) {
    std::set<std::string> lower;
    for (auto c : t.columns) {
      std::transform(c.begin(), c.end(), c.begin(), ::tolower);
      lower.insert(c);
    }
    for (const char* alias : {"rowid", "_rowid_", "oid"}) {
      if (!lower.count(alias)) {
        t.rowid_name = alias;
        break;
      }
    }
  }
  return t;
}

}  // namespace cofre
