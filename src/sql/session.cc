#include "sql/session.h"

#include <openssl/crypto.h>

#include <charconv>
#include <mutex>
#include <stop_token>

#include "engine/data_dir.h"
#include "jobs/job_registry.h"
#include "sql/access_control.h"
#include "sql/alter_backup.h"
#include "sql/backup_statements.h"
#include "sql/describe.h"
#include "sql/external_connections.h"
#include "sql/job_statements.h"
#include "sql/parser.h"
#include "sql/passthrough.h"
#include "sql/schedule_statements.h"
#include "sql/show_source.h"
#include "sql/statement_options.h"
#include "sql/statement_privileges.h"

namespace cofre::sql {

namespace {

// The cofre Session over a DataDir.
class SessionImpl : public Session {
 public:
  SessionImpl(std::unique_ptr<DataDir> dir, std::string database, std::optional<std::string> user,
              int lock_timeout_ms, JobRunner* runner, OperationSettings operations,
              Scheduler* scheduler)
      : runner_(runner),
        scheduler_(scheduler),
        operations_(std::move(operations)),
        dir_(std::move(dir)),
        jobs_(dir_.get()),
        schedules_(dir_.get()),
        access_(dir_.get()),
        connections_(dir_.get()),
        passthrough_(dir_.get(), lock_timeout_ms),
        current_(std::move(database)),
        user_(std::move(user)) {}

  Status Init() {
    RETURN_IF_ERROR(jobs_.Init());
    RETURN_IF_ERROR(schedules_.Init());
    RETURN_IF_ERROR(access_.Init());
    RETURN_IF_ERROR(connections_.Init());
    RETURN_IF_ERROR(RefreshPrivileges());
    // Every user may connect to and USE every database (CockroachDB grants CONNECT to public);
    // what it may read or change there is checked statement by statement.
    return passthrough_.Use(current_);
  }

  StatusOr<ResultSet> Execute(std::string_view text, const std::vector<Param>& params) override {
    RETURN_IF_ERROR(RefreshPrivileges());
    params_ = &params;
    {
      std::lock_guard<std::mutex> l(stop_mu_);
      stop_ = std::stop_source();
    }
    // The text as typed, kept for a detached job's sealed spec; wiped after the statement.
    struct Text {
      std::string value;
      ~Text() { OPENSSL_cleanse(value.data(), value.size()); }
    } full;
    auto parsed = ParseStatement(text);
    if (!parsed.ok() && CountPlaceholders(text) > 0) {
      // cofre's own statements take parameters as literals; the text then holds their values
      // (perhaps a passphrase): wipe it once parsed.
      ASSIGN_OR_RETURN(full.value, SubstitutePlaceholders(text, params));
      parsed = ParseStatement(full.value);
    } else if (parsed.ok() && (std::holds_alternative<Backup>(*parsed) ||
                               std::holds_alternative<Restore>(*parsed))) {
      full.value = std::string(text);
    }
    ASSIGN_OR_RETURN(Statement stmt, std::move(parsed));
    text_ = full.value;
    auto result = std::visit([this](const auto& s) { return Run(s); }, stmt);
    OPENSSL_cleanse(text_.data(), text_.size());
    text_.clear();
    return result;
  }

  StatusOr<StatementDescription> Describe(std::string_view text) override {
    RETURN_IF_ERROR(RefreshPrivileges());
    // cofre's own statements take $n as string literals: check their syntax with placeholders.
    const int placeholders = CountPlaceholders(text);
    auto parsed = ParseStatement(text);
    if (!parsed.ok() && placeholders > 0) {
      std::vector<Param> blanks(placeholders, Param{std::string(), Param::Type::kText});
      ASSIGN_OR_RETURN(std::string checked, SubstitutePlaceholders(text, blanks));
      parsed = ParseStatement(checked);
    }
    ASSIGN_OR_RETURN(Statement stmt, std::move(parsed));
    StatementDescription d;
    if (const auto* p = std::get_if<Passthrough>(&stmt)) {
      ASSIGN_OR_RETURN(auto desc, passthrough_.Describe(p->text));
      d.param_count = desc.first;
      d.columns = std::move(desc.second);
      d.columns_known = true;
      return d;
    }
    d.param_count = placeholders;
    return d;
  }

