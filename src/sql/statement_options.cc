#include "sql/statement_options.h"

#include <set>

#include "sql/as_of_time.h"

namespace cofre::sql {

namespace {

const char* ContextName(OptionContext c) {
  switch (c) {
    case OptionContext::kBackup:
      return "BACKUP";
    case OptionContext::kRestore:
      return "RESTORE";
    case OptionContext::kShowBackup:
      return "SHOW BACKUP";
  }
  return "";
}

StatusOr<std::string> OneString(const Option& o) {
  if (o.kind != Option::Kind::kString) {
    return InvalidArgumentError("option " + o.name + " takes one string value, e.g. " + o.name +
                                " = '...'");
  }
  return o.values[0];
}

// A name: 'name' or, as CockroachDB also takes it, a bare identifier (new_db_name = new_movr).
StatusOr<std::string> NameValue(const Option& o) {
  if (o.kind == Option::Kind::kWord && !o.values[0].empty() &&
      !std::isdigit(static_cast<unsigned char>(o.values[0][0])) && o.values[0][0] != '-') {
    return o.values[0];
  }
  return OneString(o);
}

// CockroachDB options cofre does not offer, and why; refused with SQLSTATE 0A000.
std::optional<std::string> Unsupported(const std::string& name, OptionContext context) {
  if (name == "revision_history") {
    return "cofre keeps no point-in-time history of rows (SQLite has no MVCC); take incremental "
           "backups, each of which restores to its own end time";
  }
  if (context == OptionContext::kRestore) {
    if (name == "experimental copy" || name == "experimental deferred copy") {
      return "cofre has one way to restore: it writes each database's SQLite file from the "
             "backup's sorted data files (docs/performance.md)";
    }
    if (name == "grants") return "cofre backups carry no users or grants";
    if (name == "remove_regions" || name == "skip_localities_check") {
      return "cofre databases have no regions";
    }
  }
  if (context == OptionContext::kShowBackup) {
    if (name == "privileges") {
      return "cofre backups carry no grants or owners (they live in the system database, which "
             "BACKUP does not copy); SHOW GRANTS lists them on the running node";
    }
    if (name == "debug_ids") {
      return "cofre objects have no descriptor IDs; SHOW BACKUP names databases and tables";
    }
    if (name == "encryption_info_dir") {
      return "cofre keeps a chain's ENCRYPTION-INFO with its full backup and finds it there, "
             "also for incrementals in an incremental_location";
    }
  }
  if (name == "include_all_virtual_clusters" || name == "include_all_secondary_tenants" ||
      name == "virtual_cluster" || name == "virtual_cluster_name" || name == "tenant" ||
      name == "tenant_name") {
    return "cofre has no virtual clusters";
  }
  if (name == "execution locality") return "cofre runs one node";
  return std::nullopt;
}

// `name`, `name = true` or `name = false`.
StatusOr<bool> Flag(const Option& o) {
  if (o.kind == Option::Kind::kFlag) return true;
  if (o.kind == Option::Kind::kWord && (o.values[0] == "true" || o.values[0] == "false")) {
    return o.values[0] == "true";
  }
  return InvalidArgumentError("option " + o.name + " takes true or false, e.g. " + o.name +
                              " = true");
}

}  // namespace

StatusOr<StatementOptions> ValidateOptions(const std::vector<Option>& options,
                                           OptionContext context) {
  StatementOptions out;
  std::set<std::string> seen;
  const std::string where = ContextName(context);
  for (const auto& o : options) {
    if (!seen.insert(o.name).second) {
      return InvalidArgumentError("option " + o.name + " is specified more than once");
    }
    if (o.name == "encryption_passphrase") {
      ASSIGN_OR_RETURN(std::string pw, OneString(o));
      if (pw.empty()) return InvalidArgumentError("encryption_passphrase must not be empty");
      out.keys.passphrase = std::move(pw);
    } else if (o.name == "kms") {
      if (o.kind != Option::Kind::kString && o.kind != Option::Kind::kStringList) {
        return InvalidArgumentError(
            "option kms takes a URI or a list of URIs, e.g. kms = "
            "('aws:///key1?REGION=us-east-1', 'aws:///key2?...')");
      }
      out.keys.kms_uris = o.values;
    } else if (o.name == "new_db_name" && context == OptionContext::kRestore) {
      ASSIGN_OR_RETURN(out.new_db_name, NameValue(o));
    } else if (o.name == "into_db" && context == OptionContext::kRestore) {
      ASSIGN_OR_RETURN(out.into_db, NameValue(o));
    } else if (o.name == "skip_missing_foreign_keys" && context == OptionContext::kRestore) {
      // SQLite checks foreign keys only when enabled on a connection, never at
      // restore: the option's effect (restoring despite missing referenced
      // tables) is what cofre always does.
    } else if (o.name == "allow_older" && context != OptionContext::kBackup) {
      ASSIGN_OR_RETURN(out.allow_older, Flag(o));
    } else if (o.name == "check_files" && context == OptionContext::kShowBackup) {
      ASSIGN_OR_RETURN(out.check_files, Flag(o));
    } else if (o.name == "schema_only" && context == OptionContext::kRestore) {
      ASSIGN_OR_RETURN(out.schema_only, Flag(o));
    } else if (o.name == "verify_backup_table_data" && context == OptionContext::kRestore) {
      ASSIGN_OR_RETURN(out.verify_backup_table_data, Flag(o));
    } else if (o.name == "incremental_location") {
      if (o.kind == Option::Kind::kStringList && o.values.size() > 1) {
        return InvalidArgumentError(
            "incremental_location takes one URI; a list of locality-aware URIs is not "
            "supported: locality-aware incrementals go under incrementals/ of each URI of "
            "the collection list (BACKUP INTO LATEST IN ('...default', '...'))");
      }
      ASSIGN_OR_RETURN(out.incremental_location, OneString(o));
    } else if (o.name == "snapshot_timeout" && context == OptionContext::kBackup) {
      ASSIGN_OR_RETURN(std::string text, OneString(o));
      auto micros = ParseDurationMicros(text);
      if (!micros.ok() || *micros < 1000 || *micros > 24 * 3600e6) {
        return InvalidArgumentError(
            "snapshot_timeout takes a duration between 1ms and 24h, e.g. snapshot_timeout = "
            "'30s'");
      }
      out.snapshot_timeout = std::chrono::milliseconds(*micros / 1000);
    } else if (o.name == "as_json" && context == OptionContext::kShowBackup) {
      ASSIGN_OR_RETURN(out.as_json, Flag(o));
    } else if (o.name == "revision_history" && context == OptionContext::kBackup &&
               o.kind == Option::Kind::kWord && o.values[0] == "false") {
      // revision_history = false: what cofre always does
    } else if (std::optional<std::string> why = Unsupported(o.name, context)) {
      return UnimplementedError(where + " option " + o.name + " is not supported: " + *why);
    } else if (o.name == "detached" && context != OptionContext::kShowBackup) {
      ASSIGN_OR_RETURN(out.detached, Flag(o));
    } else {
      return InvalidArgumentError("unknown " + where + " option \"" + o.name + "\"");
    }
  }
  if (out.verify_backup_table_data && !out.schema_only) {
    return InvalidArgumentError(
        "verify_backup_table_data requires schema_only: RESTORE ... WITH schema_only, "
        "verify_backup_table_data reads and checks all data without restoring it");
  }
  if (out.keys.passphrase && !out.keys.kms_uris.empty()) {
    return InvalidArgumentError(
        "encryption_passphrase and kms cannot be used together; choose one");
  }
  return out;
}

}  // namespace cofre::sql
