#include "sql/job_statements.h"

#include <openssl/crypto.h>

#include <chrono>
#include <thread>

#include "jobs/node_key.h"
#include "proto/job_spec.pb.h"
#include "sql/access_control.h"
#include "sql/external_connections.h"
#include "sql/parser.h"
#include "sql/statement_privileges.h"

namespace cofre::sql {

namespace {

constexpr char kSpecPurpose[] = "cofre job spec";
constexpr uint32_t kSpecVersion = 1;

bool Terminal(const std::string& status) {
  return status == "succeeded" || status == "failed" || status == "canceled";
}

bool SeesAllJobs(const Privileges& p) {
  return p.admin || p.HasSystem("VIEWJOB") || p.HasSystem("CONTROLJOB");
}

// NotFound, as for a missing job, when `actor` may not see job `id` (nothing is revealed).
Status CheckVisible(const ExecContext& ctx, const Privileges& actor, int64_t id) {
  ASSIGN_OR_RETURN(JobRegistry::JobRecord job, ctx.jobs->Get(id));
  if (SeesAllJobs(actor) || job.user == actor.user) return Status::OK();
  return NotFoundError("job with ID " + std::to_string(id) + " does not exist");
}

// Wipes a string holding a secret when it goes.
struct Wiped {
  std::string text;
  ~Wiped() { OPENSSL_cleanse(text.data(), text.size()); }
};

}  // namespace

StatusOr<std::string> MakeJobSpec(const std::string& data_dir, std::string_view statement,
                                  const std::string& database) {
  ASSIGN_OR_RETURN(NodeKey key, NodeKey::LoadOrCreate(data_dir));
  proto::JobSpec spec;
  spec.set_format_version(kSpecVersion);
  ASSIGN_OR_RETURN(std::string sealed, key.Seal(statement, kSpecPurpose));
  spec.set_sealed_statement(std::move(sealed));
  spec.set_database(database);
  return spec.SerializeAsString();
}

StatusOr<ResultSet> SubmitDetached(const ExecContext& ctx, JobRunner* runner,
                                   std::string_view statement, const std::string& type,
                                   const std::string& description) {
  if (!runner) {
    return FailedPreconditionError(
        "option detached needs a server: an embedded cofre sql runs each job to completion in "
        "its statement (drop detached), while cofre start runs detached jobs in the background");
  }
  ASSIGN_OR_RETURN(std::string spec,
                   MakeJobSpec(ctx.data_dir->path(), statement, ctx.current_database));
  ASSIGN_OR_RETURN(int64_t id, ctx.jobs->CreatePending(type, description, ctx.user, spec));
  runner->Notify();
  ResultSet rs;
  rs.columns = {{"job_id", ResultSet::Kind::kNumber}};
  rs.rows.push_back({std::to_string(id)});
  return rs;
}

StatusOr<ResultSet> ExecuteControlJob(const ExecContext& ctx, JobRunner* runner,
                                      const Privileges& actor, const ControlJob& stmt) {
  ASSIGN_OR_RETURN(JobRegistry::JobRecord job, ctx.jobs->Get(stmt.job_id));
  if (!actor.admin && !actor.HasSystem("CONTROLJOB") && job.user != actor.user) {
    if (!SeesAllJobs(actor)) {
      return NotFoundError("job with ID " + std::to_string(stmt.job_id) + " does not exist");
    }
    return InsufficientPrivilege(actor.user, "CONTROLJOB", "job " + std::to_string(stmt.job_id));
  }
  if (!runner && !job.in_process) {
    return FailedPreconditionError("job " + std::to_string(stmt.job_id) +
                                   " is run by the server (cofre start): connect to it to "
                                   "pause, resume or cancel the job");
  }
  JobRegistry::Control action =
      stmt.action == ControlJob::Action::kPause    ? JobRegistry::Control::kPause
      : stmt.action == ControlJob::Action::kResume ? JobRegistry::Control::kResume
                                                   : JobRegistry::Control::kCancel;
  ASSIGN_OR_RETURN(std::string status, ctx.jobs->RequestControl(stmt.job_id, action));
  if (runner) {
    if (status == "pause-requested" || status == "cancel-requested") {
      runner->RequestStop(stmt.job_id);
    }
    if (status == "pending" || status == "cancel-requested") {
      runner->Notify();
    }
  }
  ResultSet rs;
  rs.tag = std::string(StatementTag(Statement(stmt)));
  return rs;
}

StatusOr<ResultSet> ExecuteShowJobs(const ExecContext& ctx, const Privileges& actor) {
  if (SeesAllJobs(actor)) return ctx.jobs->ShowJobs();
  return ctx.jobs->ShowJobs(actor.user);
}

StatusOr<ResultSet> ExecuteShowJob(const ExecContext& ctx, const Privileges& actor,
                                   const ShowJob& stmt) {
  RETURN_IF_ERROR(CheckVisible(ctx, actor, stmt.job_id));
  while (stmt.when_complete) {
    ASSIGN_OR_RETURN(JobRegistry::JobRecord job, ctx.jobs->Get(stmt.job_id));
    if (Terminal(job.status)) break;
    if (job.in_process) {
      // A statement's job (perhaps of a process that died): SHOW JOB reaps it when gone.
      ASSIGN_OR_RETURN(ResultSet rs, ctx.jobs->ShowJob(stmt.job_id));
      if (rs.rows.size() == 1 && rs.rows[0][4] && Terminal(*rs.rows[0][4])) break;
    }
    if (ctx.stop.stop_requested()) {
      return CancelledError("SHOW JOB WHEN COMPLETE was canceled; the job goes on")
          .WithDetail(ErrorDetail::kQueryCanceled);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return ctx.jobs->ShowJob(stmt.job_id);
}

Status RunStatementJob(const std::string& data_dir, const OperationSettings& operations,
                       const JobExecution& job) {
  proto::JobSpec spec;
  if (!spec.ParseFromString(job.spec) || spec.format_version() != kSpecVersion) {
    return DataLossError("the record of job " + std::to_string(job.id) +
                         " is not a job spec this version of cofre reads");
  }
  ASSIGN_OR_RETURN(NodeKey key, NodeKey::LoadOrCreate(data_dir));
  Wiped text;
  ASSIGN_OR_RETURN(text.text, key.Open(spec.sealed_statement(), kSpecPurpose));
  ASSIGN_OR_RETURN(Statement stmt, ParseStatement(text.text));
  ASSIGN_OR_RETURN(auto dir, DataDir::Open(data_dir));
  JobRegistry jobs(dir.get());
  RETURN_IF_ERROR(jobs.Init());
  AccessControl access(dir.get());
  RETURN_IF_ERROR(access.Init());
  // The job runs with its user's privileges of now: a revoked privilege stops a resumed job.
  ASSIGN_OR_RETURN(Privileges actor, access.Load(job.user));
  ExecContext ctx{dir.get(), &jobs, spec.database(), job.user, job.id, job.stop, operations};
  ExternalConnections connections(dir.get());
  RETURN_IF_ERROR(connections.Init());
  if (const auto* backup = std::get_if<Backup>(&stmt)) {
    RETURN_IF_ERROR(CheckPrivileges(actor, *backup, ctx.current_database));
    RETURN_IF_ERROR(ResolveExternalUris(&connections, actor, &stmt));
    return ExecuteBackup(ctx, std::get<Backup>(stmt)).status();
  }
  if (const auto* restore = std::get_if<Restore>(&stmt)) {
    // A RESTORE publishes nothing before it succeeds: a canceled one has nothing to remove.
    ASSIGN_OR_RETURN(JobRegistry::JobRecord record, jobs.Get(job.id));
    if (record.status == "cancel-requested") return CancelledError("the job was canceled");
    RETURN_IF_ERROR(CheckPrivileges(actor, *restore, ctx.current_database));
    RETURN_IF_ERROR(ResolveExternalUris(&connections, actor, &stmt));
    return ExecuteRestore(ctx, std::get<Restore>(stmt)).status();
  }
  return DataLossError("job " + std::to_string(job.id) + " holds no BACKUP or RESTORE");
}

}  // namespace cofre::sql
