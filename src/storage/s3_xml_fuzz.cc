// libFuzzer target for the S3 XML response parsers (storage/s3_xml.h): every input is parsed as
// each response type cofre reads. None may crash, hang, leak or read out of bounds; parsed
// listings must be self-consistent.
//
// Build: CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCOFRE_FUZZ=ON
//        ninja -C build-fuzz s3_xml_fuzz
// Run:   build-fuzz/s3_xml_fuzz -max_total_time=30 fuzz/corpus/s3_xml
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "storage/s3_xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view doc(reinterpret_cast<const char*>(data), size);
  cofre::StatusOr<cofre::S3ListPage> page = cofre::ParseListObjectsV2(doc);
  if (page.ok() && page->is_truncated && page->next_continuation_token.empty()) std::abort();
  if (!page.ok() && page.status().code() != cofre::StatusCode::kUnavailable) std::abort();
  cofre::ParseS3Error(doc);
  cofre::ParseInitiateMultipartUpload(doc).status().IgnoreError();
  cofre::ParseCompleteMultipartUpload(doc).status().IgnoreError();
  cofre::ParseDeleteResult(doc).status().IgnoreError();
  // Whatever parsed as a key must survive a round trip through a request body.
  if (page.ok()) {
    std::vector<std::string> keys;
    for (const auto& o : page->objects) keys.push_back(o.key);
    cofre::ParseXml(cofre::BuildDeleteObjectsXml(keys), "fuzz").status().IgnoreError();
  }
  return 0;
}
