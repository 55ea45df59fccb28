#include "kms/aws_kms.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <set>

#include "util/aws_endpoint.h"
#include "util/base64.h"
#include "util/http_client.h"
#include "util/json.h"

namespace cofre {
namespace {

constexpr size_t kMaxKeyIdLength = 2048;
constexpr size_t kMaxKmsPlaintext = 4096;

void Wipe(std::string* s) {
  if (s->capacity() > 0) OPENSSL_cleanse(s->data(), s->capacity());
  s->clear();
}

// The named member of a KMS answer, refusing a missing or empty one.
StatusOr<std::string_view> Member(const JsonFields& fields, std::string_view name,
                                  std::string_view what, std::string_view display) {
  auto it = fields.find(name);
  if (it == fields.end() || it->second.empty()) {
    return FailedPreconditionError("AWS KMS for '" + std::string(display) + "' answered " +
                                   std::string(what) + " without " + std::string(name) +
                                   "; is AWS_ENDPOINT an AWS KMS-compatible service?");
  }
  return std::string_view(it->second);
}

// `s` percent-encoded except for characters that read well in ARNs, aliases and endpoints.
std::string Readable(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
        std::string_view("-._~:/@+,").find(ch) != std::string_view::npos) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// The URI for messages: secret parameters shown as "redacted" (as util/uri.h does), the key and
// the other values kept readable (an ARN stays arn:aws:kms:...).
std::string DisplayUri(const Uri& uri) {
  std::string out = uri.scheme + "://" + Readable(uri.host) + Readable(uri.path);
  char sep = '?';
  for (const auto& [k, v] : uri.params) {
    bool secret = IsSecretUriParam(k);
    out += sep + Readable(k) + "=" + (secret ? std::string("redacted") : Readable(v));
    sep = '&';
  }
  return out;
}

Status CheckParams(const Uri& uri, const std::string& redacted) {
  const auto& known = AwsKmsUriParams();
  std::vector<std::string> unknown;
  std::set<std::string> seen;
  for (const auto& [k, v] : uri.params) {
    if (std::find(known.begin(), known.end(), k) == known.end()) {
      unknown.push_back(k);
    } else if (!seen.insert(k).second) {
      return InvalidArgumentError("parameter " + k + " appears more than once in KMS URI '" +
                                  redacted + "'; give it once");
    }
  }
  if (unknown.empty()) return Status::OK();
  std::string names, known_list;
  for (const std::string& u : unknown) names += (names.empty() ? "" : ", ") + u;
  for (std::string_view k : known) known_list += (known_list.empty() ? "" : ", ") + std::string(k);
  return InvalidArgumentError("unknown parameter" + std::string(unknown.size() > 1 ? "s " : " ") +
                              names + " in KMS URI '" + redacted +
                              "'; known parameters: " + known_list);
}

// A KMS endpoint over plain http:// would carry the chain's data key in clear: only loopback
// (a local emulator, a sidecar proxy), or with ALLOW_INSECURE_HTTP=true.
Status CheckEndpointSecurity(const std::string& endpoint, std::optional<std::string> allow,
                             const std::string& region, const std::string& redacted) {
  bool allowed = false;
  if (allow) {
    if (*allow != "true" && *allow != "false") {
      return InvalidArgumentError("ALLOW_INSECURE_HTTP in KMS URI '" + redacted +
                                  "' must be true or false");
    }
    allowed = *allow == "true";
  }
  if (endpoint.empty()) return Status::OK();
  ASSIGN_OR_RETURN(AwsEndpoint parsed, ParseAwsEndpoint(endpoint, "kms", region, redacted));
  if (parsed.scheme != "http" || allowed || IsLoopbackHostPort(parsed.host_port))
    return Status::OK();
  return InvalidArgumentError("KMS URI '" + redacted + "' uses AWS_ENDPOINT http://" +
                              parsed.host_port +
                              ": over plain HTTP the chain's data key would cross the network "
                              "in clear; use an https:// endpoint (plain http:// is accepted "
                              "for loopback addresses), or add ALLOW_INSECURE_HTTP=true if the "
                              "network path is trusted");
}

}  // namespace

const std::vector<std::string_view>& AwsKmsUriParams() {
  static const std::vector<std::string_view> kParams = {
      "AUTH",   "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
      "REGION", "AWS_ENDPOINT",      "ALLOW_INSECURE_HTTP"};
  return kParams;
}

StatusOr<AwsKmsUri> ParseAwsKmsUri(const Uri& uri) {
  AwsKmsUri out;
  out.redacted = DisplayUri(uri);
  if (uri.scheme != "aws" && uri.scheme != "aws-kms") {
    return InvalidArgumentError("'" + out.redacted + "' is not an aws:/// KMS URI");
  }
  if (!uri.host.empty()) {
    return InvalidArgumentError("KMS URI '" + out.redacted +
                                "' has a host; name the key after three slashes: "
                                "aws:///<key id, ARN or alias/name>?REGION=...");
  }
  RETURN_IF_ERROR(CheckParams(uri, out.redacted));
  std::string_view key = uri.path;
  if (!key.empty() && key.front() == '/') key.remove_prefix(1);
  if (key.empty()) {
    return InvalidArgumentError(
        "KMS URI '" + out.redacted +
        "' names no key; use aws:///<key id, ARN or alias/name>?REGION=...");
  }
  if (key.size() > kMaxKeyIdLength) {
    return InvalidArgumentError("the key in KMS URI '" + out.redacted + "' is longer than " +
                                std::to_string(kMaxKeyIdLength) + " characters");
  }
  for (char c : key) {
    if (c <= 0x20 || c >= 0x7F) {
      return InvalidArgumentError("the key in KMS URI '" + out.redacted +
                                  "' contains a space, control or non-ASCII character; AWS key "
                                  "ids, ARNs and aliases are printable ASCII");
    }
  }
  out.key_id = std::string(key);
  out.region = uri.Param("REGION").value_or("");
  if (out.region.empty()) {
    return InvalidArgumentError("KMS URI '" + out.redacted +
                                "' has no REGION; add REGION=<the key's region>, e.g. "
                                "REGION=us-east-1");
  }
  for (char c : out.region) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return InvalidArgumentError("REGION in KMS URI '" + out.redacted +
                                  "' is not an AWS region name such as us-east-1");
    }
  }
  out.endpoint = uri.Param("AWS_ENDPOINT").value_or("");
  RETURN_IF_ERROR(CheckEndpointSecurity(out.endpoint, uri.Param("ALLOW_INSECURE_HTTP"), out.region,
                                        out.redacted));
  ASSIGN_OR_RETURN(out.auth, ParseAwsAuthMode(uri.Param("AUTH"), out.redacted));
  out.credentials.access_key_id = uri.Param("AWS_ACCESS_KEY_ID");
  out.credentials.secret_access_key = uri.Param("AWS_SECRET_ACCESS_KEY");
  out.credentials.session_token = uri.Param("AWS_SESSION_TOKEN");
  return out;
}

