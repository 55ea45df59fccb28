// `cofre cert`: certificates as `cockroach cert` makes them (server/certs.h).
//
//   cofre cert create-ca     --certs-dir DIR --ca-key FILE [--lifetime DAYS] [--overwrite]
//   cofre cert create-node   HOST... --certs-dir DIR --ca-key FILE [--lifetime DAYS] [--overwrite]
//   cofre cert create-client USER --certs-dir DIR --ca-key FILE [--lifetime DAYS] [--overwrite]
//
// Returns the exit code: 0 on success; 1 with "ERROR: ..." on stderr otherwise.
// Thread-safety: call from the main thread.
#ifndef COFRE_CLI_CERT_COMMAND_H_
#define COFRE_CLI_CERT_COMMAND_H_

#include <string>
#include <vector>

namespace cofre::cli {

int RunCertCommand(const std::vector<std::string>& args);

}  // namespace cofre::cli

#endif  // COFRE_CLI_CERT_COMMAND_H_
