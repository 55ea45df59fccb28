// libFuzzer target for URI parsing and redaction (util/uri.h).
//
// The input is "<uri>\n<name>": the target appends the parameter <name>=<secret> (the secret a
// fixed marker, raw or percent-encoded) to <uri> and checks that
//  - ParseUri either fails with InvalidArgument or yields a URI whose ToString() parses back to
//    the same scheme, host, path and parameters;
//  - RedactUri never fails, is idempotent, and hides the value of every parameter whose name
//    IsSecretUriParam matches: when <name> is one, the marker appears in neither RedactUri's
//    output, Uri::Redacted's output, nor ParseUri's error message;
//  - the same holds for the bare <uri> (no secret appended).
//
// Build: CC=clang-14 CXX=clang++-14 cmake -S . -B build-asan -G Ninja -DCOFRE_FUZZ=ON
//        ninja -C build-asan uri_fuzz
// Run:   build-asan/uri_fuzz -max_total_time=60 fuzz/corpus/uri
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "util/uri.h"

namespace {

constexpr std::string_view kMarker = "Zq7SECRETxK9";

void Check(bool ok) {
  if (!ok) std::abort();
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::string EncodeAll(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// `secret_appended`: text ends with a secret parameter holding kMarker, which must not show.
void CheckUri(const std::string& text, bool secret_appended) {
  const std::string encoded_marker = EncodeAll(kMarker);
  auto leaks = [&](std::string_view shown) {
    return secret_appended && (Contains(shown, kMarker) || Contains(shown, encoded_marker));
  };
  const std::string redacted = cofre::RedactUri(text);
  Check(cofre::RedactUri(redacted) == redacted);
  Check(!leaks(redacted));

  cofre::StatusOr<cofre::Uri> uri = cofre::ParseUri(text);
  if (!uri.ok()) {
    Check(uri.status().code() == cofre::StatusCode::kInvalidArgument);
    Check(!leaks(uri.status().message()));
    return;
  }
  Check(!leaks(uri->Redacted(cofre::SecretUriParams())));
  // Rendering round-trips: ToString encodes what parsing decoded.
  cofre::StatusOr<cofre::Uri> again = cofre::ParseUri(uri->ToString());
  Check(again.ok());
  Check(again->scheme == uri->scheme && again->host == uri->host && again->path == uri->path);
  Check(again->params == uri->params);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  size_t nl = in.find('\n');
  std::string base(in.substr(0, nl));
  CheckUri(base, false);
  if (nl == std::string_view::npos) return 0;
  std::string_view name = in.substr(nl + 1);
  // A name holding a separator would not be one parameter name.
  if (name.find_first_of("&?=\n") != std::string_view::npos) return 0;
  const bool secret = cofre::IsSecretUriParam(name);
  const char sep = base.find('?') == std::string::npos ? '?' : '&';
  for (bool encoded : {false, true}) {
    std::string text = base;
    text += sep;
    text += name;
    text += '=';
    // Fully percent-encoded, the marker still decodes to itself.
    text += encoded ? EncodeAll(kMarker) : std::string(kMarker);
    CheckUri(text, secret && !Contains(base, kMarker) && !Contains(base, EncodeAll(kMarker)));
  }
  return 0;
}
