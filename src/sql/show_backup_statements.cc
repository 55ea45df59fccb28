// SHOW BACKUPS and SHOW BACKUP (sql/backup_statements.h).
#include "backup/check_files.h"
#include "backup/collection.h"
#include "backup/show_backup.h"
#include "sql/backup_chain.h"
#include "sql/backup_statements.h"

namespace cofre::sql {

using Kind = ResultSet::Kind;

StatusOr<ResultSet> ExecuteShowBackups(const ExecContext& ctx, const ShowBackups& stmt) {
  ASSIGN_OR_RETURN(auto storage, OpenCollection(ctx, stmt.in));
  ASSIGN_OR_RETURN(auto subdirs, collection::ListFullBackups(*storage));
  // Which entry LATEST names: none when LATEST is missing, damaged or names no listed backup.
  std::string latest;
  StatusOr<std::string> resolved = collection::ResolveFullBackup(*storage, "LATEST");
  if (resolved.ok()) {
    latest = *resolved;
  } else if (!IsNotFound(resolved.status()) && !IsDataLoss(resolved.status())) {
    return resolved.status();
  }
  ResultSet rs;
  rs.columns = {{"path"}, {"is_latest", Kind::kBool}};
  for (const auto& s : subdirs) {
    rs.rows.push_back({collection::DisplaySubdir(s), std::string(s == latest ? "true" : "false")});
  }
  return rs;
}

StatusOr<ResultSet> ExecuteShowBackup(const ExecContext& ctx, const ShowBackup& stmt) {
  ASSIGN_OR_RETURN(StatementOptions opts,
                   ValidateOptions(stmt.options, OptionContext::kShowBackup));
  LoadedChain chain;
  RETURN_IF_ERROR(LoadChain(ctx, stmt.in, stmt.from, opts, &chain));
  std::vector<ResultSet::Notice> notices;
  RETURN_IF_ERROR(CheckNotOlder(ctx, chain, stmt.from, opts.allow_older, &notices));
  ShowBackupKind kind = stmt.kind == ShowBackup::Kind::kSchemas ? ShowBackupKind::kSchemas
                        : stmt.kind == ShowBackup::Kind::kFiles ? ShowBackupKind::kFiles
                                                                : ShowBackupKind::kObjects;
  if (opts.check_files) {
    const std::string display = collection::DisplaySubdir(chain.subdir);
    for (const auto& layer : chain.layers)
      RETURN_IF_ERROR(chain.opened.view().Covers(layer, display));
    ASSIGN_OR_RETURN(CheckFilesResult checked, CheckBackupFiles(chain.opened.view(), chain.layers));
    if (!checked.problems.empty()) {
      std::string message = "backup " + display + " has " +
                            std::to_string(checked.problems.size()) + " missing or damaged " +
                            (checked.problems.size() == 1 ? "file" : "files") + ": ";
      for (size_t i = 0; i < checked.problems.size() && i < 20; ++i) {
        message += (i ? "; " : "") + checked.problems[i];
      }
      if (checked.problems.size() > 20) {
        message += "; and " + std::to_string(checked.problems.size() - 20) + " more";
      }
      return DataLossError(message);
    }
    notices.push_back({ResultSet::Notice::Severity::kNotice,
                       "check_files: all " + std::to_string(checked.files) +
                           " data files of backup " + display + " are present with their " +
                           "recorded sizes (" + std::to_string(checked.file_bytes) + " bytes)"});
  }
  ResultSet rs = ShowBackupResult(chain.layers, kind);
  rs.notices = std::move(notices);
  return rs;
}
}  // namespace cofre::sql
