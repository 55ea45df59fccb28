// libFuzzer target for the KMS layer's decoders: every input goes to the JSON object parser,
// the AWS error-answer parser and the base64 decoder. None may crash, hang, leak or read out of
// bounds. Whatever the parser accepts must survive a round trip: writing its string members
// back out with JsonObjectWriter and parsing that again gives the same members.
// Seeds live in fuzz/corpus/kms_json/ (KMS requests, answers and error documents).
//
// Build: CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCOFRE_FUZZ=ON
//        ninja -C build-fuzz kms_json_fuzz
// Run:   build-fuzz/kms_json_fuzz -max_total_time=30 fuzz/corpus/kms_json
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "kms/aws_kms_errors.h"
#include "util/base64.h"
#include "util/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);

  cofre::StatusOr<cofre::JsonFields> fields = cofre::ParseJsonObject(input);
  if (fields.ok()) {
    cofre::JsonObjectWriter w;
    for (const auto& [name, value] : *fields) {
      if (!cofre::IsValidUtf8(name) || !cofre::IsValidUtf8(value)) std::abort();
      w.AddString(name, value);
    }
    cofre::StatusOr<cofre::JsonFields> again = cofre::ParseJsonObject(w.Finish());
    if (!again.ok() || *again != *fields) std::abort();
    for (const auto& [name, value] : *fields) {
      cofre::StatusOr<std::string> decoded = cofre::Base64Decode(value);
      if (decoded.ok() && cofre::Base64Encode(*decoded) != value) std::abort();
    }
  }

  cofre::AwsServiceError e = cofre::ParseAwsServiceError(input, std::nullopt);
  (void)cofre::AwsKmsErrorStatus(400, e, "fuzzing", "aws:///k");

  cofre::StatusOr<std::string> decoded = cofre::Base64Decode(input);
  if (decoded.ok() && cofre::Base64Encode(*decoded) != input) std::abort();
  return 0;
}
