// Kms: a key management service holding one master key that encrypts and decrypts small
// secrets (a backup chain's data key) without ever revealing the master key (envelope
// encryption, docs/architecture.md §4). One implementation per URI scheme: aws:/// and aws-kms:///
// today (aws_kms.h); GCP, Azure and KMIP slot in behind the same interface and OpenKms().
//
// Contract of every implementation:
//   - Encrypt binds the ciphertext to `context`; Decrypt succeeds only with the same context and
//     only when this object's master key made the ciphertext.
//   - Errors name the KMS URI redacted (RedactedUri()), never a credential or key byte, and use:
//       InvalidArgument     malformed URI or request;
//       NotFound            the master key does not exist (in that region);
//       FailedPrecondition  the master key exists but cannot be used (disabled, pending deletion,
//                           not a symmetric encryption key);
//       PermissionDenied    this master key cannot decrypt this ciphertext: another key made it,
//                           it is corrupt, its context differs, or the key's policy refuses;
//       Unauthenticated     the KMS rejected the credentials themselves (callers show it to users
//                           as PermissionDenied, docs/architecture.md §5);
//       Unavailable         unreachable, throttled or failing after retries.
//   - Plaintext returned by Decrypt is held in a KmsPlaintext, which wipes it; every
//     intermediate buffer (request and response bodies) is wiped before returning.
// Thread-safety: a Kms object is used by one thread at a time; distinct objects are independent.
#ifndef COFRE_KMS_KMS_H_
#define COFRE_KMS_KMS_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/aws_credentials.h"
#include "util/retry.h"
#include "util/status.h"

namespace cofre {

// Name/value pairs bound to a ciphertext (AWS KMS EncryptionContext): authenticated, not secret.
using KmsEncryptionContext = std::map<std::string, std::string>;

// Key material a KMS decrypted. Move-only; its buffer is wiped (OPENSSL_cleanse) on destruction
// and before being assigned over. Copy the bytes out with view() and wipe that copy too.
class KmsPlaintext {
 public:
  KmsPlaintext() = default;
  // Takes `bytes`; the caller's moved-from string is left empty.
  explicit KmsPlaintext(std::string&& bytes);
  ~KmsPlaintext();
  KmsPlaintext(KmsPlaintext&& other) noexcept;
  KmsPlaintext& operator=(KmsPlaintext&& other) noexcept;
  KmsPlaintext(const KmsPlaintext&) = delete;
  KmsPlaintext& operator=(const KmsPlaintext&) = delete;

  std::string_view view() const { return bytes_; }
  size_t size() const { return bytes_.size(); }

 private:
  void Wipe();
  std::string bytes_;
};

// The result of Encrypt: the KMS's opaque ciphertext and the canonical id of the master key
// that made it, as the KMS reports it (for AWS the key ARN, whichever alias or id the URI used).
struct KmsCiphertext {
  std::string blob;
  std::string key_id;
};

class Kms {
 public:
  virtual ~Kms() = default;

  // The provider, the same for every URI spelling of it: "aws" for aws:/// and aws-kms:///.
  virtual std::string_view Provider() const = 0;
  // The master key as the URI names it (an id, an ARN or an alias); not secret.
  virtual std::string KeyId() const = 0;
  // The canonical id Encrypt would report, when the URI already gives it (an AWS key ARN);
  // nullopt when only the KMS can tell (a bare key id or an alias).
  virtual std::optional<std::string> CanonicalKeyId() const = 0;
  // The URI with credentials redacted: safe for messages, logs and job records.
  virtual std::string RedactedUri() const = 0;

  // Encrypts `plaintext` (at most 4096 bytes) under the master key, bound to `context`.
  virtual StatusOr<KmsCiphertext> Encrypt(std::string_view plaintext,
                                          const KmsEncryptionContext& context) = 0;
  // Decrypts a ciphertext this master key made under the same `context`.
  virtual StatusOr<KmsPlaintext> Decrypt(std::string_view ciphertext,
                                         const KmsEncryptionContext& context) = 0;
  // Requests sent to the KMS so far, retries included (for tests and measurements).
  virtual int RequestCount() const = 0;
};

// Retries of KMS requests: throttling and 5xx for up to ~30 s (a KMS call is small; a backup
// should not hang on it).
RetrySettings DefaultKmsRetrySettings();

// Options of OpenKms; the defaults are what production uses.
struct KmsOptions {
  RetrySettings retry = DefaultKmsRetrySettings();
  EnvLookup env = ProcessEnvironment();  // for AUTH=implicit
};

// The URI schemes OpenKms knows, e.g. {"aws", "aws-kms"}.
const std::vector<std::string_view>& SupportedKmsSchemes();

// Opens the KMS a URI names, dispatching by scheme. InvalidArgument for an unknown scheme
// (naming the supported ones) or a malformed URI (shown redacted). Opening sends no request.
StatusOr<std::unique_ptr<Kms>> OpenKms(std::string_view uri, const KmsOptions& options = {});

}  // namespace cofre

#endif  // COFRE_KMS_KMS_H_
