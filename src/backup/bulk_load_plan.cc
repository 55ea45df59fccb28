#include "backup/bulk_load_plan.h"

#include <strings.h>

#include <map>
#include <optional>

namespace cofre {

namespace {

std::optional<Collation> KnownCollation(const std::string& name) {
  if (strcasecmp(name.c_str(), "BINARY") == 0) return Collation::kBinary;
  if (strcasecmp(name.c_str(), "NOCASE") == 0) return Collation::kNoCase;
  if (strcasecmp(name.c_str(), "RTRIM") == 0) return Collation::kRtrim;
  return std::nullopt;
}

// Root pages of every table and index, by name.
StatusOr<std::map<std::string, uint32_t>> RootPages(const SqliteDb& db) {
  ASSIGN_OR_RETURN(SqliteStmt q, db.Prepare("SELECT name, rootpage FROM main.sqlite_schema "
                                            "WHERE type IN ('table', 'index') AND rootpage > 0"));
  std::map<std::string, uint32_t> roots;
  while (true) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    roots[q.ColumnText(0)] = static_cast<uint32_t>(q.ColumnInt(1));
  }
  return roots;
}

// The column SQLite reads through the rowid (an INTEGER PRIMARY KEY), or -1. Asked of SQLite's
// code generator rather than re-derived from the declared type: "INTEGER PRIMARY KEY DESC" is
// not an alias, "PRIMARY KEY (x DESC)" is.
StatusOr<int> RowidAlias(const SqliteDb& db, const std::string& table,
                         const std::vector<std::string>& pk_columns,
                         const std::vector<std::string>& names) {
  if (pk_columns.size() != 1) return -1;
  ASSIGN_OR_RETURN(SqliteStmt q, db.Prepare("EXPLAIN SELECT " + QuoteIdent(pk_columns[0]) +
                                            " FROM main." + QuoteIdent(table) + " NOT INDEXED"));
  bool rowid = false, column = false;
  while (true) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    std::string op = q.ColumnText(1);
    rowid = rowid || op == "Rowid";
    column = column || op == "Column";
  }
  if (!rowid || column) return -1;
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == pk_columns[0]) return static_cast<int>(i);
  }
  return -1;
}

// Plans one index of a planned table; nullopt when SQLite must build it.
StatusOr<std::optional<BulkIndexPlan>> PlanIndex(const SqliteDb& db, const std::string& name,
                                                 bool unique, uint32_t root,
                                                 const std::vector<std::string>& columns) {
  ASSIGN_OR_RETURN(SqliteStmt q,
                   db.Prepare("SELECT cid, desc, coll, key FROM pragma_index_xinfo(?1, 'main')"));
  q.Bind(1, name);
  BulkIndexPlan plan;
  plan.name = name;
  plan.root_page = root;
  plan.unique = unique;
  bool has_rowid_field = false;
  while (true) {
    ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    const int64_t cid = q.ColumnInt(0);
    std::optional<Collation> coll = KnownCollation(q.ColumnText(2));
    if (!coll || cid < -1 || cid >= static_cast<int64_t>(columns.size())) return std::nullopt;
    if (q.ColumnInt(3) == 0) {  // the auxiliary rowid field that ends every entry
      if (cid != -1 || has_rowid_field) return std::nullopt;
      has_rowid_field = true;
      plan.order.push_back({Collation::kBinary, false});
      continue;
    }
    if (has_rowid_field) return std::nullopt;
    plan.sources.push_back(static_cast<int>(cid));
    plan.order.push_back({*coll, q.ColumnInt(1) != 0});
  }
  if (!has_rowid_field || plan.sources.empty()) return std::nullopt;
  return plan;
}

