// DataDir: a cofre data directory: the catalog of databases (each one SQLite file; those cofre
// creates are in WAL mode, adopted ones keep the journal mode their application chose),
// the system database (catalog, settings, jobs) and the nodelocal storage root.
//
// Layout:
//   <dir>/system.sqlite            catalog (databases), settings, and tables of upper layers (jobs)
//   <dir>/databases/<id>.sqlite    cofre-created databases (names never appear in file names)
//   <dir>/databases/.staging-*     restores in progress: private, never in the catalog
//   <dir>/extern/                  nodelocal://<node>/ storage root
// The catalog row is the commit point of a database: a file without a row is invisible and is
// removed when the directory is next opened (it is what a killed restore leaves behind).
// Databases that joined with CREATE DATABASE ... FROM FILE stay where they are (external).
// Thread-safety: a DataDir object is used by one thread at a time; several processes may open
// the same directory (SQLite locking keeps the catalog consistent).
#ifndef COFRE_ENGINE_DATA_DIR_H_
#define COFRE_ENGINE_DATA_DIR_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/sqlite.h"
#include "util/status.h"

namespace cofre {

struct DatabaseInfo {
  std::string name;
  std::string path;       // absolute path of the SQLite file
  bool external = false;  // joined with FROM FILE: not owned by cofre
};

class DataDir {
 public:
  // Opens `dir`, creating it with `defaultdb` on first use, and cleans unpublished restores.
  static StatusOr<std::unique_ptr<DataDir>> Open(const std::string& dir);

  const std::string& path() const { return dir_; }
  std::string extern_dir() const { return dir_ + "/extern"; }
  // The system database connection (catalog, settings, jobs).
  const SqliteDb& system() const { return system_; }

  StatusOr<std::vector<DatabaseInfo>> ListDatabases() const;
  // NotFound (naming the database) when absent.
  StatusOr<DatabaseInfo> GetDatabase(const std::string& name) const;
  StatusOr<bool> HasDatabase(const std::string& name) const;
  // Creates an empty database. AlreadyExists when the name is taken.
  StatusOr<DatabaseInfo> CreateDatabase(const std::string& name);
  // Adds an existing SQLite file in place, leaving its settings (journal mode) as they are unless
  // `journal_mode` asks to switch it ("wal", "delete", ...). AlreadyExists / NotFound.
  StatusOr<DatabaseInfo> AttachFile(const std::string& name, const std::string& file,
                                    const std::optional<std::string>& journal_mode = {});
  // Removes a database from the catalog, deleting its file unless external. With cascade false,
  // refuses (FailedPrecondition) when the database has tables.
  Status DropDatabase(const std::string& name, bool cascade);

  // A fresh private path to build a database file in (for restore).
  StatusOr<std::string> NewStagingPath() const;
  // A complete, synced staging file to publish as database `name`. With `replace`, an existing
  // database of that name (an empty one a cluster restore replaces) is dropped in the same
  // catalog transaction; otherwise an existing name is AlreadyExists.
  struct Publication {
    std::string name;
    std::string staging_path;
    bool replace = false;
  };
  // Publishes all of `pubs` in one catalog transaction: all become visible, or none.
  Status PublishDatabases(const std::vector<Publication>& pubs);

  // Names of user tables (not sqlite_*) in a database file, in schema order.
  static StatusOr<std::vector<std::string>> ListTables(const SqliteDb& db,
                                                       const std::string& schema = "main");

  StatusOr<std::optional<std::string>> GetSetting(const std::string& key) const;
  Status SetSetting(const std::string& key, const std::string& value);
  // The data directory's id: 32 random hex digits, created on first use (setting
  // "data_dir_id"). It tells this directory's unfinished backups from others' in a shared
  // collection. Processes racing to create it agree on the first one stored.
  StatusOr<std::string> Id();

  // NotFound when the file of `db` has gone (an external file deleted behind cofre's back):
  // opening it would silently create an empty database.
  static Status CheckFileExists(const DatabaseInfo& db);

  // Valid database names: letters, digits and '_' (not starting with a digit), at most 63
  // characters, not a reserved SQLite schema name (main, temp).
  static Status ValidateDatabaseName(const std::string& name);

 private:
  DataDir(std::string dir, SqliteDb system) : dir_(std::move(dir)), system_(std::move(system)) {}
  Status Init();
  Status RemoveUnpublishedFiles();
  Status RemoveUnpublishedFilesLocked();  // the catalog's write lock held
  std::string NewDatabaseFilePath() const;

  std::string dir_;
  SqliteDb system_;
};

// Opens a connection to a file cofre owns, with cofre's settings (busy timeout; WAL for new
// files, while a file restored with a rollback journal keeps it).
StatusOr<SqliteDb> OpenDatabaseFile(const std::string& path);
// Opens a connection to a database of the catalog: cofre's settings for the files it owns; for
// an adopted (external) file a plain connection that changes none of the file's settings.
StatusOr<SqliteDb> OpenDatabase(const DatabaseInfo& info);

}  // namespace cofre

#endif  // COFRE_ENGINE_DATA_DIR_H_
