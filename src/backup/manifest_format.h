// Constants of BACKUP_MANIFEST files (docs/format.md §4). Never renumber: these are on disk.
#ifndef COFRE_BACKUP_MANIFEST_FORMAT_H_
#define COFRE_BACKUP_MANIFEST_FORMAT_H_

#include <cstdint>

namespace cofre::manifest_format {

// Plaintext of a manifest file: magic, then the BackupManifest protobuf, then the SHA-256 of
// magic and protobuf (32 bytes). The whole is then encrypted when the chain is.
inline constexpr char kMagic[4] = {'C', 'F', 'M', '1'};
// 1: cofre 0.1-0.6. 2: cofre 0.7 on, whose data files may have DataFile.first_frame_dictionary,
// which older readers would take for corrupt files; they refuse format 2 with "upgrade cofre".
// Readers accept 1 and 2.
inline constexpr uint32_t kFormatVersion = 2;
inline constexpr size_t kMaxManifestBytes = 512u << 20;

}  // namespace cofre::manifest_format

#endif  // COFRE_BACKUP_MANIFEST_FORMAT_H_
