// RESTORE: loads and checks the chain, chooses the layer (AS OF SYSTEM TIME), resolves what to
// restore and where, and runs the backup layer's restore under a job record; with
// verify_backup_table_data and schema_only, only reads the chosen tables back.
#include <chrono>
#include <csignal>
#include <set>

#include "backup/collection.h"
#include "backup/restore.h"
#include "backup/verify_backup.h"
#include "sql/as_of_time.h"
#include "sql/backup_chain.h"
#include "sql/backup_statements.h"
#include "sql/describe.h"
#include "sql/statement_job.h"
#include "sql/statement_options.h"

namespace cofre::sql {

namespace {

// The tables of `manifest` that RESTORE `targets` would read, for verify_backup_table_data
// (nothing is written, so the data directory's databases do not matter).
StatusOr<std::vector<VerifyTarget>> VerifyTargets(const ExecContext& ctx, const Targets& targets,
                                                  const proto::BackupManifest& manifest,
                                                  const std::string& display) {
  std::vector<VerifyTarget> out;
  auto find_db = [&](const std::string& name) -> StatusOr<const proto::Database*> {
    for (const auto& db : manifest.databases()) {
      if (db.name() == name) return &db;
    }
    return NotFoundError("database \"" + name + "\" is not in backup " + display);
  };
  std::set<std::pair<std::string, std::string>> added;
  auto add = [&](const proto::Database& db, const proto::Table& t) {
    if (added.insert({db.name(), t.name()}).second) out.push_back({db.name(), &t});
  };
  switch (targets.kind) {
    case Targets::Kind::kCluster:
      for (const auto& db : manifest.databases()) {
        for (const auto& t : db.tables()) add(db, t);
      }
      break;
    case Targets::Kind::kDatabases:
      for (const auto& name : targets.databases) {
        ASSIGN_OR_RETURN(const proto::Database* db, find_db(name));
        for (const auto& t : db->tables()) add(*db, t);
      }
      break;
    case Targets::Kind::kTables:
      for (const auto& p : targets.tables) {
        ASSIGN_OR_RETURN(const proto::Database* db,
                         find_db(p.database.empty() ? ctx.current_database : p.database));
        bool found = false;
        for (const auto& t : db->tables()) {
          if (p.all_tables || t.name() == p.table) {
            add(*db, t);
            found = true;
          }
        }
        if (!found && !p.all_tables) {
          return NotFoundError("table " + db->name() + "." + p.table + " is not in backup " +
                               display);
        }
      }
      break;
  }
  return out;
}

}  // namespace

StatusOr<ResultSet> ExecuteRestore(const ExecContext& ctx, const Restore& stmt) {
  RETURN_IF_ERROR(RefuseSystemTargets(stmt.targets, "RESTORE"));
  ASSIGN_OR_RETURN(StatementOptions opts, ValidateOptions(stmt.options, OptionContext::kRestore));
  LoadedChain chain;
  RETURN_IF_ERROR(LoadChain(ctx, stmt.in, stmt.from, opts, &chain));
  std::vector<ResultSet::Notice> notices;
  RETURN_IF_ERROR(CheckNotOlder(ctx, chain, stmt.from, opts.allow_older, &notices));
  const std::string& subdir = chain.subdir;
  const std::vector<proto::BackupManifest>& layers = chain.layers;
  ChainCrypto crypto = CryptoOf(chain.key);
  const proto::BackupManifest* chosen = &layers.back();
  if (stmt.as_of) {
    auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    ASSIGN_OR_RETURN(int64_t when, ParseAsOfSystemTime(stmt.as_of->text, now));
    // Without revision history (cofre keeps none), CockroachDB restores only to the end time
    // of a layer of the chain, and so does cofre.
    chosen = nullptr;
    for (const auto& layer : layers) {
      if (layer.end_time_micros() == when) chosen = &layer;
    }
    if (!chosen) {
      std::string ends;
      for (size_t i = 0; i < layers.size(); ++i) {
        if (i == 8 && layers.size() > 9) {
          ends += ", ... (" + std::to_string(layers.size() - 9) + " more), ";
          i = layers.size() - 1;
        } else if (i) {
          ends += ", ";
        }
        ends += "'" + collection::FormatTimestamp(layers[i].end_time_micros()) + "'";
      }
      return InvalidArgumentError(
                 "invalid RESTORE timestamp: no layer of backup " +
                 collection::DisplaySubdir(subdir) + " ends at " +
                 collection::FormatTimestamp(when) +
                 "; a backup without revision history (cofre keeps none: SQLite has no MVCC) "
                 "restores only to the end time of one of its layers: " +
                 ends)
          .WithHint("SHOW BACKUP FROM ... IN ... lists each layer's end_time");
    }
  }
  const proto::BackupManifest& manifest = *chosen;
  // Every locality holding files of this layer must be in the list, before anything is created.
  RETURN_IF_ERROR(chain.opened.view().Covers(manifest, collection::DisplaySubdir(subdir)));
  const std::string restored = DescribeLayer(chain, manifest);

  if (opts.verify_backup_table_data) {
    ASSIGN_OR_RETURN(std::vector<VerifyTarget> tables,
                     VerifyTargets(ctx, stmt.targets, manifest, collection::DisplaySubdir(subdir)));
    VerifyResult verified;
    ASSIGN_OR_RETURN(
        ResultSet rs,
        RunJob(ctx, "RESTORE", DescribeStatement(stmt),
               [&](int64_t job_id, const std::function<void(double)>& progress, uint64_t* rows,
                   uint64_t* entries, uint64_t* bytes) -> Status {
                 ctx.jobs->SetRunningStatus(job_id, "verifying " + restored).IgnoreError();
                 VerifyRequest req;
                 req.storage = chain.opened.view();
                 req.crypto = crypto;
                 req.tables = std::move(tables);
                 req.progress = progress;
                 ASSIGN_OR_RETURN(verified, VerifyBackupData(req));
                 ctx.jobs->SetRunningStatus(job_id, "verified " + restored).IgnoreError();
                 *rows = verified.rows;
                 *entries = 0;
                 *bytes = verified.logical_bytes;
                 return Status::OK();
               }));
    rs.notices = std::move(notices);
    rs.notices.push_back({ResultSet::Notice::Severity::kNotice,
                          "verified " + restored + ": " + std::to_string(verified.files) +
                              " data files, " + std::to_string(verified.rows) +
                              " rows; no problems found; nothing was restored"});
    return rs;
  }

  RestoreRequest req;
  req.schema_only = opts.schema_only;
  req.bulk_pages = ctx.operations.restore_bulk_pages;
  req.tables_through_journal = ctx.operations.restore_tables_through_journal;
  if (ctx.operations.test_kill_during_table_copy) {
    req.test_after_first_table_copied = [] { std::raise(SIGKILL); };
  }
  req.storage = chain.opened.view();
  req.manifest = &manifest;
  req.crypto = crypto;
  req.data_dir = ctx.data_dir;
  std::set<std::string> in_backup;
  for (const auto& db : manifest.databases()) in_backup.insert(db.name());

  if (opts.new_db_name && stmt.targets.kind != Targets::Kind::kDatabases) {
    return InvalidArgumentError("new_db_name can only be used with RESTORE DATABASE");
  }
  if (opts.into_db && stmt.targets.kind != Targets::Kind::kTables) {
    return InvalidArgumentError("into_db can only be used with RESTORE TABLE");
  }
  switch (stmt.targets.kind) {
    case Targets::Kind::kCluster: {
      if (!manifest.targets().cluster()) {
        return InvalidArgumentError(
            "backup " + collection::DisplaySubdir(subdir) +
            " is not a full-cluster backup; restore its databases with RESTORE "
            "DATABASE or its "
            "tables with RESTORE TABLE");
      }
      ASSIGN_OR_RETURN(auto existing, ctx.data_dir->ListDatabases());
      for (const auto& db : existing) {
        ASSIGN_OR_RETURN(SqliteDb conn, SqliteDb::Open(db.path, false, true));
        ASSIGN_OR_RETURN(auto tables, DataDir::ListTables(conn));
        if (!tables.empty()) {
          return FailedPreconditionError(
                     "full cluster restore needs a data directory without user "
                     "tables; database "
                     "\"" +
                     db.name + "\" has " + std::to_string(tables.size()) + " tables")
              .WithHint(
                  "restore into a new data directory, or use RESTORE DATABASE "
                  "... WITH "
                  "new_db_name");
        }
      }
      for (const auto& db : manifest.databases()) {
        ASSIGN_OR_RETURN(bool exists, ctx.data_dir->HasDatabase(db.name()));
        req.databases.push_back({db.name(), db.name(), exists});
      }
      break;
    }
    case Targets::Kind::kDatabases: {
      if (opts.new_db_name && stmt.targets.databases.size() != 1) {
        return InvalidArgumentError("new_db_name can only be used when restoring one database");
      }
      for (const auto& name : stmt.targets.databases) {
        if (!in_backup.count(name)) {
          return NotFoundError("database \"" + name + "\" is not in backup " +
                               collection::DisplaySubdir(subdir));
        }
        std::string target = opts.new_db_name.value_or(name);
        RETURN_IF_ERROR(DataDir::ValidateDatabaseName(target));
        ASSIGN_OR_RETURN(bool exists, ctx.data_dir->HasDatabase(target));
        if (exists) {
          return AlreadyExistsError("database \"" + target + "\" already exists")
              .WithHint(
                  "drop it first, or restore under another name WITH "
                  "new_db_name = '...'");
        }
        req.databases.push_back({name, target, false});
      }
      break;
    }
    case Targets::Kind::kTables: {
      std::map<std::string, size_t> by_db;
      for (const auto& p : stmt.targets.tables) {
        std::string source = p.database.empty() ? ctx.current_database : p.database;
        const proto::Database* pdb = nullptr;
        for (const auto& db : manifest.databases()) {
          if (db.name() == source) pdb = &db;
        }
        if (!pdb) {
          return NotFoundError("database \"" + source + "\" is not in backup " +
                               collection::DisplaySubdir(subdir));
        }
        if (!by_db.count(source)) {
          by_db[source] = req.tables.size();
          std::string target = opts.into_db.value_or(source);
          ASSIGN_OR_RETURN(bool exists, ctx.data_dir->HasDatabase(target));
          if (!exists) {
            return NotFoundError("database \"" + target + "\" does not exist")
                .WithHint("create it first with CREATE DATABASE " + target +
                          ", or choose another WITH into_db = '...'");
          }
          req.tables.push_back({source, {}, target});
        }
        auto& spec = req.tables[by_db[source]];
        if (p.all_tables) {
          for (const auto& t : pdb->tables()) spec.tables.push_back(t.name());
        } else {
          spec.tables.push_back(p.table);
        }
      }
      for (auto& spec : req.tables) {
        std::set<std::string> uniq(spec.tables.begin(), spec.tables.end());
        spec.tables.assign(uniq.begin(), uniq.end());
      }
      break;
    }
  }
  LiveCounts live;
  uint64_t copied_as_records = 0;
  uint64_t written_as_pages = 0;
  uint64_t database_tables = 0, row_by_row = 0;
  bool through_journal = false;
  ASSIGN_OR_RETURN(ResultSet rs,
                   RunJob(
                       ctx, "RESTORE", DescribeStatement(stmt),
                       [&](int64_t job_id, const std::function<void(double)>& progress,
                           uint64_t* rows, uint64_t* entries, uint64_t* bytes) -> Status {
                         ctx.jobs->SetRunningStatus(job_id, "restoring " + restored).IgnoreError();
                         req.progress = progress;
                         req.stop = ctx.stop;
                         req.live = &live;
                         ASSIGN_OR_RETURN(RestoreResult r, RunRestore(req));
                         ctx.jobs->SetRunningStatus(job_id, "restored " + restored).IgnoreError();
                         *rows = r.rows;
                         *entries = r.index_entries;
                         *bytes = r.bytes;
                         copied_as_records = r.tables_copied_as_records;
                         through_journal = r.copied_through_rollback_journal;
                         written_as_pages = r.tables_written_as_pages;
                         database_tables = r.database_tables;
                         row_by_row = r.database_tables_row_by_row;
                         return Status::OK();
                       },
                       &live));
  rs.notices = std::move(notices);
  rs.notices.push_back(
      {ResultSet::Notice::Severity::kNotice,
       (opts.schema_only ? "restored the schema (no rows) of " : "restored ") + restored});
  if (row_by_row > 0) {
    // Restoring a database writes its tables' b-tree pages directly; say which tables could not
    // be, as they cost more.
    const std::string why =
        " (WITHOUT ROWID tables, generated columns, values only SQLite can order, UTF-16 or "
        "auto_vacuum files)";
    rs.notices.push_back({ResultSet::Notice::Severity::kNotice,
                          row_by_row == database_tables
                              ? "all " + std::to_string(database_tables) +
                                    " tables went in row by row through SQLite" + why
                              : std::to_string(row_by_row) + " of " +
                                    std::to_string(database_tables) +
                                    " tables went in row by row through SQLite" + why +
                                    ", the others as b-tree pages written directly"});
  }
  if (!opts.schema_only && !req.tables.empty()) {
    size_t into = 0;
    for (const auto& spec : req.tables) into += spec.tables.size();
    // How the rows went in: b-tree pages appended to the target's file, whole records copied
    // from a staging file, or row by row.
    const std::string copied = " as whole records (SQLite's transfer from a staging file" +
                               std::string(through_journal ? ", through a rollback journal" : "") +
                               "), the rest row by row";
    std::string how;
    if (written_as_pages > 0) {
      how = std::to_string(written_as_pages) + " of " + std::to_string(into) +
            " tables went into the existing database as b-tree pages appended to its file";
      if (written_as_pages < into) {
        how += "; " + std::to_string(copied_as_records) + " of the other " +
               std::to_string(into - written_as_pages) + copied;
      }
    } else {
      how = std::to_string(copied_as_records) + " of " + std::to_string(into) +
            " tables went into the existing database" + copied;
    }
    rs.notices.push_back({ResultSet::Notice::Severity::kNotice, how});
  }
  return rs;
}

}  // namespace cofre::sql
