// AzureTokenSource: OAuth2 access tokens for Azure Storage from Microsoft Entra ID (Azure AD),
// with the client-credentials grant (a service principal's client id and secret).
//
// Token() POSTs grant_type=client_credentials, client_id, client_secret and
// scope=https://storage.azure.com/.default to <authority>/<tenant>/oauth2/v2.0/token and caches
// the access token until five minutes before its expires_in (at least 30 s). Network errors,
// 5xx and 429 are Unavailable, for the caller's retry loop (AzureBlobClient requests a token
// inside each attempt, so they are retried with its RetrySettings); a refused client (4xx:
// invalid_client, unauthorized_client, invalid tenant, ...) is PermissionDenied at once naming the
// OAuth2 error code, never the secret. A response without an access_token is Unavailable.
// Thread-safety: thread-safe; concurrent Token() calls share one refresh.
#ifndef COFRE_STORAGE_AZURE_TOKEN_H_
#define COFRE_STORAGE_AZURE_TOKEN_H_

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "util/http_client.h"
#include "util/status.h"

namespace cofre {

struct AzureAdConfig {
  // "scheme://host[:port]" of the identity platform, e.g. https://login.microsoftonline.com.
  std::string authority_host;
  std::string tenant_id;
  std::string client_id;
  std::string client_secret;  // wiped on destruction of the token source
  std::string scope = "https://storage.azure.com/.default";
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds stall_timeout{60'000};
  std::string ca_file;  // HttpRequest::ca_file
  std::string display;  // the redacted storage URI, for messages
};

class AzureTokenSource {
 public:
  // InvalidArgument for an empty tenant, client id or secret, or a malformed authority host.
  static StatusOr<std::shared_ptr<AzureTokenSource>> New(AzureAdConfig config);
  ~AzureTokenSource();

  // A valid access token (cached or freshly requested).
  StatusOr<std::string> Token();

 private:
  explicit AzureTokenSource(AzureAdConfig config) : config_(std::move(config)) {}
  // One token request, without retries.
  Status RequestOnce(std::string* token, std::chrono::seconds* lifetime);

  AzureAdConfig config_;
  std::string url_;
  HttpClientPool pool_{1};
  std::mutex mu_;
  std::string token_;
  std::chrono::steady_clock::time_point refresh_at_;
};

}  // namespace cofre

#endif  // COFRE_STORAGE_AZURE_TOKEN_H_
