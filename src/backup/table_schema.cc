#include "backup/table_schema.h"

#include <algorithm>
#include <map>
#include <set>

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

}  // namespace

std::string TableSchema::ScanSql(const std::string& schema, bool from, bool to) const {
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
  return "SELECT " + rowid_name + (cols.empty() ? "" : ", " + cols) + sql + " ORDER BY " +
         rowid_name;
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
      if (kind.first == "virtual" || kind.first == "shadow") {
        return InvalidArgumentError(
            "table \"" + name + "\" is a " +
            (kind.first == "virtual" ? std::string("virtual table") : "virtual table's shadow table") +
            "; cofre cannot back up virtual tables (FTS, R*Tree) yet: back up the other tables "
            "with BACKUP TABLE, or drop and rebuild it after restore");
      }
      TableSchema t;
      t.name = name;
      t.create_sql = sql;
      t.without_rowid = kind.second;
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
