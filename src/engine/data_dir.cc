#include "engine/data_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>

#include "engine/journal_switch.h"
#include "engine/pending_append.h"
#include "util/file_util.h"

namespace cofre {
namespace fs = std::filesystem;

namespace {

constexpr char kSystemSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS databases (
  name TEXT PRIMARY KEY,
  path TEXT NOT NULL,
  external INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
)sql";

// Removes a database file of cofre's own and what SQLite and cofre keep beside it (best effort).
void RemoveDatabaseFiles(const std::string& path) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm", kWalPendingSuffix, kAppendPendingSuffix}) {
    fs::remove(path + suffix, ec);
  }
}

std::string RandomSuffix() {
  static thread_local std::mt19937_64 rng(std::random_device{}() ^ static_cast<uint64_t>(::getpid())
                                                                       << 32);
  char buf[17];
  snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

}  // namespace

StatusOr<SqliteDb> OpenDatabaseFile(const std::string& path) {
  // A table restore that died while appending pages to this file (pending_append.h,
  // invariant 6): its pages go, or stay when its link committed.
  RETURN_IF_ERROR(RecoverPendingAppend(path));
  ASSIGN_OR_RETURN(SqliteDb db, SqliteDb::Open(path, /*create=*/true));
  // New files get WAL; a file that has its own rollback journal (restored from a source that
  // used one) keeps it, unless a table restore stopped before switching it back to WAL
  // (journal_switch.h, invariant 2).
  ASSIGN_OR_RETURN(auto pages, db.QueryInt("PRAGMA page_count"));
  ASSIGN_OR_RETURN(auto current, db.QueryText("PRAGMA journal_mode"));
  const bool keeps_journal = pages.value_or(0) > 0 && current && *current != "wal";
  if (keeps_journal && ReturnToWalIfPending(db, path)) {
    RETURN_IF_ERROR(db.Exec("PRAGMA synchronous=NORMAL"));
    return db;
  }
  if (keeps_journal) {
    RETURN_IF_ERROR(db.Exec("PRAGMA synchronous=FULL"));
    return db;
  }
  ASSIGN_OR_RETURN(auto mode, db.QueryText("PRAGMA journal_mode=WAL"));
  if (!mode || *mode != "wal") {
    return FailedPreconditionError("database file " + path +
                                   " cannot be switched to WAL mode (got " +
                                   mode.value_or("nothing") + ")");
  }
  RETURN_IF_ERROR(db.Exec("PRAGMA synchronous=NORMAL"));
  return db;
}

StatusOr<SqliteDb> OpenDatabase(const DatabaseInfo& info) {
  if (!info.external) return OpenDatabaseFile(info.path);
  return SqliteDb::Open(info.path, /*create=*/false);
}

Status DataDir::CheckFileExists(const DatabaseInfo& db) {
  std::error_code ec;
  if (fs::is_regular_file(db.path, ec)) return Status::OK();
  return NotFoundError("the file of database \"" + db.name + "\" (" + db.path +
                       ") is missing; restore it from a backup, or DROP DATABASE " + db.name +
                       " to forget it");
}

Status DataDir::ValidateDatabaseName(const std::string& name) {
  bool ok =
      !name.empty() && name.size() <= 63 && !std::isdigit(static_cast<unsigned char>(name[0]));
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') ok = false;
  }
  if (!ok) {
    return InvalidArgumentError("invalid database name \"" + name +
                                "\": use letters, digits and _ (not starting with a digit), "
                                "at most 63 characters");
  }
  if (name == "main" || name == "temp" || name == "system") {
    return InvalidArgumentError("database name \"" + name + "\" is reserved");
  }
  return Status::OK();
}

StatusOr<std::unique_ptr<DataDir>> DataDir::Open(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(fs::path(dir) / "databases", ec);
  if (ec) return PermissionDeniedError("cannot create data directory " + dir + ": " + ec.message());
  fs::create_directories(fs::path(dir) / "extern", ec);
  std::string abs = fs::absolute(dir).lexically_normal().string();
  if (!abs.empty() && abs.back() == '/') abs.pop_back();
  ASSIGN_OR_RETURN(SqliteDb sys, OpenDatabaseFile(abs + "/system.sqlite"));
  std::unique_ptr<DataDir> d(new DataDir(abs, std::move(sys)));
  RETURN_IF_ERROR(d->Init());
  return d;
}

