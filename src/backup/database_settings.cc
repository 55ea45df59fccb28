#include "backup/database_settings.h"

#include <set>

namespace cofre {
namespace {

StatusOr<bool> HasTable(const SqliteDb& db, const char* name) {
  ASSIGN_OR_RETURN(SqliteStmt q, db.Prepare("SELECT count(*) FROM main.sqlite_schema WHERE "
                                            "type = 'table' AND name = ?1"));
  q.Bind(1, std::string(name));
  ASSIGN_OR_RETURN(bool row, q.Step());
  return row && q.ColumnInt(0) > 0;
}

// Whether `stat` holds only what SQLite writes in a stat column: numbers and the options
// "unordered", "noskipscan", "sz=N", separated by spaces.
bool PlausibleStat(const std::string& stat) {
  if (stat.size() > 100000) return false;
  for (char c : stat) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == ' ' || c == '=')) return false;
  }
  return true;
}

// SQL function cofre_unpaired_surrogate(x): 1 when x is text whose UTF-16 form holds a
// surrogate not part of a pair. Reads the text as UTF-16 before anything converts it.
void UnpairedSurrogate(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) != SQLITE_TEXT) {
    sqlite3_result_int(ctx, 0);
    return;
  }
  const auto* s = static_cast<const uint16_t*>(sqlite3_value_text16(argv[0]));
  const size_t n = static_cast<size_t>(sqlite3_value_bytes16(argv[0])) / 2;
  for (size_t i = 0; s && i < n; ++i) {
    if (s[i] >= 0xD800 && s[i] < 0xDC00) {
      if (i + 1 < n && s[i + 1] >= 0xDC00 && s[i + 1] < 0xE000) {
        ++i;
        continue;
      }
      sqlite3_result_int(ctx, 1);
      return;
    }
    if (s[i] >= 0xDC00 && s[i] < 0xE000) {
      sqlite3_result_int(ctx, 1);
      return;
    }
  }
  sqlite3_result_int(ctx, 0);
}

}  // namespace

Status ReportUnpairedSurrogates(const SqliteDb& db, const DatabaseSchema& schema,
                                const proto::Database& pdb, std::vector<std::string>* notices) {
  if (pdb.text_encoding() != 2 && pdb.text_encoding() != 3) return Status::OK();
  if (sqlite3_create_function(db.get(), "cofre_unpaired_surrogate", 1,
                              SQLITE_UTF16 | SQLITE_DETERMINISTIC, nullptr, UnpairedSurrogate,
                              nullptr, nullptr) != SQLITE_OK) {
    return InternalError("cannot register a function on the backup's connection: " +
                         std::string(sqlite3_errmsg(db.get())));
  }
  for (const auto& t : schema.tables) {
    if (t.columns.empty()) continue;
    std::string any;
    for (const auto& c : t.columns) {
      any += (any.empty() ? "" : " OR ") + std::string("cofre_unpaired_surrogate(") +
             QuoteIdent(c) + ")";
    }
    ASSIGN_OR_RETURN(auto count, db.QueryInt("SELECT count(*) FROM main." + QuoteIdent(t.name) +
                                             " WHERE " + any));
    if (count.value_or(0) > 0) {
      notices->push_back(
          "table " + pdb.name() + "." + t.name + " has " + std::to_string(*count) +
          " row(s) whose text holds unpaired UTF-16 surrogates, which SQLite rewrites "
          "when it converts the text to UTF-8 for the backup (an unpaired low "
          "surrogate becomes U+FFFD, an unpaired high one is paired with the next "
          "code unit): they restore rewritten");
    }
  }
  return Status::OK();
}

Status ReadFileSettings(const SqliteDb& db, proto::Database* pdb) {
  ASSIGN_OR_RETURN(auto mode, db.QueryText("PRAGMA main.journal_mode"));
  ASSIGN_OR_RETURN(auto vacuum, db.QueryInt("PRAGMA main.auto_vacuum"));
  ASSIGN_OR_RETURN(auto encoding, db.QueryText("PRAGMA main.encoding"));
  // Only WAL is a property of the file; the rollback modes are a connection's choice.
  pdb->set_journal_mode(mode && *mode == "wal" ? "wal" : "delete");
  pdb->set_auto_vacuum(static_cast<int32_t>(vacuum.value_or(0)));
  const std::string e = encoding.value_or("UTF-8");
  pdb->set_text_encoding(e == "UTF-16le" ? 2 : e == "UTF-16be" ? 3 : 1);
  return Status::OK();
}

