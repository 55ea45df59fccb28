#include "crypto/scram.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <vector>

#include "crypto/kdf.h"
#include "crypto/random.h"
#include "util/base64.h"
#include "util/sha256.h"

namespace cofre {

namespace {

constexpr std::string_view kPrefix = "SCRAM-SHA-256$";
constexpr uint32_t kMaxIterations = 10'000'000;

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

struct Verifier {
  uint32_t iterations = 0;
  std::string salt;
  std::string stored_key;
  std::string server_key;
};

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.push_back(s.substr(start, pos == std::string_view::npos ? s.npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

StatusOr<Verifier> ParseVerifier(std::string_view text) {
  Status bad = InvalidArgumentError("stored password verifier is malformed");
  if (!text.starts_with(kPrefix)) return bad;
  auto parts = Split(text.substr(kPrefix.size()), '$');
  if (parts.size() != 2) return bad;
  auto a = Split(parts[0], ':');
  auto b = Split(parts[1], ':');
  if (a.size() != 2 || b.size() != 2) return bad;
  Verifier v;
  uint64_t it = 0;
  if (a[0].empty() || a[0].size() > 9) return bad;
  for (char c : a[0]) {
    if (c < '0' || c > '9') return bad;
    it = it * 10 + (c - '0');
  }
  if (it == 0 || it > kMaxIterations) return bad;
  v.iterations = static_cast<uint32_t>(it);
  auto salt = Base64Decode(a[1]);
  auto stored = Base64Decode(b[0]);
  auto server = Base64Decode(b[1]);
  if (!salt.ok() || !stored.ok() || !server.ok() || salt->empty() || stored->size() != 32 ||
      server->size() != 32) {
    return bad;
  }
  v.salt = *salt;
  v.stored_key = *stored;
  v.server_key = *server;
  return v;
}

std::string FormatVerifier(uint32_t iterations, std::string_view salt, std::string_view salted) {
  std::string client_key = Hmac(salted, "Client Key");
  std::string stored_key = Sha256::Digest(client_key);
  std::string server_key = Hmac(salted, "Server Key");
  OPENSSL_cleanse(client_key.data(), client_key.size());
  return std::string(kPrefix) + std::to_string(iterations) + ":" + Base64Encode(salt) + "$" +
         Base64Encode(stored_key) + ":" + Base64Encode(server_key);
}

// The value of attribute `name` ("r", "c", ...) in a comma-separated SCRAM message.
std::optional<std::string_view> Attribute(const std::vector<std::string_view>& attrs, char name) {
  for (auto a : attrs) {
    if (a.size() >= 2 && a[0] == name && a[1] == '=') return a.substr(2);
  }
  return std::nullopt;
}

}  // namespace

StatusOr<std::string> MakeScramVerifier(std::string_view password, uint32_t iterations) {
  if (iterations == 0 || iterations > kMaxIterations) {
    return InvalidArgumentError("SCRAM iteration count out of range");
  }
  ASSIGN_OR_RETURN(std::string salt, RandomBytes(16));
  ASSIGN_OR_RETURN(SecretBytes salted, Pbkdf2HmacSha256(password, salt, iterations, 32));
  return FormatVerifier(iterations, salt, salted.view());
}

std::string MakeDecoyScramVerifier(std::string_view seed) {
  // Deterministic per seed, so that probing one unknown name twice sees the same salt.
  std::string salt =
      Sha256::Digest(std::string("cofre-decoy-salt:") + std::string(seed)).substr(0, 16);
  std::string random = Sha256::Digest(std::string("cofre-decoy-key:") + std::string(seed));
  std::string stored = Sha256::Digest(random + "stored");
  std::string server = Sha256::Digest(random + "server");
  return std::string(kPrefix) + std::to_string(kScramIterations) + ":" + Base64Encode(salt) + "$" +
         Base64Encode(stored) + ":" + Base64Encode(server);
}

bool IsScramVerifier(std::string_view text) { return ParseVerifier(text).ok(); }

ScramServer::ScramServer(std::string verifier, std::string channel_binding)
    : verifier_(std::move(verifier)), channel_binding_(std::move(channel_binding)) {}

StatusOr<std::string> ScramServer::ServerFirst(std::string_view mechanism,
                                               std::string_view client_first) {
  Status bad = InvalidArgumentError("malformed SCRAM client-first message");
  if (started_) return bad;
  started_ = true;
  if (mechanism == "SCRAM-SHA-256-PLUS") {
    if (channel_binding_.empty()) {
      return InvalidArgumentError("channel binding was requested but the connection has no TLS");
    }
    plus_ = true;
  } else if (mechanism != "SCRAM-SHA-256") {
    return InvalidArgumentError("unsupported SASL mechanism");
  }
  // gs2-header: cbind-flag "," [authzid] ","
  size_t c1 = client_first.find(',');
  if (c1 == client_first.npos) return bad;
  size_t c2 = client_first.find(',', c1 + 1);
  if (c2 == client_first.npos) return bad;
  std::string_view flag = client_first.substr(0, c1);
  if (plus_) {
    if (flag != "p=tls-server-end-point") {
      return InvalidArgumentError("SCRAM-SHA-256-PLUS needs channel binding tls-server-end-point");
    }
  } else if (flag == "y") {
    // The client could bind but thinks the server cannot: a downgrade when the server can.
    if (!channel_binding_.empty()) {
      return PermissionDeniedError("SCRAM channel binding downgrade refused");
    }
  } else if (flag != "n") {
    return bad;
  }
  if (c2 != c1 + 1) return InvalidArgumentError("SCRAM authorization identities are not supported");
  gs2_header_ = std::string(client_first.substr(0, c2 + 1));
  client_first_bare_ = std::string(client_first.substr(c2 + 1));
  auto attrs = Split(client_first_bare_, ',');
  if (attrs.empty() || (!attrs[0].starts_with("n=") && !attrs[0].starts_with("m="))) return bad;
  if (attrs[0].starts_with("m=")) return InvalidArgumentError("SCRAM extensions are not supported");
  auto cnonce = Attribute(attrs, 'r');
  if (!cnonce || cnonce->empty() || cnonce->size() > 256) return bad;
  for (char c : *cnonce) {
    if (c < 0x21 || c > 0x7e || c == ',') return bad;
  }
  ASSIGN_OR_RETURN(std::string random, RandomBytes(18));
  nonce_ = std::string(*cnonce) + Base64Encode(random);
  // A malformed stored verifier must not tell the client anything either: use a decoy.
  auto v = ParseVerifier(verifier_);
  if (!v.ok()) {
    verifier_ = MakeDecoyScramVerifier(verifier_);
    v = ParseVerifier(verifier_);
  }
  server_first_ =
      "r=" + nonce_ + ",s=" + Base64Encode(v->salt) + ",i=" + std::to_string(v->iterations);
  return server_first_;
}

StatusOr<std::string> ScramServer::ServerFinal(std::string_view client_final) {
  Status bad = InvalidArgumentError("malformed SCRAM client-final message");
  if (server_first_.empty()) return bad;
  size_t proof_pos = client_final.rfind(",p=");
  if (proof_pos == client_final.npos) return bad;
  std::string_view without_proof = client_final.substr(0, proof_pos);
  auto attrs = Split(client_final, ',');
  auto cbind = Attribute(attrs, 'c');
  auto nonce = Attribute(attrs, 'r');
  auto proof_b64 = Attribute(attrs, 'p');
  if (!cbind || !nonce || !proof_b64) return bad;
  std::string expected_cbind = gs2_header_ + (plus_ ? channel_binding_ : std::string());
  auto cbind_raw = Base64Decode(*cbind);
  if (!cbind_raw.ok() || *cbind_raw != expected_cbind) {
    return PermissionDeniedError("SCRAM channel binding does not match");
  }
  if (*nonce != nonce_) return bad;
  auto proof = Base64Decode(*proof_b64);
  if (!proof.ok() || proof->size() != 32) return bad;
  ASSIGN_OR_RETURN(Verifier v, ParseVerifier(verifier_));
  std::string auth_message =
      client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
  std::string client_signature = Hmac(v.stored_key, auth_message);
  std::string client_key(32, '\0');
  for (size_t i = 0; i < 32; ++i) client_key[i] = (*proof)[i] ^ client_signature[i];
  std::string stored = Sha256::Digest(client_key);
  OPENSSL_cleanse(client_key.data(), client_key.size());
  if (CRYPTO_memcmp(stored.data(), v.stored_key.data(), 32) != 0) {
    return PermissionDeniedError("password authentication failed");
  }
  return "v=" + Base64Encode(Hmac(v.server_key, auth_message));
}

}  // namespace cofre
