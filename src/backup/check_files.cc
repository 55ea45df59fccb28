#include "backup/check_files.h"

#include <set>

namespace cofre {

StatusOr<CheckFilesResult> CheckBackupFiles(const ChainStorage& storage,
                                            const std::vector<proto::BackupManifest>& layers) {
  CheckFilesResult result;
  std::set<std::string> seen;
  // Newest manifest first: it names every file the newest state needs; older ones add the
  // files only older states use.
  for (auto m = layers.rbegin(); m != layers.rend(); ++m) {
    for (const auto& db : m->databases()) {
      for (const auto& table : db.tables()) {
        for (const auto& span : table.spans()) {
          for (const auto& file : span.files()) {
            if (!seen.insert(file.path()).second) continue;
            ++result.files;
            result.file_bytes += file.file_bytes();
            ExternalStorage& where = storage.For(file);
            const std::string what = "backup file " + file.path() + " (table " + db.name() + "." +
                                     table.name() + ", layer " + std::to_string(file.layer()) + ")";
            StatusOr<uint64_t> size = where.Size(file.path());
            if (!size.ok()) {
              if (!IsNotFound(size.status())) return size.status().Annotate(what);
              result.problems.push_back(what + " is missing from " + where.RedactedUri());
            } else if (*size != file.file_bytes()) {
              result.problems.push_back(what + " has " + std::to_string(*size) +
                                        " bytes; the manifest says " +
                                        std::to_string(file.file_bytes()));
            }
          }
        }
      }
    }
  }
  return result;
}

}  // namespace cofre
