// Certificates for TLS, as `cockroach cert` makes them: a CA, node certificates (server) and
// client certificates (CN = user name), ECDSA P-256 keys, in a certs directory:
//   ca.crt, node.crt + node.key, client.<user>.crt + client.<user>.key
// The CA key lives where --ca-key says (outside the certs directory, ideally). Keys are
// written with mode 0600 and never overwritten unless `overwrite`.
// Thread-safety: functions of the file system.
#ifndef COFRE_SERVER_CERTS_H_
#define COFRE_SERVER_CERTS_H_

#include <string>
#include <vector>

#include "util/status.h"

namespace cofre::server {

struct CertOptions {
  std::string certs_dir;
  std::string ca_key;      // path of the CA's private key
  int lifetime_days = 0;   // 0: 3650 for a CA, 1825 for node and client certificates
  bool overwrite = false;  // replace existing files
};

// Creates ca.crt in certs_dir and the CA key at ca_key.
Status CreateCa(const CertOptions& o);
// Creates node.crt/node.key for `hosts` (DNS names or IP addresses), signed by the CA.
Status CreateNodeCert(const CertOptions& o, const std::vector<std::string>& hosts);
// Creates client.<user>.crt/.key with CN = user, signed by the CA.
Status CreateClientCert(const CertOptions& o, const std::string& user);

}  // namespace cofre::server

#endif  // COFRE_SERVER_CERTS_H_