StatusOr<std::unique_ptr<AwsKms>> AwsKms::Open(const Uri& uri, const KmsOptions& options) {
  ASSIGN_OR_RETURN(AwsKmsUri parsed, ParseAwsKmsUri(uri));
  AwsKmsClientConfig config;
  ASSIGN_OR_RETURN(config.credentials, ResolveAwsCredentials(parsed.auth, parsed.credentials,
                                                             parsed.redacted, options.env));
  config.region = parsed.region;
  config.endpoint = parsed.endpoint;
  config.display = parsed.redacted;
  config.retry = options.retry;
  ASSIGN_OR_RETURN(auto client, AwsKmsClient::New(std::move(config)));
  return std::unique_ptr<AwsKms>(new AwsKms(std::move(parsed.key_id), std::move(client)));
}

std::optional<std::string> AwsKms::CanonicalKeyId() const {
  // "arn:<partition>:kms:<region>:<account>:key/<id>" is what Encrypt reports; aliases and bare
  // ids need the KMS to resolve them.
  if (key_id_.starts_with("arn:") && key_id_.find(":key/") != std::string::npos) return key_id_;
  return std::nullopt;
}

StatusOr<KmsCiphertext> AwsKms::Encrypt(std::string_view plaintext,
                                        const KmsEncryptionContext& context) {
  if (plaintext.empty() || plaintext.size() > kMaxKmsPlaintext) {
    return InvalidArgumentError("AWS KMS encrypts 1 to 4096 bytes, not " +
                                std::to_string(plaintext.size()));
  }
  std::string encoded = Base64Encode(plaintext);
  JsonObjectWriter w;
  // Room for the worst case (every character of the key and context escaped as \u00XX), so
  // that the buffer holding the plaintext is never reallocated (and left behind unwiped).
  size_t text = key_id_.size();
  for (const auto& [k, v] : context) text += k.size() + v.size() + 8;
  w.Reserve(encoded.size() + 6 * text + 128);
  w.AddString("KeyId", key_id_);
  w.AddString("Plaintext", encoded);
  w.AddStringMap("EncryptionContext", context);
  std::string body = w.Finish();
  Wipe(&encoded);
  StatusOr<JsonFields> r = client_->Call("Encrypt", body, "encrypting the backup's data key");
  Wipe(&body);
  if (!r.ok()) return r.status();
  KmsCiphertext out;
  ASSIGN_OR_RETURN(std::string_view blob, Member(*r, "CiphertextBlob", "Encrypt", RedactedUri()));
  ASSIGN_OR_RETURN(out.blob, Base64Decode(blob));
  ASSIGN_OR_RETURN(std::string_view key_id, Member(*r, "KeyId", "Encrypt", RedactedUri()));
  out.key_id = std::string(key_id);
  return out;
}

StatusOr<KmsPlaintext> AwsKms::Decrypt(std::string_view ciphertext,
                                       const KmsEncryptionContext& context) {
  JsonObjectWriter w;
  w.AddString("KeyId", key_id_);
  w.AddString("CiphertextBlob", Base64Encode(ciphertext));
  w.AddStringMap("EncryptionContext", context);
  StatusOr<JsonFields> r = client_->Call("Decrypt", w.Finish(), "decrypting the backup's data key");
  if (!r.ok()) return r.status();
  StatusOr<std::string_view> encoded = Member(*r, "Plaintext", "Decrypt", RedactedUri());
  if (!encoded.ok()) {
    WipeJsonFields(&*r);
    return encoded.status();
  }
  StatusOr<std::string> plaintext = Base64Decode(*encoded);
  WipeJsonFields(&*r);
  if (!plaintext.ok()) {
    return FailedPreconditionError("AWS KMS for '" + RedactedUri() +
                                   "' answered Decrypt with a malformed Plaintext (" +
                                   plaintext.status().message() + ")");
  }
  return KmsPlaintext(std::move(*plaintext));
}

}  // namespace cofre