Status DataDir::Init() {
  RETURN_IF_ERROR(system_.Exec(kSystemSchema));
  ASSIGN_OR_RETURN(bool has_default, HasDatabase("defaultdb"));
  ASSIGN_OR_RETURN(auto initialized, GetSetting("initialized"));
  if (!has_default && !initialized) {
    ASSIGN_OR_RETURN(DatabaseInfo info, CreateDatabase("defaultdb"));
    (void)info;
  }
  if (!initialized) RETURN_IF_ERROR(SetSetting("initialized", "1"));
  return RemoveUnpublishedFiles();
}

Status DataDir::RemoveUnpublishedFiles() {
  // A file in databases/ that the catalog does not name is what a killed restore (or an
  // interrupted DROP) left behind. Staging files carry their owner's pid and are kept while that
  // process lives; everything else unnamed is removed. Under the catalog's write lock: another
  // connection creates or publishes a database file only while holding it, so a file being
  // created now is never taken for a leftover.
  RETURN_IF_ERROR(system_.BeginImmediate());
  Status st = RemoveUnpublishedFilesLocked();
  if (!st.ok()) {
    system_.Exec("ROLLBACK").IgnoreError();
    return st;
  }
  return system_.Exec("COMMIT");
}

Status DataDir::RemoveUnpublishedFilesLocked() {
  ASSIGN_OR_RETURN(std::vector<DatabaseInfo> dbs, ListDatabases());
  std::set<std::string> live;
  for (const auto& d : dbs) live.insert(fs::path(d.path).filename().string());
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::path(dir_) / "databases", ec)) {
    std::string name = entry.path().filename().string();
    std::string base = name;
    // One suffix at most; the WAL marker's before "-wal", which it ends with.
    for (const char* suffix :
         {kWalPendingSuffix, kAppendPendingSuffix, "-wal", "-shm", "-journal"}) {
      if (base.size() > strlen(suffix) && base.ends_with(suffix)) {
        base = base.substr(0, base.size() - strlen(suffix));
        break;
      }
    }
    if (live.count(base)) continue;
    // Staging files are named .staging-<pid>-<random>.sqlite: keep those of live processes.
    if (base.starts_with(".staging-")) {
      long pid = std::strtol(base.c_str() + 9, nullptr, 10);
      if (pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM)) continue;
    }
    fs::remove(entry.path(), ec);
  }
  // A table restore killed while it appended pages or copied through a rollback journal: its
  // target is put back now (pending_append.h, invariant 6) and returns to WAL (journal_switch.h,
  // invariant 2), not only when a session next opens it.
  for (const auto& d : dbs) {
    if (!d.external && (WalPending(d.path) || AppendPending(d.path))) {
      OpenDatabaseFile(d.path).status().IgnoreError();
    }
  }
  return Status::OK();
}

std::string DataDir::NewDatabaseFilePath() const {
  return dir_ + "/databases/db-" + RandomSuffix() + ".sqlite";
}

StatusOr<std::string> DataDir::NewStagingPath() const {
  return dir_ + "/databases/.staging-" + std::to_string(::getpid()) + "-" + RandomSuffix() +
         ".sqlite";
}

StatusOr<std::vector<DatabaseInfo>> DataDir::ListDatabases() const {
  ASSIGN_OR_RETURN(SqliteStmt stmt,
                   system_.Prepare("SELECT name, path, external FROM databases ORDER BY name"));
  std::vector<DatabaseInfo> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back({stmt.ColumnText(0), stmt.ColumnText(1), stmt.ColumnInt(2) != 0});
  }
  return out;
}

StatusOr<DatabaseInfo> DataDir::GetDatabase(const std::string& name) const {
  ASSIGN_OR_RETURN(SqliteStmt stmt,
                   system_.Prepare("SELECT name, path, external FROM databases WHERE name = ?"));
  stmt.Bind(1, name);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NotFoundError("database \"" + name + "\" does not exist");
  return DatabaseInfo{stmt.ColumnText(0), stmt.ColumnText(1), stmt.ColumnInt(2) != 0};
}

