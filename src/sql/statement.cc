#include "sql/statement.h"

namespace cofre::sql {
namespace {

struct TagOf {
  std::string_view operator()(const Passthrough&) const { return ""; }
  std::string_view operator()(const CreateDatabase&) const { return "CREATE DATABASE"; }
  std::string_view operator()(const DropDatabase&) const { return "DROP DATABASE"; }
  std::string_view operator()(const ShowDatabases&) const { return "SHOW DATABASES"; }
  std::string_view operator()(const ShowTables&) const { return "SHOW TABLES"; }
  std::string_view operator()(const Use&) const { return "SET"; }
  std::string_view operator()(const ShowJobs&) const { return "SHOW JOBS"; }
  std::string_view operator()(const ShowJob&) const { return "SHOW JOB"; }
  std::string_view operator()(const ControlJob& s) const {
    switch (s.action) {
      case ControlJob::Action::kPause:
        return "PAUSE JOB";
      case ControlJob::Action::kResume:
        return "RESUME JOB";
      case ControlJob::Action::kCancel:
        break;
    }
    return "CANCEL JOB";
  }
  std::string_view operator()(const Backup&) const { return "BACKUP"; }
  std::string_view operator()(const Restore&) const { return "RESTORE"; }
  std::string_view operator()(const ShowBackups&) const { return "SHOW BACKUPS"; }
  std::string_view operator()(const ShowBackup&) const { return "SHOW BACKUP"; }
  std::string_view operator()(const AlterBackup&) const { return "ALTER BACKUP"; }
  std::string_view operator()(const CreateRole&) const { return "CREATE ROLE"; }
  std::string_view operator()(const AlterRole&) const { return "ALTER ROLE"; }
  std::string_view operator()(const DropRole&) const { return "DROP ROLE"; }
  std::string_view operator()(const GrantPrivileges& s) const {
    return s.revoke ? "REVOKE" : "GRANT";
  }
  std::string_view operator()(const GrantRoles& s) const { return s.revoke ? "REVOKE" : "GRANT"; }
  std::string_view operator()(const ShowRoles& s) const {
    return s.users_only ? "SHOW USERS" : "SHOW ROLES";
  }
  std::string_view operator()(const ShowGrants&) const { return "SHOW GRANTS"; }
  std::string_view operator()(const ControlJobs& s) const {
    switch (s.action) {
      case ControlJob::Action::kPause:
        return "PAUSE JOBS";
      case ControlJob::Action::kResume:
        return "RESUME JOBS";
      case ControlJob::Action::kCancel:
        break;
    }
    return "CANCEL JOBS";
  }
  std::string_view operator()(const ShowQuery&) const { return "SELECT"; }
  std::string_view operator()(const CreateExternalConnection&) const {
    return "CREATE EXTERNAL CONNECTION";
  }
  std::string_view operator()(const ShowExternalConnections& s) const {
    return s.show_create ? "SHOW CREATE EXTERNAL CONNECTIONS" : "SHOW EXTERNAL CONNECTIONS";
  }
  std::string_view operator()(const DropExternalConnection&) const {
    return "DROP EXTERNAL CONNECTION";
  }
  std::string_view operator()(const CreateSchedule&) const { return "CREATE SCHEDULE FOR BACKUP"; }
  std::string_view operator()(const ShowSchedules&) const { return "SHOW SCHEDULES"; }
  std::string_view operator()(const ControlSchedules& s) const {
    switch (s.action) {
      case ControlSchedules::Action::kPause:
        return "PAUSE SCHEDULES";
      case ControlSchedules::Action::kResume:
        return "RESUME SCHEDULES";
      case ControlSchedules::Action::kDrop:
        break;
    }
    return "DROP SCHEDULES";
  }
  std::string_view operator()(const AlterBackupSchedule&) const { return "ALTER BACKUP SCHEDULE"; }
};

}  // namespace

std::string_view StatementTag(const Statement& stmt) { return std::visit(TagOf{}, stmt); }

}  // namespace cofre::sql
