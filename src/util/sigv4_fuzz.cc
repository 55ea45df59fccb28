// libFuzzer target for SigV4 canonicalisation (util/sigv4.h). The input is split at '\n' into
// method, path, query and header lines ("name:value"); the target checks invariants:
// normalising a path is idempotent, canonical header values have no leading, trailing or
// repeated spaces, canonical query strings are sorted and fully encoded, and signing is
// deterministic and never exposes the secret key.
//
// Build: CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCOFRE_FUZZ=ON
//        ninja -C build-fuzz sigv4_fuzz
// Run:   build-fuzz/sigv4_fuzz -max_total_time=30 fuzz/corpus/sigv4
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "util/sigv4.h"

namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    size_t p = s.find(sep);
    out.push_back(s.substr(0, p));
    if (p == std::string_view::npos) return out;
    s.remove_prefix(p + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> lines = Split(in, '\n');
  cofre::SigV4Request req;
  req.method = std::string(lines[0]);
  req.path = lines.size() > 1 ? std::string(lines[1]) : "/";
  if (lines.size() > 2 && !lines[2].empty()) {
    for (std::string_view kv : Split(lines[2], '&')) {
      size_t eq = kv.find('=');
      req.query.emplace_back(std::string(kv.substr(0, eq)),
                             eq == std::string_view::npos ? "" : std::string(kv.substr(eq + 1)));
    }
  }
  req.headers.emplace_back("Host", "example.amazonaws.com");
  for (size_t i = 3; i < lines.size(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == std::string_view::npos || colon == 0) continue;
    req.headers.emplace_back(std::string(lines[i].substr(0, colon)),
                             std::string(lines[i].substr(colon + 1)));
  }
  req.payload_hash = "UNSIGNED-PAYLOAD";

  std::string normalized = cofre::NormalizeUriPath(req.path);
  Check(!normalized.empty() && normalized[0] == '/');
  Check(cofre::NormalizeUriPath(normalized) == normalized);
  Check(normalized.find("//") == std::string::npos);

  for (const auto& [name, value] : req.headers) {
    std::string v = cofre::CanonicalHeaderValue(value);
    Check(v.empty() || (v.front() != ' ' && v.back() != ' '));
    Check(v.find("  ") == std::string::npos);
  }

  std::string query = cofre::CanonicalQueryString(req.query);
  std::vector<std::string_view> pairs =
      query.empty() ? std::vector<std::string_view>{} : Split(query, '&');
  Check(pairs.size() == req.query.size());
  for (size_t i = 1; i < pairs.size(); ++i) {
    Check(pairs[i - 1].substr(0, pairs[i - 1].find('=')) <= pairs[i].substr(0, pairs[i].find('=')));
  }
  for (char c : query) {
    Check(std::isalnum(static_cast<unsigned char>(c)) ||
          std::string_view("-_.~%=&").find(c) != std::string_view::npos);
  }

  constexpr std::string_view kSecret = "fuzz-secret-key/+=";
  const cofre::AwsCredentials creds("AKIDEXAMPLE", std::string(kSecret), "token");
  // The secret may only appear in the signed request if the input itself contained it, in any
  // case: header names are lowercased in the canonical request.
  std::string lowered(in);
  for (char& ch : lowered) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  const bool input_has_secret = lowered.find("fuzz-secret-key") != std::string::npos;
  const auto when = std::chrono::system_clock::from_time_t(1440938160);
  for (bool s3 : {false, true}) {
    cofre::SigV4Params p = s3 ? cofre::SigV4Params::ForS3("us-east-1", when)
                              : cofre::SigV4Params::ForService("service", "us-east-1", when);
    cofre::SigV4Request a = req, b = req;
    cofre::SigV4Signature sa = cofre::SignRequestHeaders(creds, p, &a);
    cofre::SigV4Signature sb = cofre::SignRequestHeaders(creds, p, &b);
    Check(sa.signature == sb.signature && sa.signature.size() == 64);
    Check(input_has_secret || sa.canonical_request.find("fuzz-secret-key") == std::string::npos);
    cofre::SigV4Request c = req;
    cofre::SigV4Signature sc = cofre::PresignRequestQuery(creds, p, std::chrono::seconds(60), &c);
    Check(sc.signature.size() == 64);
    Check(input_has_secret || c.EncodedQuery().find("fuzz-secret-key") == std::string::npos);
  }
  return 0;
}