StatusOr<bool> DataDir::HasDatabase(const std::string& name) const {
  auto db = GetDatabase(name);
  if (db.ok()) return true;
  if (IsNotFound(db.status())) return false;
  return db.status();
}

StatusOr<DatabaseInfo> DataDir::CreateDatabase(const std::string& name) {
  RETURN_IF_ERROR(ValidateDatabaseName(name));
  ASSIGN_OR_RETURN(bool exists, HasDatabase(name));
  if (exists) return AlreadyExistsError("database \"" + name + "\" already exists");
  std::string path = NewDatabaseFilePath();
  // The file is created and named in the catalog under the catalog's write lock, which
  // RemoveUnpublishedFiles holds too: it never sees the file without its row.
  RETURN_IF_ERROR(system_.BeginImmediate());
  Status st = [&]() -> Status {
    {
      ASSIGN_OR_RETURN(SqliteDb db, OpenDatabaseFile(path));
      RETURN_IF_ERROR(db.Close());
    }
    ASSIGN_OR_RETURN(SqliteStmt ins, system_.Prepare("INSERT INTO databases(name, path, external) "
                                                     "VALUES(?, ?, 0)"));
    ins.Bind(1, name).Bind(2, path);
    RETURN_IF_ERROR(ins.Run());
    return system_.Exec("COMMIT");
  }();
  if (!st.ok()) {
    system_.Exec("ROLLBACK").IgnoreError();
    RemoveDatabaseFiles(path);
    return st.code() == StatusCode::kInvalidArgument
               ? AlreadyExistsError("database \"" + name + "\" already exists")
               : st;
  }
  return DatabaseInfo{name, path, false};
}

StatusOr<DatabaseInfo> DataDir::AttachFile(const std::string& name, const std::string& file,
                                           const std::optional<std::string>& journal_mode) {
  RETURN_IF_ERROR(ValidateDatabaseName(name));
  ASSIGN_OR_RETURN(bool exists, HasDatabase(name));
  if (exists) return AlreadyExistsError("database \"" + name + "\" already exists");
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    return NotFoundError("file " + file + " does not exist or is not a regular file");
  }
  std::string abs = fs::absolute(file).lexically_normal().string();
  {
    ASSIGN_OR_RETURN(SqliteDb db, SqliteDb::Open(abs, /*create=*/false));
    auto check = db.QueryInt("SELECT count(*) FROM sqlite_schema");
    if (!check.ok()) {
      return InvalidArgumentError("file " + abs +
                                  " is not a SQLite database: " + check.status().message());
    }
    // The file belongs to its application: its journal mode changes only when asked to.
    if (journal_mode) {
      ASSIGN_OR_RETURN(auto mode, db.QueryText("PRAGMA journal_mode=" + *journal_mode));
      if (!mode || *mode != *journal_mode) {
        return FailedPreconditionError("cannot switch " + abs + " to journal_mode " +
                                       *journal_mode + " (it stays " + mode.value_or("unknown") +
                                       "); close its other connections and retry");
      }
    }
  }
  ASSIGN_OR_RETURN(SqliteStmt ins,
                   system_.Prepare("INSERT INTO databases(name, path, external) VALUES(?, ?, 1)"));
  ins.Bind(1, name).Bind(2, abs);
  RETURN_IF_ERROR(ins.Run());
  return DatabaseInfo{name, abs, true};
}

StatusOr<std::vector<std::string>> DataDir::ListTables(const SqliteDb& db,
                                                       const std::string& schema) {
  ASSIGN_OR_RETURN(SqliteStmt stmt,
                   db.Prepare("SELECT name FROM " + QuoteIdent(schema) +
                              ".sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
                              "ESCAPE '\\' ORDER BY rowid"));
  std::vector<std::string> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(stmt.ColumnText(0));
  }
  return out;
}