  bool InTransaction() const override { return passthrough_.InTransaction(); }
  void Interrupt() override {
    {
      std::lock_guard<std::mutex> l(stop_mu_);
      stop_.request_stop();
    }
    passthrough_.Interrupt();
  }

  const std::string& current_database() const override { return current_; }

 private:
  ExecContext Context() {
    std::lock_guard<std::mutex> l(stop_mu_);
    return ExecContext{dir_.get(),        &jobs_,     current_, Actor().user, std::nullopt,
                       stop_.get_token(), operations_};
  }

  // BACKUP/RESTORE ... WITH detached: validated, then handed to the job runner.
  template <typename S>
  std::optional<StatusOr<ResultSet>> MaybeDetach(const S& s, OptionContext context,
                                                 const std::string& type) {
    StatusOr<StatementOptions> opts = ValidateOptions(s.options, context);
    if (!opts.ok()) return StatusOr<ResultSet>(opts.status());
    if (!opts->detached) return std::nullopt;
    return SubmitDetached(Context(), runner_, text_, type, DescribeStatement(s));
  }

  // Reloads the user's privileges when the system database changed since they were loaded.
  Status RefreshPrivileges() {
    if (!user_) return Status::OK();
    if (!data_version_stmt_.get()) {
      ASSIGN_OR_RETURN(data_version_stmt_, dir_->system().Prepare("PRAGMA data_version"));
    }
    RETURN_IF_ERROR(data_version_stmt_.Reset());
    ASSIGN_OR_RETURN(bool row, data_version_stmt_.Step());
    std::optional<int64_t> version;
    if (row) version = data_version_stmt_.ColumnInt(0);
    RETURN_IF_ERROR(data_version_stmt_.Reset());
    if (loaded_ && version == data_version_) return Status::OK();
    ASSIGN_OR_RETURN(privileges_, access_.Load(*user_));
    data_version_ = version;
    loaded_ = true;
    passthrough_.SetPrivileges(privileges_.admin ? nullptr : &privileges_);
    return Status::OK();
  }

  // The privileges to check a statement against: the user's, or everything when embedded.
  const Privileges& Actor() {
    if (!user_) {
      static const Privileges kEmbedded = [] {
        Privileges p;
        p.user = kRootUser;
        p.admin = true;
        return p;
      }();
      return kEmbedded;
    }
    return privileges_;
  }

  StatusOr<ResultSet> Run(const Passthrough& s) { return passthrough_.Execute(s.text, *params_); }

  StatusOr<ResultSet> Run(const CreateRole& s) { return access_.Run(Actor(), s); }
  StatusOr<ResultSet> Run(const AlterRole& s) { return access_.Run(Actor(), s); }
  StatusOr<ResultSet> Run(const DropRole& s) {
    RETURN_IF_ERROR(connections_.RefuseOwners(s.names));
    return access_.Run(Actor(), s);
  }
  StatusOr<ResultSet> Run(const GrantPrivileges& s) { return access_.Run(Actor(), s, current_); }
  StatusOr<ResultSet> Run(const GrantRoles& s) { return access_.Run(Actor(), s); }
  StatusOr<ResultSet> Run(const ShowRoles& s) { return access_.Run(s); }
  StatusOr<ResultSet> Run(const ShowGrants& s) { return access_.Run(s, current_); }

  StatusOr<ResultSet> Run(const CreateDatabase& s) {
    RETURN_IF_ERROR(CheckPrivileges(Actor(), s));
    ASSIGN_OR_RETURN(bool exists, dir_->HasDatabase(s.name));
    if (exists && s.if_not_exists) return TagResult("CREATE DATABASE");
    if (s.from_file) {
      RETURN_IF_ERROR(dir_->AttachFile(s.name, *s.from_file, s.journal_mode).status());
    } else {
      RETURN_IF_ERROR(dir_->CreateDatabase(s.name).status());
    }
    return TagResult("CREATE DATABASE");
  }

