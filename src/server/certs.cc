#include "server/certs.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>

namespace cofre::server {

namespace {

namespace fs = std::filesystem;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;

Status SslError(const std::string& what) {
  unsigned long e = ERR_get_error();
  char buf[256] = "unknown error";
  if (e) ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return InternalError(what + ": " + buf);
}

Status CheckTarget(const std::string& path, bool overwrite) {
  std::error_code ec;
  if (!overwrite && fs::exists(path, ec)) {
    return AlreadyExistsError(path + " already exists; remove it or pass --overwrite");
  }
  return Status::OK();
}

// Writes PEM through `write` into `path` (mode 0600 for keys, 0644 for certificates).
template <typename F>
Status WritePem(const std::string& path, mode_t mode, F write) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return PermissionDeniedError("cannot write " + path);
  FILE* f = ::fdopen(fd, "w");
  bool ok = f && write(f) == 1;
  if (f) ok = (std::fflush(f) == 0) && (::fsync(fd) == 0) && ok, std::fclose(f);
  if (!ok) {
    ::unlink(tmp.c_str());
    return SslError("cannot write " + path);
  }
  ::chmod(tmp.c_str(), mode);
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return PermissionDeniedError("cannot write " + path);
  return Status::OK();
}

StatusOr<Pkey> NewKey() {
  Pkey key(EVP_EC_gen("P-256"));
  if (!key) return SslError("cannot generate a key");
  return key;
}

StatusOr<Pkey> ReadKey(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f)
    return NotFoundError("cannot read the CA key " + path +
                         " (create it with cofre cert create-ca)");
  Pkey key(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  if (!key) return SslError("cannot parse the CA key " + path);
  return key;
}

StatusOr<Cert> ReadCert(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "r");
  if (!f) return NotFoundError("cannot read " + path + " (create it with cofre cert create-ca)");
  Cert c(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  if (!c) return SslError("cannot parse " + path);
  return c;
}

Status AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return SslError("cannot build certificate extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return Status::OK();
}

// A certificate for `key` named `cn`, valid for `days`, signed by (issuer, issuer_key); self-
// signed when issuer is null.
StatusOr<Cert> MakeCert(EVP_PKEY* key, const std::string& cn, int days, X509* issuer,
                        EVP_PKEY* issuer_key, bool ca, const std::vector<std::string>& hosts,
                        bool server, bool client) {
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof(serial));
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  // Valid from an hour ago, to tolerate clock skew between machines.
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 86400);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("cofre"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  if (ca) {
    RETURN_IF_ERROR(AddExt(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE"));
    RETURN_IF_ERROR(AddExt(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign"));
  } else {
    RETURN_IF_ERROR(AddExt(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE"));
    RETURN_IF_ERROR(
        AddExt(cert.get(), signer, NID_key_usage, "critical,digitalSignature,keyEncipherment"));
    std::string eku = server && client ? "serverAuth,clientAuth"
                      : server         ? "serverAuth"
                                       : "clientAuth";
    RETURN_IF_ERROR(AddExt(cert.get(), signer, NID_ext_key_usage, eku));
  }
  if (!hosts.empty()) {
    std::string san;
    for (const auto& h : hosts) {
      unsigned char buf[16];
      bool ip = inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
      san += (san.empty() ? "" : ",") + std::string(ip ? "IP:" : "DNS:") + h;
    }
    RETURN_IF_ERROR(AddExt(cert.get(), signer, NID_subject_alt_name, san));
  }
  if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) == 0) {
    return SslError("cannot sign the certificate");
  }
  return cert;
}

Status WritePair(const std::string& crt, const std::string& key_path, X509* cert, EVP_PKEY* key) {
  RETURN_IF_ERROR(WritePem(key_path, 0600, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  }));
  return WritePem(crt, 0644, [&](FILE* f) { return PEM_write_X509(f, cert); });
}

Status CreateSigned(const CertOptions& o, const std::string& base, const std::string& cn,
                    const std::vector<std::string>& hosts, bool server, bool client) {
  if (o.certs_dir.empty()) return InvalidArgumentError("--certs-dir is required");
  if (o.ca_key.empty()) return InvalidArgumentError("--ca-key is required");
  const std::string crt = o.certs_dir + "/" + base + ".crt",
                    key_path = o.certs_dir + "/" + base + ".key";
  RETURN_IF_ERROR(CheckTarget(crt, o.overwrite));
  RETURN_IF_ERROR(CheckTarget(key_path, o.overwrite));
  ASSIGN_OR_RETURN(Cert ca, ReadCert(o.certs_dir + "/ca.crt"));
  ASSIGN_OR_RETURN(Pkey ca_key, ReadKey(o.ca_key));
  if (X509_check_private_key(ca.get(), ca_key.get()) != 1) {
    return InvalidArgumentError(o.ca_key + " is not the key of " + o.certs_dir + "/ca.crt");
  }
  ASSIGN_OR_RETURN(Pkey key, NewKey());
  ASSIGN_OR_RETURN(Cert cert, MakeCert(key.get(), cn, o.lifetime_days ? o.lifetime_days : 1825,
                                       ca.get(), ca_key.get(), false, hosts, server, client));
  return WritePair(crt, key_path, cert.get(), key.get());
}

}  // namespace

Status CreateCa(const CertOptions& o) {
  if (o.certs_dir.empty()) return InvalidArgumentError("--certs-dir is required");
  if (o.ca_key.empty()) return InvalidArgumentError("--ca-key is required");
  const std::string crt = o.certs_dir + "/ca.crt";
  RETURN_IF_ERROR(CheckTarget(crt, o.overwrite));
  RETURN_IF_ERROR(CheckTarget(o.ca_key, o.overwrite));
  ASSIGN_OR_RETURN(Pkey key, NewKey());
  ASSIGN_OR_RETURN(
      Cert cert, MakeCert(key.get(), "cofre CA", o.lifetime_days ? o.lifetime_days : 3650, nullptr,
                          nullptr, true, {}, false, false));
  return WritePair(crt, o.ca_key, cert.get(), key.get());
}

Status CreateNodeCert(const CertOptions& o, const std::vector<std::string>& hosts) {
  if (hosts.empty())
    return InvalidArgumentError("create-node needs at least one host name or address");
  // As CockroachDB's node certificates: usable as server and as client ("node" user).
  return CreateSigned(o, "node", "node", hosts, true, true);
}

Status CreateClientCert(const CertOptions& o, const std::string& user) {
  if (user.empty()) return InvalidArgumentError("create-client needs a user name");
  return CreateSigned(o, "client." + user, user, {}, false, true);
}

}  // namespace cofre::server
