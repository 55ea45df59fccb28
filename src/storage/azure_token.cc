#include "storage/azure_token.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <charconv>

#include "util/json.h"
#include "util/uri.h"

namespace cofre {
namespace {

void Wipe(std::string* s) {
  OPENSSL_cleanse(s->data(), s->size());
  s->clear();
}

bool ValidIdPart(const std::string& s) {
  return !s.empty() && s.find_first_of("/?#&%\r\n ") == std::string::npos;
}

}  // namespace

StatusOr<std::shared_ptr<AzureTokenSource>> AzureTokenSource::New(AzureAdConfig config) {
  if (!ValidIdPart(config.tenant_id)) {
    return InvalidArgumentError("AZURE_TENANT_ID in " + config.display +
                                " must be a tenant id or domain (e.g. a GUID)");
  }
  if (config.client_id.empty() || config.client_secret.empty()) {
    return InvalidArgumentError("Azure AD authentication for " + config.display +
                                " needs AZURE_CLIENT_ID and AZURE_CLIENT_SECRET");
  }
  std::string host = config.authority_host;
  while (!host.empty() && host.back() == '/') host.pop_back();
  if (!(host.starts_with("https://") || host.starts_with("http://")) ||
      host.find_first_of("?#", 0) != std::string::npos) {
    return InvalidArgumentError("the Azure AD authority host of " + config.display +
                                " must be an http(s) URL such as "
                                "https://login.microsoftonline.com");
  }
  auto src = std::shared_ptr<AzureTokenSource>(new AzureTokenSource(std::move(config)));
  src->url_ = host + "/" + src->config_.tenant_id + "/oauth2/v2.0/token";
  return src;
}

AzureTokenSource::~AzureTokenSource() {
  Wipe(&config_.client_secret);
  Wipe(&token_);
}

Status AzureTokenSource::RequestOnce(std::string* token, std::chrono::seconds* lifetime) {
  std::string body =
      "grant_type=client_credentials&client_id=" + PercentEncode(config_.client_id, false) +
      "&client_secret=" + PercentEncode(config_.client_secret, false) +
      "&scope=" + PercentEncode(config_.scope, false);
  HttpRequest req;
  req.method = "POST";
  req.url = url_;
  req.headers.Add("Content-Type", "application/x-www-form-urlencoded");
  req.headers.Add("Accept", "application/json");
  req.body = body;
  req.connect_timeout = config_.connect_timeout;
  req.stall_timeout = config_.stall_timeout;
  req.ca_file = config_.ca_file;
  StatusOr<HttpResponse> r = [&] {
    HttpClientPool::Lease client = pool_.Acquire();
    return client->Send(req);
  }();
  Wipe(&body);
  if (!r.ok()) return r.status();
  StatusOr<JsonFields> fields = ParseJsonObject(r->body, /*include_numbers=*/true);
  Wipe(&r->body);
  const std::string what = "requesting an Azure AD token for " + config_.display;
  if (r->status == 429 || r->status >= 500) {
    if (fields.ok()) WipeJsonFields(&*fields);
    return UnavailableError("the Azure AD token endpoint answered HTTP " +
                            std::to_string(r->status) + " while " + what);
  }
  if (r->status < 200 || r->status >= 300) {
    std::string code = fields.ok() && fields->count("error") ? fields->at("error") : "";
    if (fields.ok()) WipeJsonFields(&*fields);
    // OAuth2 error codes are short tokens; show nothing else the endpoint said.
    if (code.size() > 64 ||
        code.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") != std::string::npos) {
      code.clear();
    }
    return PermissionDeniedError("Azure AD refused the client credentials (HTTP " +
                                 std::to_string(r->status) + (code.empty() ? "" : " " + code) +
                                 ") while " + what +
                                 "; check AZURE_TENANT_ID, AZURE_CLIENT_ID and "
                                 "AZURE_CLIENT_SECRET");
  }
  if (!fields.ok() || fields->count("access_token") == 0 || fields->at("access_token").empty()) {
    if (fields.ok()) WipeJsonFields(&*fields);
    return UnavailableError("the Azure AD token endpoint sent no access_token while " + what);
  }
  int64_t secs = 3600;
  if (auto it = fields->find("expires_in"); it != fields->end()) {
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
    if (ec == std::errc() && ptr == it->second.data() + it->second.size() && v > 0) secs = v;
  }
  *token = fields->at("access_token");
  *lifetime = std::chrono::seconds(secs);
  WipeJsonFields(&*fields);
  return Status::OK();
}

StatusOr<std::string> AzureTokenSource::Token() {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (!token_.empty() && now < refresh_at_) return token_;
  std::string token;
  std::chrono::seconds lifetime{0};
  // No retry loop here: every caller sends a request inside the client's own retry loop, which
  // asks again after an Unavailable answer (nested loops would multiply the attempts).
  RETURN_IF_ERROR(RequestOnce(&token, &lifetime));
  Wipe(&token_);
  token_ = std::move(token);
  refresh_at_ = now + std::max(std::chrono::seconds(30), lifetime - std::chrono::seconds(300));
  return token_;
}

}  // namespace cofre