  StatusOr<ResultSet> Run(const DropDatabase& s) {
    RETURN_IF_ERROR(CheckPrivileges(Actor(), s));
    ASSIGN_OR_RETURN(bool exists, dir_->HasDatabase(s.name));
    if (!exists) {
      if (s.if_exists) return TagResult("DROP DATABASE");
      return NotFoundError("database \"" + s.name + "\" does not exist");
    }
    passthrough_.Reset();
    Status st = dir_->DropDatabase(s.name, s.cascade);
    if (s.name == current_ && st.ok()) {
      // CockroachDB leaves the session on a dropped database; statements then
      // fail clearly.
      return TagResult("DROP DATABASE");
    }
    RETURN_IF_ERROR(st);
    return TagResult("DROP DATABASE");
  }

  StatusOr<ResultSet> Run(const ShowDatabases&) {
    ASSIGN_OR_RETURN(auto dbs, dir_->ListDatabases());
    ResultSet rs;
    rs.columns = {{"database_name"}, {"owner"}, {"primary_region"}, {"regions"}, {"survival_goal"}};
    for (const auto& db : dbs) {
      rs.rows.push_back(
          {db.name, std::string("root"), std::nullopt, std::string("{}"), std::nullopt});
    }
    return rs;
  }

  StatusOr<ResultSet> Run(const ShowTables& s) {
    std::string name = s.database.value_or(current_);
    ASSIGN_OR_RETURN(DatabaseInfo db, dir_->GetDatabase(name));
    ASSIGN_OR_RETURN(SqliteDb conn, SqliteDb::Open(db.path, false, true));
    ASSIGN_OR_RETURN(SqliteStmt stmt,
                     conn.Prepare("SELECT name, type FROM sqlite_schema WHERE type IN "
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
      rs.rows.push_back({std::string("public"), stmt.ColumnText(0), stmt.ColumnText(1),
                         std::string("root"), std::nullopt});
    }
    return rs;
  }

  StatusOr<ResultSet> Run(const Use& s) {
    RETURN_IF_ERROR(passthrough_.Use(s.database));
    current_ = s.database;
    return TagResult("SET");
  }

  StatusOr<ResultSet> Run(const ShowJobs& s) {
    if (s.schedule_id) {
      return ExecuteShowJobsForSchedule(Schedules(), Actor(), {*s.schedule_id});
    }
    if (!s.schedules_query.empty()) {
      ASSIGN_OR_RETURN(std::vector<int64_t> ids,
                       QueryIds(s.schedules_query, "SHOW JOBS FOR SCHEDULES", "schedule",
                                "SELECT id FROM [SHOW SCHEDULES] WHERE label = 'nightly'"));
      return ExecuteShowJobsForSchedule(Schedules(), Actor(), ids);
    }
    ASSIGN_OR_RETURN(ResultSet rs, ExecuteShowJobs(Context(), Actor()));
    if (s.automatic) rs.rows.clear();  // cofre starts no jobs by itself
    return rs;
  }
  // The IDs in the first column of `query` (a SELECT, perhaps over [SHOW ...]) for `statement`,
  // which takes `noun` IDs as `example` lists them.
  StatusOr<std::vector<int64_t>> QueryIds(const std::string& query, const std::string& statement,
                                          const std::string& noun, const std::string& example) {
    ASSIGN_OR_RETURN(Statement parsed, ParseStatement(query));
    if (!std::holds_alternative<Passthrough>(parsed) &&
        !std::holds_alternative<ShowQuery>(parsed)) {
      return InvalidArgumentError(statement + " takes a query that lists " + noun + " IDs, e.g. " +
                                  example);
    }
    ASSIGN_OR_RETURN(ResultSet rows, std::visit([this](const auto& q) { return Run(q); }, parsed));
    if (rows.columns.empty()) {
      return InvalidArgumentError("the query of " + statement + " returns no rows");
    }
    std::vector<int64_t> ids;
    for (const ResultSet::Row& row : rows.rows) {
      if (row.empty() || !row[0]) continue;
      int64_t id = 0;
      auto [end, ec] = std::from_chars(row[0]->data(), row[0]->data() + row[0]->size(), id);
      if (ec != std::errc() || end != row[0]->data() + row[0]->size()) {
        return InvalidArgumentError("the query of " + statement + " must list " + noun +
                                    " IDs in its first column");
      }
      ids.push_back(id);
    }
    return ids;
  }
  StatusOr<ResultSet> Run(const ControlJobs& s) {
    const std::string tag(StatementTag(Statement(s)));
    if (s.schedule_id || s.for_schedules) {
      std::vector<int64_t> schedules;
      if (s.schedule_id) {
        schedules.push_back(*s.schedule_id);
      } else {
        ASSIGN_OR_RETURN(schedules,
                         QueryIds(s.query, tag + " FOR SCHEDULES", "schedule",
                                  "SELECT id FROM [SHOW SCHEDULES] WHERE label = 'nightly'"));
      }
      ASSIGN_OR_RETURN(std::vector<int64_t> jobs,
                       UnfinishedJobsOfSchedules(Schedules(), Actor(), schedules));
      int count = 0;
      for (int64_t id : jobs) {
        // A job whose status does not allow the action (pausing a paused one) is left as it is.
        auto done =
            ExecuteControlJob(Context(), runner_, Actor(), {.action = s.action, .job_id = id});
        if (done.ok()) {
          ++count;
        } else if (done.status().code() != StatusCode::kFailedPrecondition) {
          return done.status();
        }
      }
      return TagResult(tag + " " + std::to_string(count));
    }
    ASSIGN_OR_RETURN(
        std::vector<int64_t> ids,
        QueryIds(s.query, tag, "job", "(SELECT job_id FROM [SHOW JOBS] WHERE status = 'running')"));
    for (int64_t id : ids) {
      ControlJob one{.action = s.action, .job_id = id};
      RETURN_IF_ERROR(ExecuteControlJob(Context(), runner_, Actor(), one).status());
    }
    return TagResult(tag + " " + std::to_string(ids.size()));
  }
  StatusOr<ResultSet> Run(const ShowQuery& s) {
    std::vector<ResultSet> results;
    std::vector<ResultSet::Notice> notices;
    for (const ShowQuery::Source& source : s.sources) {
      ASSIGN_OR_RETURN(Statement show, ParseStatement(source.show));
      if (std::holds_alternative<Passthrough>(show) || std::holds_alternative<ShowQuery>(show)) {
        return InvalidArgumentError(
            "[SHOW ...] and (SHOW ...) take one of cofre's SHOW "
            "statements (SHOW JOBS, SHOW BACKUPS IN ..., ...)");
      }
      ASSIGN_OR_RETURN(ResultSet rs, std::visit([this](const auto& q) { return Run(q); }, show));
      for (auto& n : rs.notices) notices.push_back(std::move(n));
      results.push_back(std::move(rs));
    }
    ASSIGN_OR_RETURN(std::string sql, SubstituteShowResults(s, results));
    ASSIGN_OR_RETURN(ResultSet out, passthrough_.Execute(sql, *params_));
    notices.insert(notices.end(), out.notices.begin(), out.notices.end());
    out.notices = std::move(notices);
    return out;
  }
  StatusOr<ResultSet> Run(const CreateExternalConnection& s) {
    return connections_.Run(Actor(), s);
  }
  StatusOr<ResultSet> Run(const DropExternalConnection& s) { return connections_.Run(Actor(), s); }
  StatusOr<ResultSet> Run(const ShowExternalConnections& s) { return connections_.Run(Actor(), s); }
  // `s` with its external:// URIs resolved (sql/external_connections.h).
  template <typename S>
  StatusOr<S> Resolved(const S& s) {
    Statement copy = s;
    RETURN_IF_ERROR(ResolveExternalUris(&connections_, Actor(), &copy));
    return std::get<S>(std::move(copy));
  }
  ScheduleContext Schedules() { return ScheduleContext{Context(), &schedules_, scheduler_}; }
  StatusOr<ResultSet> Run(const CreateSchedule& s) {
    // Privileges and existing backups are checked where external:// URIs point; the schedule
    // keeps the names (its jobs resolve them when they run).
    ASSIGN_OR_RETURN(Backup resolved, Resolved(s.backup));
    return ExecuteCreateSchedule(Schedules(), Actor(), s, resolved);
  }
  StatusOr<ResultSet> Run(const ShowSchedules& s) {
    return ExecuteShowSchedules(Schedules(), Actor(), s);
  }
  StatusOr<ResultSet> Run(const ControlSchedules& s) {
    if (s.query.empty()) return ExecuteControlSchedules(Schedules(), Actor(), s);
    ControlSchedules listed = s;
    ASSIGN_OR_RETURN(listed.ids,
                     QueryIds(s.query, std::string(StatementTag(Statement(s))), "schedule",
                              "SELECT id FROM [SHOW SCHEDULES] WHERE label = 'x'"));
    return ExecuteControlSchedules(Schedules(), Actor(), listed);
  }
  StatusOr<ResultSet> Run(const AlterBackupSchedule& s) {
    return ExecuteAlterBackupSchedule(Schedules(), Actor(), s);
  }
  StatusOr<ResultSet> Run(const ShowJob& s) { return ExecuteShowJob(Context(), Actor(), s); }
  StatusOr<ResultSet> Run(const ControlJob& s) {
    return ExecuteControlJob(Context(), runner_, Actor(), s);
  }
  StatusOr<ResultSet> Run(const Backup& s) {
    RETURN_IF_ERROR(CheckPrivileges(Actor(), s, current_));
    if (auto detached = MaybeDetach(s, OptionContext::kBackup, "BACKUP")) return *detached;
    ASSIGN_OR_RETURN(Backup resolved, Resolved(s));
    return ExecuteBackup(Context(), resolved);
  }
  StatusOr<ResultSet> Run(const Restore& s) {
    RETURN_IF_ERROR(CheckPrivileges(Actor(), s, current_));
    if (auto detached = MaybeDetach(s, OptionContext::kRestore, "RESTORE")) return *detached;
    // A restore may publish databases this connection should see; reopen
    // lazily.
    ASSIGN_OR_RETURN(Restore resolved, Resolved(s));
    auto rs = ExecuteRestore(Context(), resolved);
    passthrough_.Reset();
    return rs;
  }
  StatusOr<ResultSet> Run(const ShowBackups& s) {
    RETURN_IF_ERROR(CheckPrivileges(Actor(), s));
    ASSIGN_OR_RETURN(ShowBackups resolved, Resolved(s));
    return ExecuteShowBackups(Context(), resolved);
  }
  StatusOr<ResultSet> Run(const ShowBackup& s) {
    RETURN_IF_ERROR(CheckPrivileges(Actor(), s));
    ASSIGN_OR_RETURN(ShowBackup resolved, Resolved(s));
    return ExecuteShowBackup(Context(), resolved);
  }
  StatusOr<ResultSet> Run(const AlterBackup& s) {
    RETURN_IF_ERROR(CheckPrivileges(Actor(), s));
    ASSIGN_OR_RETURN(AlterBackup resolved, Resolved(s));
    return ExecuteAlterBackup(Context(), resolved);
  }

  JobRunner* runner_;
  Scheduler* scheduler_;
  const OperationSettings operations_;
  std::string text_;  // the statement running now, for a detached job's spec
  std::mutex stop_mu_;
  std::stop_source stop_;  // of the statement running now (Interrupt)
  std::unique_ptr<DataDir> dir_;
  JobRegistry jobs_;
  ScheduleRegistry schedules_;
  AccessControl access_;
  ExternalConnections connections_;
  PassthroughExecutor passthrough_;
  std::string current_;
  std::optional<std::string> user_;
  Privileges privileges_;
  bool loaded_ = false;
  std::optional<int64_t> data_version_;
  SqliteStmt data_version_stmt_;                // PRAGMA data_version on the system database
  const std::vector<Param>* params_ = nullptr;  // of the statement running now
};

}  // namespace

StatusOr<std::unique_ptr<Session>> Session::Open(const SessionOptions& options) {
  ASSIGN_OR_RETURN(auto dir, DataDir::Open(options.data_dir));
  if (!options.locality.empty()) RETURN_IF_ERROR(dir->SetSetting("locality", options.locality));
  auto session = std::make_unique<SessionImpl>(std::move(dir), options.database, options.user,
                                               options.lock_timeout_ms, options.job_runner,
                                               options.operations, options.scheduler);
  RETURN_IF_ERROR(session->Init());
  return std::unique_ptr<Session>(std::move(session));
}

}  // namespace cofre::sql
