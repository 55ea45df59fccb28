// SHOW BACKUPS and SHOW BACKUP (sql/backup_statements.h).
#include <google/protobuf/util/json_util.h>

#include "backup/check_files.h"
#include "backup/collection.h"
#include "backup/show_backup.h"
#include "sql/as_of_time.h"
#include "sql/backup_chain.h"
#include "sql/backup_statements.h"

namespace cofre::sql {

using Kind = ResultSet::Kind;

namespace {

// When full backup `subdir` ("2026/11/28-145137.12") was taken, from its name.
StatusOr<int64_t> SubdirTime(const std::string& subdir) {
  std::string s = subdir;
  if (s.size() < 17 || s[4] != '/' || s[7] != '/' || s[10] != '-') {
    return InvalidArgumentError("backup " + s + " has no time in its name");
  }
  std::string ts = s.substr(0, 4) + "-" + s.substr(5, 2) + "-" + s.substr(8, 2) + " " +
                   s.substr(11, 2) + ":" + s.substr(13, 2) + ":" + s.substr(15);
  return ParseUtcTimestampMicros(ts);
}

}  // namespace

StatusOr<ResultSet> ExecuteShowBackups(const ExecContext& ctx, const ShowBackups& stmt) {
  if (stmt.revision_start_time) {
    return UnimplementedError(
        "SHOW BACKUPS ... WITH REVISION START TIME is not supported: cofre takes no backups "
        "with revision history (SQLite keeps no history of rows), so no backup has a revision "
        "start time; each backup restores to its end time (SHOW BACKUP's end_time)");
  }
  const int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::optional<int64_t> newer, older;
  if (stmt.newer_than) {
    ASSIGN_OR_RETURN(newer, ParseAsOfSystemTime(*stmt.newer_than, now));
  }
  if (stmt.older_than) {
    ASSIGN_OR_RETURN(older, ParseAsOfSystemTime(*stmt.older_than, now));
  }
  const bool filtered = newer || older;
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
  if (filtered) rs.columns.push_back({"backup_time", Kind::kText, ResultSet::Type::kTimestampTz});
  for (const auto& s : subdirs) {
    ResultSet::Row row = {collection::DisplaySubdir(s),
                          std::string(s == latest ? "true" : "false")};
    if (filtered) {
      StatusOr<int64_t> taken = SubdirTime(s);
      if (!taken.ok()) continue;  // not a backup cofre named: it has no time to filter on
      if ((newer && *taken < *newer) || (older && *taken > *older)) continue;
      row.push_back(collection::FormatTimestamp(*taken) + "+00");
    }
    rs.rows.push_back(std::move(row));
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
  if (opts.as_json) {
    ResultSet rs;
    rs.columns = {{"manifest", Kind::kText, ResultSet::Type::kJson}};
    google::protobuf::util::JsonPrintOptions print;
    print.preserve_proto_field_names = true;
    for (const auto& layer : chain.layers) {
      std::string json;
      auto st = google::protobuf::util::MessageToJsonString(layer, &json, print);
      if (!st.ok()) return InternalError("cannot render a backup manifest as JSON");
      rs.rows.push_back({std::move(json)});
    }
    rs.notices = std::move(notices);
    return rs;
  }
  ResultSet rs = ShowBackupResult(chain.layers, kind);
  rs.notices = std::move(notices);
  return rs;
}
}  // namespace cofre::sql
