#include "sql/alter_backup.h"

#include <memory>
#include <string>

#include "backup/chain_keys.h"
#include "backup/collection.h"
#include "backup/locality.h"
#include "storage/storage_factory.h"

namespace cofre::sql {
namespace {

Status ApplyCommand(const AlterBackupCommand& cmd, const std::string& backup,
                    EncryptionInfo* info) {
  if (cmd.old_kms.empty() || cmd.kms.empty()) {
    return InvalidArgumentError("ALTER BACKUP needs a KMS URI on both sides of each command");
  }
  ASSIGN_OR_RETURN(ChainKey key, UnwrapWithKms(*info, cmd.old_kms, backup));
  switch (cmd.kind) {
    case AlterBackupCommand::Kind::kAddKms:
      return WrapWithKms(info, key, cmd.kms);
    case AlterBackupCommand::Kind::kDropKms:
      for (const std::string& uri : cmd.kms) {
        RETURN_IF_ERROR(RemoveKmsEntry(info, uri, backup));
      }
      if (info->keys_size() == 0) {
        return FailedPreconditionError("refusing to drop the last key of backup " + backup +
                                       ": nothing could decrypt it afterwards")
            .WithHint(
                "add the key that replaces it first: ALTER BACKUP ... ADD NEW_KMS = "
                "'<new uri>' WITH OLD_KMS = '<current uri>'");
      }
      return Status::OK();
  }
  return InternalError("unknown ALTER BACKUP command");
}

}  // namespace

StatusOr<ResultSet> ExecuteAlterBackup(const ExecContext& ctx, const AlterBackup& stmt) {
  // A locality-aware list: ENCRYPTION-INFO is in the default URI.
  ASSIGN_OR_RETURN(std::vector<LocalityUri> list,
                   ParseLocalityUris(stmt.in, /*require_labels=*/false));
  ASSIGN_OR_RETURN(auto storage,
                   OpenExternalStorage(list[0].uri, StorageContext{ctx.data_dir->extern_dir()}));
  ASSIGN_OR_RETURN(
      std::string subdir,
      collection::ResolveFullBackup(*storage, stmt.backup.latest ? "LATEST" : stmt.backup.subdir));
  const std::string backup = collection::DisplaySubdir(subdir) + " in " + storage->RedactedUri();
  StatusOr<EncryptionInfo> read = ReadEncryptionInfo(*storage, subdir);
  if (!read.ok()) {
    if (IsNotFound(read.status())) {
      return FailedPreconditionError("backup " + backup +
                                     " is not encrypted; ALTER BACKUP changes the KMS keys of "
                                     "KMS-encrypted backups");
    }
    return read.status();
  }
  EncryptionInfo info = std::move(*read);
  if (!HasKmsEntry(info)) {
    return FailedPreconditionError("backup " + backup +
                                   " is encrypted with a passphrase, not with KMS; ALTER BACKUP "
                                   "changes the KMS keys of KMS-encrypted backups");
  }
  const uint64_t version = info.version();
  for (const AlterBackupCommand& cmd : stmt.commands) {
    RETURN_IF_ERROR(ApplyCommand(cmd, backup, &info));
  }
  BumpVersion(&info);
  RETURN_IF_ERROR(WriteEncryptionInfo(*storage, subdir, info, version));
  ResultSet rs;
  rs.tag = "ALTER BACKUP";
  return rs;
}

}  // namespace cofre::sql
