#include "backup/chain_storage.h"

#include <set>

namespace cofre {

Status ChainStorage::Covers(const proto::BackupManifest& manifest,
                            const std::string& display) const {
  std::set<std::string> needed;
  for (const auto& db : manifest.databases()) {
    for (const auto& table : db.tables()) {
      for (const auto& span : table.spans()) {
        for (const auto& file : span.files()) {
          if (!file.locality().empty()) needed.insert(file.locality());
        }
      }
    }
  }
  for (const std::string& locality : needed) {
    if (localities.count(locality)) continue;
    std::string given;
    for (const auto& [name, storage] : localities) given += ", " + name;
    return FailedPreconditionError(
               "backup " + display + " has data files written to locality \"" + locality +
               "\", and no URI of the list holds them (the list has default" + given + ")")
        .WithHint("add the URI those files were written to, e.g. '...?COCKROACH_LOCALITY=" +
                  locality.substr(0, locality.find('=')) + "%3D" +
                  locality.substr(locality.find('=') + 1) +
                  "', to the list; a restore needs every locality the backup used");
  }
  return Status::OK();
}

}  // namespace cofre