Status DataDir::DropDatabase(const std::string& name, bool cascade) {
  ASSIGN_OR_RETURN(DatabaseInfo info, GetDatabase(name));
  if (!cascade) {
    ASSIGN_OR_RETURN(SqliteDb db, SqliteDb::Open(info.path, false, /*read_only=*/true));
    ASSIGN_OR_RETURN(auto tables, ListTables(db));
    if (!tables.empty()) {
      return FailedPreconditionError("database \"" + name + "\" is not empty (" +
                                     std::to_string(tables.size()) +
                                     " tables) and RESTRICT was specified")
          .WithHint("use DROP DATABASE " + name + " CASCADE to drop it with its tables");
    }
  }
  ASSIGN_OR_RETURN(SqliteStmt del, system_.Prepare("DELETE FROM databases WHERE name = ?"));
  del.Bind(1, name);
  RETURN_IF_ERROR(del.Run());
  if (!info.external) RemoveDatabaseFiles(info.path);
  return Status::OK();
}

Status DataDir::PublishDatabases(const std::vector<Publication>& pubs) {
  std::error_code ec;
  std::vector<std::string> moved;
  auto undo_moves = [&]() {
    for (const auto& path : moved) fs::remove(path, ec);
  };
  std::vector<std::pair<const Publication*, std::string>> finals;
  for (const auto& pub : pubs) RETURN_IF_ERROR(ValidateDatabaseName(pub.name));
  // The files move into place under the catalog's write lock, which RemoveUnpublishedFiles
  // holds too: it never sees a published file without its row.
  RETURN_IF_ERROR(system_.BeginImmediate());
  auto rollback = [&](Status st) {
    system_.Exec("ROLLBACK").IgnoreError();
    undo_moves();
    return st;
  };
  for (const auto& pub : pubs) {
    std::string final_path = NewDatabaseFilePath();
    fs::rename(pub.staging_path, final_path, ec);
    if (ec) {
      return rollback(InternalError("cannot move restored database " + pub.name +
                                    " into place: " + ec.message()));
    }
    moved.push_back(final_path);
    finals.emplace_back(&pub, final_path);
  }
  std::vector<DatabaseInfo> replaced;
  for (const auto& [pub, final_path] : finals) {
    auto existing = GetDatabase(pub->name);
    if (existing.ok()) {
      if (!pub->replace) {
        return rollback(AlreadyExistsError("database \"" + pub->name + "\" already exists"));
      }
      replaced.push_back(*existing);
      auto del = system_.Prepare("DELETE FROM databases WHERE name = ?");
      if (!del.ok()) return rollback(del.status());
      del->Bind(1, pub->name);
      if (Status st = del->Run(); !st.ok()) return rollback(st);
    } else if (!IsNotFound(existing.status())) {
      return rollback(existing.status());
    }
    auto ins = system_.Prepare("INSERT INTO databases(name, path, external) VALUES(?, ?, 0)");
    if (!ins.ok()) return rollback(ins.status());
    ins->Bind(1, pub->name).Bind(2, final_path);
    if (Status st = ins->Run(); !st.ok()) return rollback(st);
  }
  if (Status st = system_.Exec("COMMIT"); !st.ok()) return rollback(st);
  for (const auto& old : replaced) {
    if (!old.external) RemoveDatabaseFiles(old.path);
  }
  return Status::OK();
}

StatusOr<std::optional<std::string>> DataDir::GetSetting(const std::string& key) const {
  ASSIGN_OR_RETURN(SqliteStmt stmt, system_.Prepare("SELECT value FROM settings WHERE key = ?"));
  stmt.Bind(1, key);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(stmt.ColumnText(0));
}

StatusOr<std::string> DataDir::Id() {
  ASSIGN_OR_RETURN(std::optional<std::string> id, GetSetting("data_dir_id"));
  if (id) return *id;
  ASSIGN_OR_RETURN(std::string fresh, RandomHex(16));
  ASSIGN_OR_RETURN(SqliteStmt stmt, system_.Prepare("INSERT OR IGNORE INTO settings(key, value) "
                                                    "VALUES('data_dir_id', ?)"));
  stmt.Bind(1, fresh);
  RETURN_IF_ERROR(stmt.Run());
  ASSIGN_OR_RETURN(id, GetSetting("data_dir_id"));
  if (!id) return InternalError("the data directory's id could not be stored");
  return *id;
}

Status DataDir::SetSetting(const std::string& key, const std::string& value) {
  ASSIGN_OR_RETURN(SqliteStmt stmt,
                   system_.Prepare("INSERT OR REPLACE INTO settings(key, value) VALUES(?, ?)"));
  stmt.Bind(1, key).Bind(2, value);
  return stmt.Run();
}

}  // namespace cofre
