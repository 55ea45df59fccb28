#include "sql/statement_job.h"

namespace cofre::sql {

using Kind = ResultSet::Kind;

ResultSet JobResult(int64_t job_id, uint64_t rows, uint64_t index_entries, uint64_t bytes) {
  ResultSet rs;
  rs.columns = {{"job_id", Kind::kNumber},
                {"status"},
                {"fraction_completed", Kind::kNumber},
                {"rows", Kind::kNumber},
                {"index_entries", Kind::kNumber},
                {"bytes", Kind::kNumber}};
  rs.rows.push_back({std::to_string(job_id), std::string("succeeded"), std::string("1"),
                     std::to_string(rows), std::to_string(index_entries), std::to_string(bytes)});
  return rs;
}

Status RefuseSystemTargets(const Targets& targets, std::string_view verb) {
  bool system = false;
  for (const auto& d : targets.databases) system |= d == "system";
  for (const auto& t : targets.tables) system |= t.database == "system";
  if (!system) return Status::OK();
  return UnimplementedError(
      std::string(verb) +
      " of system tables (system.users, ...) is not supported: cofre backups hold user "
      "databases only, while users, roles and grants live in the data directory's system "
      "database, which BACKUP does not copy; re-create them with CREATE USER and GRANT");
}

}  // namespace cofre::sql
