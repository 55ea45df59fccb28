// AWS credentials and where they come from: AUTH=specified (values given in a URI) or
// AUTH=implicit (the environment and the shared ~/.aws files, as the AWS CLI finds them).
//
// Shared by S3 storage (s3://...?AWS_ACCESS_KEY_ID=...) and AWS KMS (aws:///...); callers pass
// the values they parsed, not the URI, plus the URI already redacted for messages. Errors name
// the variables, files and profiles tried, never a credential value.
// Thread-safety: free functions; reentrant. Reading the process environment while another
// thread calls setenv() is unsafe, as always.
#ifndef COFRE_UTIL_AWS_CREDENTIALS_H_
#define COFRE_UTIL_AWS_CREDENTIALS_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "util/status.h"

namespace cofre {

// A key pair plus an optional session token. The secret and token are wiped on destruction.
struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty when the credentials are long-term

  AwsCredentials() = default;
  AwsCredentials(std::string id, std::string secret, std::string token = "")
      : access_key_id(std::move(id)),
        secret_access_key(std::move(secret)),
        session_token(std::move(token)) {}
  AwsCredentials(const AwsCredentials&) = default;
  AwsCredentials(AwsCredentials&&) = default;
  AwsCredentials& operator=(const AwsCredentials&) = default;
  AwsCredentials& operator=(AwsCredentials&&) = default;
  ~AwsCredentials();
};

enum class AwsAuthMode { kSpecified, kImplicit };

// Parses the AUTH parameter: absent, "" or "specified" is kSpecified, "implicit" is kImplicit
// (case-insensitive). InvalidArgument otherwise, naming `redacted_uri`.
StatusOr<AwsAuthMode> ParseAwsAuthMode(const std::optional<std::string>& value,
                                       std::string_view redacted_uri);

// Looks up an environment variable. Tests pass their own; production uses ProcessEnvironment().
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup ProcessEnvironment();

// Credential values given explicitly (e.g. the AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN URI parameters).
struct AwsCredentialParams {
  std::optional<std::string> access_key_id;
  std::optional<std::string> secret_access_key;
  std::optional<std::string> session_token;
};

// kSpecified: `given` must hold a non-empty key id and secret (InvalidArgument naming the
// missing parameter otherwise). kImplicit: `given` must be empty (InvalidArgument otherwise) and
// the credentials come from LoadImplicitAwsCredentials(env).
StatusOr<AwsCredentials> ResolveAwsCredentials(AwsAuthMode mode, const AwsCredentialParams& given,
                                               std::string_view redacted_uri,
                                               const EnvLookup& env = ProcessEnvironment());

// The AWS CLI's order: the variables AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
// AWS_SESSION_TOKEN; then profile AWS_PROFILE (default "default") in the shared credentials file
// (AWS_SHARED_CREDENTIALS_FILE, default $HOME/.aws/credentials); then that profile in the config
// file (AWS_CONFIG_FILE, default $HOME/.aws/config, section "[profile NAME]" or "[default]").
// FailedPrecondition naming everything tried when nothing is found, or when a source is
// half-filled (a key id without its secret) or unreadable.
StatusOr<AwsCredentials> LoadImplicitAwsCredentials(const EnvLookup& env = ProcessEnvironment());

// The region from AWS_REGION, then AWS_DEFAULT_REGION, then the profile's `region` in the
// config file; nullopt when none is set.
std::optional<std::string> ImplicitAwsRegion(const EnvLookup& env = ProcessEnvironment());

}  // namespace cofre

#endif  // COFRE_UTIL_AWS_CREDENTIALS_H_