// Plans one table; nullopt when SQLite must load it.
StatusOr<std::optional<BulkTablePlan>> PlanTable(const SqliteDb& db, const proto::Table& table,
                                                 const std::map<std::string, uint32_t>& roots) {
  if (table.without_rowid()) return std::nullopt;
  auto root = roots.find(table.name());
  if (root == roots.end()) return std::nullopt;
  ASSIGN_OR_RETURN(SqliteStmt cols,
                   db.Prepare("SELECT name, pk, hidden FROM pragma_table_xinfo(?1, 'main') "
                              "ORDER BY cid"));
  cols.Bind(1, table.name());
  std::vector<std::string> names;
  std::vector<std::pair<int64_t, std::string>> pk;
  while (true) {
    ASSIGN_OR_RETURN(bool row, cols.Step());
    if (!row) break;
    if (cols.ColumnInt(2) != 0) return std::nullopt;  // generated or hidden column
    names.push_back(cols.ColumnText(0));
    if (cols.ColumnInt(1) > 0) pk.emplace_back(cols.ColumnInt(1), names.back());
  }
  if (names.size() != static_cast<size_t>(table.columns_size())) return std::nullopt;
  for (int i = 0; i < table.columns_size(); ++i) {
    if (table.columns(i).name() != names[i]) return std::nullopt;
  }
  std::vector<std::string> pk_names;
  for (auto& [pos, n] : pk) pk_names.push_back(n);
  BulkTablePlan plan;
  plan.table = &table;
  plan.root_page = root->second;
  ASSIGN_OR_RETURN(plan.rowid_alias, RowidAlias(db, table.name(), pk_names, names));

  ASSIGN_OR_RETURN(SqliteStmt list, db.Prepare("SELECT name, \"unique\", partial, origin "
                                               "FROM pragma_index_list(?1, 'main')"));
  list.Bind(1, table.name());
  while (true) {
    ASSIGN_OR_RETURN(bool row, list.Step());
    if (!row) break;
    const std::string name = list.ColumnText(0);
    // An index of the table's own constraints (UNIQUE, PRIMARY KEY) cannot be dropped and
    // rebuilt later: if it cannot be written directly, neither can the table.
    const bool created = list.ColumnText(3) == "c";
    auto index_root = roots.find(name);
    std::optional<BulkIndexPlan> index;
    if (list.ColumnInt(2) == 0 && index_root != roots.end()) {
      ASSIGN_OR_RETURN(index,
                       PlanIndex(db, name, list.ColumnInt(1) != 0, index_root->second, names));
    }
    if (index) {
      // SQLite names the alias column in index_xinfo; its value is the rowid.
      for (int& source : index->sources) {
        if (source == plan.rowid_alias) source = -1;
      }
      plan.indexes.push_back(std::move(*index));
    } else if (!created) {
      return std::nullopt;
    }
  }
  return plan;
}

}  // namespace

StatusOr<BulkLoadPlan> PlanBulkLoad(const SqliteDb& db, const proto::Database& pdb) {
  ASSIGN_OR_RETURN(auto roots, RootPages(db));
  BulkLoadPlan plan;
  // The page writer writes UTF-8 files without pointer maps: other files load through SQLite.
  ASSIGN_OR_RETURN(auto encoding, db.QueryText("PRAGMA main.encoding"));
  ASSIGN_OR_RETURN(auto vacuum, db.QueryInt("PRAGMA main.auto_vacuum"));
  if (encoding.value_or("") != "UTF-8" || vacuum.value_or(0) != 0) {
    for (const auto& obj : pdb.objects()) {
      if (obj.type() == "index") plan.unplanned_indexes.push_back(obj.name());
    }
    return plan;
  }
  std::map<std::string, bool> planned_index;
  for (const auto& table : pdb.tables()) {
    // A virtual table's shadow tables already hold the rows its module wrote when creating it.
    if (!table.virtual_table().empty()) continue;
    ASSIGN_OR_RETURN(std::optional<BulkTablePlan> t, PlanTable(db, table, roots));
    if (!t) continue;
    for (const auto& index : t->indexes) planned_index[index.name] = true;
    plan.tables.push_back(std::move(*t));
  }
  for (const auto& obj : pdb.objects()) {
    if (obj.type() == "index" && !planned_index.count(obj.name())) {
      plan.unplanned_indexes.push_back(obj.name());
    }
  }
  return plan;
}

}  // namespace cofre