Status ReadStatistics(const SqliteDb& db, const DatabaseSchema& schema, proto::Database* pdb) {
  std::set<std::string> tables;
  for (const auto& t : schema.tables) tables.insert(t.name);
  // How many of the backed-up tables the source created before `name`.
  auto position = [&](const char* name) -> StatusOr<int32_t> {
    ASSIGN_OR_RETURN(SqliteStmt q, db.Prepare("SELECT name FROM main.sqlite_schema WHERE type = "
                                              "'table' AND rowid < (SELECT rowid FROM "
                                              "main.sqlite_schema WHERE name = ?1)"));
    q.Bind(1, std::string(name));
    int32_t n = 0;
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      n += tables.count(q.ColumnText(0)) ? 1 : 0;
    }
    return n;
  };
  ASSIGN_OR_RETURN(bool stat1, HasTable(db, "sqlite_stat1"));
  if (stat1) {
    pdb->set_has_stat1(true);
    ASSIGN_OR_RETURN(int32_t at, position("sqlite_stat1"));
    pdb->set_stat1_position(at);
    ASSIGN_OR_RETURN(SqliteStmt q, db.Prepare("SELECT tbl, idx, stat FROM main.sqlite_stat1"));
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      if (!tables.count(q.ColumnText(0))) continue;
      proto::Stat1Row* r = pdb->add_stat1();
      r->set_tbl(q.ColumnText(0));
      r->set_idx_null(q.ColumnIsNull(1));
      r->set_idx(q.ColumnText(1));
      r->set_stat(q.ColumnText(2));
    }
  }
  ASSIGN_OR_RETURN(bool stat4, HasTable(db, "sqlite_stat4"));
  if (stat4) {
    pdb->set_has_stat4(true);
    ASSIGN_OR_RETURN(int32_t at, position("sqlite_stat4"));
    pdb->set_stat4_position(at);
    ASSIGN_OR_RETURN(SqliteStmt q, db.Prepare("SELECT tbl, idx, neq, nlt, ndlt, sample FROM "
                                              "main.sqlite_stat4"));
    while (true) {
      ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      if (!tables.count(q.ColumnText(0))) continue;
      proto::Stat4Row* r = pdb->add_stat4();
      r->set_tbl(q.ColumnText(0));
      r->set_idx(q.ColumnText(1));
      r->set_neq(q.ColumnText(2));
      r->set_nlt(q.ColumnText(3));
      r->set_ndlt(q.ColumnText(4));
      const void* blob = sqlite3_column_blob(q.get(), 5);
      const int size = sqlite3_column_bytes(q.get(), 5);
      if (blob) r->set_sample(static_cast<const char*>(blob), static_cast<size_t>(size));
    }
  }
  return Status::OK();
}

Status ApplyFileSettings(const SqliteDb& db, const proto::Database& pdb) {
  const int32_t enc = pdb.text_encoding();
  if (enc < 0 || enc > 3 || pdb.auto_vacuum() < 0 || pdb.auto_vacuum() > 2) {
    return DataLossError("backup manifest: database " + pdb.name() +
                         " has an unknown text encoding or auto_vacuum setting");
  }
  if (enc == 2 || enc == 3) {
    RETURN_IF_ERROR(
        db.Exec(std::string("PRAGMA encoding = '") + (enc == 2 ? "UTF-16le" : "UTF-16be") + "'"));
  }
  if (pdb.auto_vacuum() != 0) {
    RETURN_IF_ERROR(db.Exec("PRAGMA auto_vacuum = " + std::to_string(pdb.auto_vacuum())));
  }
  return Status::OK();
}

std::string RestoredJournalMode(const proto::Database& pdb) {
  return pdb.journal_mode() == "delete" ? "delete" : "wal";
}

