// SCRAM-SHA-256 (RFC 5802, RFC 7677) for password authentication, server side.
//
// A password is stored only as a verifier: "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:
// <ServerKey>" (base64 fields; PostgreSQL's format), from which the password cannot be computed
// without a brute-force search. ScramServer runs one exchange against a verifier:
//   client-first  -> ServerFirst()  -> server-first
//   client-final  -> ServerFinal()  -> server-final (only when the proof is right)
// Channel binding ("tls-server-end-point", SCRAM-SHA-256-PLUS) is checked when the client asks
// for it; a client that says it could bind but the server did not offer ("y") is refused when the
// server did offer, as the RFC requires.
// Errors: InvalidArgument for a malformed message, PermissionDenied (with detail
// kInsufficientPrivilege unset) for a wrong proof. Messages never contain the password.
// Thread-safety: MakeScramVerifier is thread-safe; a ScramServer serves one exchange at a time.
#ifndef COFRE_CRYPTO_SCRAM_H_
#define COFRE_CRYPTO_SCRAM_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace cofre {

// The default PBKDF2 iteration count of new verifiers (PostgreSQL's scram_iterations default).
inline constexpr uint32_t kScramIterations = 4096;

// A new verifier for `password` with a random 16-byte salt.
StatusOr<std::string> MakeScramVerifier(std::string_view password,
                                        uint32_t iterations = kScramIterations);

// A verifier no password matches, the same for the same `seed` (for unknown users, so that an
// unknown user costs the same exchange as a known one and reveals nothing).
std::string MakeDecoyScramVerifier(std::string_view seed);

// True when `text` has the shape of a verifier (every field present and decodable).
bool IsScramVerifier(std::string_view text);

class ScramServer {
 public:
  // `verifier` as made by MakeScramVerifier. `channel_binding` is the tls-server-end-point data
  // of the connection (the hash of the server certificate), empty without TLS.
  ScramServer(std::string verifier, std::string channel_binding);

  // The mechanisms to offer: SCRAM-SHA-256-PLUS first when channel binding is available.
  bool offers_plus() const { return !channel_binding_.empty(); }

  // Handles the client-first message of `mechanism`; returns the server-first message.
  StatusOr<std::string> ServerFirst(std::string_view mechanism, std::string_view client_first);
  // Handles the client-final message; returns the server-final message when the proof is right,
  // PermissionDenied otherwise.
  StatusOr<std::string> ServerFinal(std::string_view client_final);

 private:
  std::string verifier_;
  std::string channel_binding_;
  std::string gs2_header_;
  std::string client_first_bare_;
  std::string server_first_;
  std::string nonce_;
  bool plus_ = false;
  bool started_ = false;
};

}  // namespace cofre

#endif  // COFRE_CRYPTO_SCRAM_H_
