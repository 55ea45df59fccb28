// AwsKms: the Kms of an AWS KMS symmetric key, named by a CockroachDB-style URI:
//
//   aws:///<key id | key ARN | alias/name | alias ARN>?REGION=us-east-1
//       &AUTH=specified&AWS_ACCESS_KEY_ID=...&AWS_SECRET_ACCESS_KEY=...[&AWS_SESSION_TOKEN=...]
//       [&AWS_ENDPOINT=http://127.0.0.1:4566]
//   aws:///<key>?REGION=...&AUTH=implicit      credentials from the environment / ~/.aws files
//
// `aws-kms:///` is accepted as a synonym. REGION is required; AUTH defaults to specified;
// unknown and repeated parameters are refused, naming them. The URI is parsed and credentials
// resolved when the object is made; no request is sent until Encrypt/Decrypt.
//
// Encrypt and Decrypt are TrentService.Encrypt / TrentService.Decrypt with base64 Plaintext /
// CiphertextBlob and the EncryptionContext. Decrypt always passes KeyId (the key as the URI
// names it), so AWS refuses a ciphertext that another key made instead of decrypting it with
// whatever key the credentials happen to reach: a URI only ever unlocks what its own key wrapped.
// Encrypt reports the key ARN AWS answers with (KmsCiphertext::key_id).
// Thread-safety: one thread at a time (see kms.h).
#ifndef COFRE_KMS_AWS_KMS_H_
#define COFRE_KMS_AWS_KMS_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kms/aws_kms_client.h"
#include "kms/kms.h"
#include "util/uri.h"

namespace cofre {

// The query parameters an aws:/// KMS URI may carry.
const std::vector<std::string_view>& AwsKmsUriParams();

// What an aws:/// URI says, before credentials are resolved.
struct AwsKmsUri {
  std::string key_id;  // as written in the path, without the leading '/'
  std::string region;
  std::string endpoint;  // AWS_ENDPOINT or empty
  AwsAuthMode auth = AwsAuthMode::kSpecified;
  AwsCredentialParams credentials;
  std::string redacted;  // the URI with secrets hidden
};

// Parses and checks an aws:/// or aws-kms:/// URI. InvalidArgument (showing the URI redacted)
// for another scheme, a missing or malformed key, a missing REGION, or unknown, repeated or
// malformed parameters.
StatusOr<AwsKmsUri> ParseAwsKmsUri(const Uri& uri);

class AwsKms : public Kms {
 public:
  // Parses `uri` and resolves its credentials (kms.h's InvalidArgument / FailedPrecondition).
  static StatusOr<std::unique_ptr<AwsKms>> Open(const Uri& uri, const KmsOptions& options);

  std::string_view Provider() const override { return "aws"; }
  std::string KeyId() const override { return key_id_; }
  std::optional<std::string> CanonicalKeyId() const override;
  std::string RedactedUri() const override { return client_->display(); }
  StatusOr<KmsCiphertext> Encrypt(std::string_view plaintext,
                                  const KmsEncryptionContext& context) override;
  StatusOr<KmsPlaintext> Decrypt(std::string_view ciphertext,
                                 const KmsEncryptionContext& context) override;
  int RequestCount() const override { return client_->request_count(); }

 private:
  AwsKms(std::string key_id, std::unique_ptr<AwsKmsClient> client)
      : key_id_(std::move(key_id)), client_(std::move(client)) {}

  std::string key_id_;
  std::unique_ptr<AwsKmsClient> client_;
};

}  // namespace cofre

#endif  // COFRE_KMS_AWS_KMS_H_
