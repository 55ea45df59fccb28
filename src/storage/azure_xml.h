// Azure Blob XML documents: parsing the responses cofre reads (List Blobs, Error) and building
// the Put Block List body.
//
// Parsing uses storage/xml_tree.h and picks out the elements the Blob service defines; unknown
// elements are ignored. A <Name Encoded="true"> (names with characters XML cannot carry) is
// percent-decoded. Malformed or unexpected documents are Unavailable (worth a retry) with a
// message naming the document type; they never crash, whatever the input.
// Thread-safety: pure functions; reentrant.
#ifndef COFRE_STORAGE_AZURE_XML_H_
#define COFRE_STORAGE_AZURE_XML_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace cofre {

// One page of a List Blobs (restype=container&comp=list) response.
struct AzureListPage {
  struct Entry {
    std::string name;
    bool is_prefix = false;  // a <BlobPrefix> (a rolled-up "directory")
    uint64_t size = 0;       // Content-Length of a blob
  };
  std::vector<Entry> entries;  // in the service's (lexicographic) order
  std::string next_marker;     // empty on the last page
};
StatusOr<AzureListPage> ParseAzureListBlobs(std::string_view doc);

// An <Error> document's fields (both empty when `doc` is not one).
struct AzureErrorInfo {
  std::string code;     // "BlobNotFound", "ContainerNotFound", "AuthenticationFailed", ...
  std::string message;  // the first line of the service's message
};
AzureErrorInfo ParseAzureError(std::string_view doc);

// <BlockList><Latest>id</Latest>...</BlockList> for Put Block List.
std::string BuildAzureBlockListXml(const std::vector<std::string>& block_ids);

}  // namespace cofre

#endif  // COFRE_STORAGE_AZURE_XML_H_