Status CreateStatisticsTables(const SqliteDb& db, SchemaGuard& guard, const proto::Database& pdb,
                              int position) {
  const bool last = position >= pdb.tables_size();
  auto due = [&](bool has, int32_t at) { return has && (at == position || last); };
  guard.AllowStatistics(true);
  struct Off {
    SchemaGuard& g;
    ~Off() { g.AllowStatistics(false); }
  } off{guard};
  if (due(pdb.has_stat1(), pdb.stat1_position())) {
    ASSIGN_OR_RETURN(bool exists, HasTable(db, "sqlite_stat1"));
    if (!exists) RETURN_IF_ERROR(db.Exec("ANALYZE main.sqlite_schema"));
  }
  if (due(pdb.has_stat4(), pdb.stat4_position())) {
    ASSIGN_OR_RETURN(bool exists, HasTable(db, "sqlite_stat4"));
    if (!exists) {
      // SQLite builds without SQLITE_ENABLE_STAT4 never create it; its definition is SQLite's.
      RETURN_IF_ERROR(
          db.Exec("PRAGMA writable_schema = ON; "
                  "CREATE TABLE main.sqlite_stat4(tbl,idx,neq,nlt,ndlt,sample); "
                  "PRAGMA writable_schema = OFF"));
    }
  }
  return Status::OK();
}

Status RestoreStatistics(const SqliteDb& db, SchemaGuard& guard, const proto::Database& pdb) {
  if (!pdb.has_stat1() && !pdb.has_stat4()) return Status::OK();
  auto bad = [&](const std::string& what) {
    return DataLossError("backup manifest: the statistics of database " + pdb.name() + " " + what)
        .WithHint("the collection is damaged or was tampered with: restore from another backup");
  };
  std::set<std::string> tables, without_rowid;
  for (const auto& t : pdb.tables()) {
    tables.insert(t.name());
    if (t.without_rowid()) without_rowid.insert(t.name());
  }
  ASSIGN_OR_RETURN(SqliteStmt index_of,
                   db.Prepare("SELECT count(*) FROM main.sqlite_schema WHERE type = 'index' "
                              "AND name = ?1 AND tbl_name = ?2"));
  auto check = [&](const std::string& tbl, const std::string* idx) -> Status {
    if (!tables.count(tbl)) return bad("name table \"" + tbl + "\", which it does not hold");
    // A WITHOUT ROWID table's own b-tree is named after the table.
    if (!idx || (*idx == tbl && without_rowid.count(tbl))) return Status::OK();
    RETURN_IF_ERROR(index_of.Reset());
    index_of.Bind(1, *idx).Bind(2, tbl);
    ASSIGN_OR_RETURN(bool row, index_of.Step());
    if (!row || index_of.ColumnInt(0) == 0) {
      return bad("name index \"" + *idx + "\" of table \"" + tbl + "\", which it does not hold");
    }
    return Status::OK();
  };
  RETURN_IF_ERROR(CreateStatisticsTables(db, guard, pdb, pdb.tables_size()));
  guard.AllowStatistics(true);
  struct Off {
    SchemaGuard& g;
    ~Off() { g.AllowStatistics(false); }
  } off{guard};
  if (pdb.has_stat1()) {
    ASSIGN_OR_RETURN(SqliteStmt ins, db.Prepare("INSERT INTO main.sqlite_stat1(tbl, idx, stat) "
                                                "VALUES(?1, ?2, ?3)"));
    for (const auto& r : pdb.stat1()) {
      RETURN_IF_ERROR(check(r.tbl(), r.idx_null() ? nullptr : &r.idx()));
      if (!PlausibleStat(r.stat())) return bad("hold a stat text SQLite never writes");
      RETURN_IF_ERROR(ins.Reset());
      ins.Bind(1, r.tbl());
      if (r.idx_null()) {
        ins.BindNull(2);
      } else {
        ins.Bind(2, r.idx());
      }
      ins.Bind(3, r.stat());
      RETURN_IF_ERROR(ins.Run());
    }
  }
  if (pdb.has_stat4()) {
    ASSIGN_OR_RETURN(SqliteStmt ins,
                     db.Prepare("INSERT INTO main.sqlite_stat4(tbl, idx, neq, nlt, ndlt, sample) "
                                "VALUES(?1, ?2, ?3, ?4, ?5, ?6)"));
    for (const auto& r : pdb.stat4()) {
      RETURN_IF_ERROR(check(r.tbl(), &r.idx()));
      if (!PlausibleStat(r.neq()) || !PlausibleStat(r.nlt()) || !PlausibleStat(r.ndlt())) {
        return bad("hold a stat text SQLite never writes");
      }
      RETURN_IF_ERROR(ins.Reset());
      ins.Bind(1, r.tbl()).Bind(2, r.idx()).Bind(3, r.neq()).Bind(4, r.nlt()).Bind(5, r.ndlt());
      ins.BindBlob(6, r.sample());
      RETURN_IF_ERROR(ins.Run());
    }
  }
  return Status::OK();
}

}  // namespace cofre
