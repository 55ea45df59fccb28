#include "jobs/node_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "crypto/aes_gcm.h"
#include "crypto/kdf.h"
#include "crypto/random.h"
#include "util/file_util.h"

namespace cofre {

namespace {

constexpr char kFileName[] = "node.key";

StatusOr<SecretBytes> ReadKey(const std::string& path) {
  ASSIGN_OR_RETURN(ScopedFd fd, OpenFile(path, O_RDONLY | O_NOFOLLOW, 0, path));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return ErrnoToStatus(errno, "stat " + path);
  if ((st.st_mode & 077) != 0) {
    return PermissionDeniedError(path + " is readable by other users than its owner; it must " +
                                 "have mode 0600 (chmod 600 " + path + ")");
  }
  if (st.st_size != static_cast<off_t>(AesGcm::kKeySize)) {
    return DataLossError(path + " is not a cofre node key (it must hold 32 bytes)");
  }
  SecretBytes key(AesGcm::kKeySize);
  ASSIGN_OR_RETURN(size_t n, PreadFully(fd.get(), 0, reinterpret_cast<char*>(key.mutable_data()),
                                        key.size(), path));
  if (n != key.size()) return DataLossError(path + " is not a cofre node key (short read)");
  return key;
}

}  // namespace

StatusOr<NodeKey> NodeKey::LoadOrCreate(const std::string& data_dir) {
  const std::string path = data_dir + "/" + kFileName;
  if (::access(path.c_str(), F_OK) == 0) {
    ASSIGN_OR_RETURN(SecretBytes key, ReadKey(path));
    return NodeKey(std::move(key));
  }
  ASSIGN_OR_RETURN(SecretBytes key, RandomSecret(AesGcm::kKeySize));
  // Written under a temporary name and linked into place, so that a concurrent creator or a
  // crash never leaves a short key behind; the first creator wins.
  ASSIGN_OR_RETURN(std::string suffix, RandomHex(8));
  const std::string tmp = path + ".tmp-" + suffix;
  {
    ASSIGN_OR_RETURN(ScopedFd fd, OpenFile(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600, tmp));
    Status st = WriteFully(fd.get(), reinterpret_cast<const char*>(key.data()), key.size(), tmp);
    if (st.ok()) st = SyncFd(fd.get(), tmp);
    if (st.ok()) st = fd.Close(tmp);
    if (!st.ok()) {
      ::unlink(tmp.c_str());
      return st;
    }
  }
  int rc = ::link(tmp.c_str(), path.c_str());
  int err = errno;
  ::unlink(tmp.c_str());
  if (rc != 0 && err != EEXIST) return ErrnoToStatus(err, "create " + path);
  RETURN_IF_ERROR(SyncDir(data_dir, data_dir));
  ASSIGN_OR_RETURN(SecretBytes stored, ReadKey(path));
  return NodeKey(std::move(stored));
}

StatusOr<std::string> NodeKey::Seal(std::string_view plaintext, std::string_view purpose) const {
  ASSIGN_OR_RETURN(AesGcm gcm, AesGcm::New(key_.view()));
  std::string out(AesGcm::kNonceSize + plaintext.size() + AesGcm::kTagSize, '\0');
  uint8_t* p = reinterpret_cast<uint8_t*>(out.data());
  RETURN_IF_ERROR(FillRandom(p, AesGcm::kNonceSize));
  RETURN_IF_ERROR(gcm.Seal(p, purpose, reinterpret_cast<const uint8_t*>(plaintext.data()),
                           plaintext.size(), p + AesGcm::kNonceSize,
                           p + AesGcm::kNonceSize + plaintext.size()));
  return out;
}

StatusOr<SecretBytes> NodeKey::Derive(std::string_view purpose) const {
  return Hkdf(key_.view(), "", purpose, 32);
}

StatusOr<std::string> NodeKey::Open(std::string_view sealed, std::string_view purpose) const {
  if (sealed.size() < AesGcm::kNonceSize + AesGcm::kTagSize) {
    return DataLossError("a sealed job secret is truncated");
  }
  const size_t len = sealed.size() - AesGcm::kNonceSize - AesGcm::kTagSize;
  ASSIGN_OR_RETURN(AesGcm gcm, AesGcm::New(key_.view()));
  const uint8_t* p = reinterpret_cast<const uint8_t*>(sealed.data());
  std::string out(len, '\0');
  Status st = gcm.Open(p, purpose, p + AesGcm::kNonceSize, len, p + AesGcm::kNonceSize + len,
                       reinterpret_cast<uint8_t*>(out.data()));
  if (!st.ok()) {
    return DataLossError("a sealed job secret does not open under this data directory's " +
                         std::string("node.key (the key was replaced, or the record altered)"));
  }
  return out;
}

}  // namespace cofre
