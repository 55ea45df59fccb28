#include "sql/session.h"

#include "engine/data_dir.h"
#include "jobs/job_registry.h"
#include "sql/alter_backup.h"
#include "sql/backup_statements.h"
#include "sql/parser.h"
#include "sql/passthrough.h"

namespace cofre::sql {

namespace {

ResultSet Tag(std::string tag) {
  ResultSet rs;
  rs.tag = std::move(tag);
  return rs;
}

// The cofre Session over a DataDir.
class SessionImpl : public Session {
 public:
  SessionImpl(std::unique_ptr<DataDir> dir, std::string database)
      : dir_(std::move(dir)),
        jobs_(dir_.get()),
        passthrough_(dir_.get()),
        current_(std::move(database)) {}

  Status Init() {
    RETURN_IF_ERROR(jobs_.Init());
    return passthrough_.Use(current_);
  }

  StatusOr<ResultSet> Execute(std::string_view text) override {
    ASSIGN_OR_RETURN(Statement stmt, ParseStatement(text));
    return std::visit([this](const auto& s) { return Run(s); }, stmt);
  }

  const std::string& current_database() const override { return current_; }

 private:
  ExecContext Context() { return ExecContext{dir_.get(), &jobs_, current_}; }

  StatusOr<ResultSet> Run(const Passthrough& s) {
    return passthrough_.Execute(s.text);
  }

  StatusOr<ResultSet> Run(const CreateDatabase& s) {
    ASSIGN_OR_RETURN(bool exists, dir_->HasDatabase(s.name));
    if (exists && s.if_not_exists) return Tag("CREATE DATABASE");
    if (s.from_file) {
      RETURN_IF_ERROR(dir_->AttachFile(s.name, *s.from_file, s.journal_mode).status());
    } else {
      RETURN_IF_ERROR(dir_->CreateDatabase(s.name).status());
    }
    return Tag("CREATE DATABASE");
  }

  StatusOr<ResultSet> Run(const DropDatabase& s) {
    ASSIGN_OR_RETURN(bool exists, dir_->HasDatabase(s.name));
    if (!exists) {
      if (s.if_exists) return Tag("DROP DATABASE");
      return NotFoundError("database \"" + s.name + "\" does not exist");
    }
    passthrough_.Reset();
    Status st = dir_->DropDatabase(s.name, s.cascade);
    if (s.name == current_ && st.ok()) {
      // CockroachDB leaves the session on a dropped database; statements then
      // fail clearly.
      return Tag("DROP DATABASE");
    }
    RETURN_IF_ERROR(st);
    return Tag("DROP DATABASE");
  }

  StatusOr<ResultSet> Run(const ShowDatabases&) {
    ASSIGN_OR_RETURN(auto dbs, dir_->ListDatabases());
    ResultSet rs;
    rs.columns = {{"database_name"},
                  {"owner"},
                  {"primary_region"},
                  {"regions"},
                  {"survival_goal"}};
    for (const auto& db : dbs) {
      rs.rows.push_back({db.name, std::string("root"), std::nullopt,
                         std::string("{}"), std::nullopt});
    }
    return rs;
  }

  StatusOr<ResultSet> Run(const ShowTables& s) {
    std::string name = s.database.value_or(current_);
    ASSIGN_OR_RETURN(DatabaseInfo db, dir_->GetDatabase(name));
    ASSIGN_OR_RETURN(SqliteDb conn, SqliteDb::Open(db.path, false, true));
    ASSIGN_OR_RETURN(
        SqliteStmt stmt,
        conn.Prepare(
            "SELECT name, type FROM sqlite_schema WHERE type IN "
            "('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "ORDER BY name"));
    ResultSet rs;
    rs.columns = {{"schema_name"},
                  {"table_name"},
                  {"type"},
                  {"owner"},
                  {"estimated_row_count", ResultSet::Kind::kNumber}};
    while (true) {
      ASSIGN_OR_RETURN(bool row, stmt.Step());
      if (!row) break;
      rs.rows.push_back({std::string("public"), stmt.ColumnText(0),
                         stmt.ColumnText(1), std::string("root"),
                         std::nullopt});
    }
    return rs;
  }

  StatusOr<ResultSet> Run(const Use& s) {
    RETURN_IF_ERROR(passthrough_.Use(s.database));
    current_ = s.database;
    return Tag("SET");
  }

  StatusOr<ResultSet> Run(const ShowJobs&) { return jobs_.ShowJobs(); }
  StatusOr<ResultSet> Run(const ShowJob& s) { return jobs_.ShowJob(s.job_id); }
  StatusOr<ResultSet> Run(const Backup& s) {
    return ExecuteBackup(Context(), s);
  }
  StatusOr<ResultSet> Run(const Restore& s) {
    // A restore may publish databases this connection should see; reopen
    // lazily.
    auto rs = ExecuteRestore(Context(), s);
    passthrough_.Reset();
    return rs;
  }
  StatusOr<ResultSet> Run(const ShowBackups& s) {
    return ExecuteShowBackups(Context(), s);
  }
  StatusOr<ResultSet> Run(const ShowBackup& s) {
    return ExecuteShowBackup(Context(), s);
  }
  StatusOr<ResultSet> Run(const AlterBackup& s) {
    return ExecuteAlterBackup(Context(), s);
  }

  std::unique_ptr<DataDir> dir_;
  JobRegistry jobs_;
  PassthroughExecutor passthrough_;
  std::string current_;
};

}  // namespace

StatusOr<std::unique_ptr<Session>> Session::Open(
    const SessionOptions& options) {
  ASSIGN_OR_RETURN(auto dir, DataDir::Open(options.data_dir));
  if (!options.locality.empty())
    RETURN_IF_ERROR(dir->SetSetting("locality", options.locality));
  auto session =
      std::make_unique<SessionImpl>(std::move(dir), options.database);
  RETURN_IF_ERROR(session->Init());
  return std::unique_ptr<Session>(std::move(session));
}

}  // namespace cofre::sql
