// S3 XML documents: parsing the responses cofre reads (ListObjectsV2, multipart upload,
// DeleteObjects, Error) and building the request bodies it sends.
//
// Parsing uses storage/xml_tree.h (libexpat into a small element tree), then picks out the few
// elements S3 defines; unknown elements are ignored. Malformed or unexpected documents are
// Unavailable (a truncated or garbled response is worth a retry) with a message naming the
// document type; they never crash, whatever the input.
// Thread-safety: pure functions; reentrant.
#ifndef COFRE_STORAGE_S3_XML_H_
#define COFRE_STORAGE_S3_XML_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/xml_tree.h"
#include "util/status.h"

namespace cofre {

struct S3ListPage {
  struct Object {
    std::string key;
    uint64_t size = 0;
  };
  std::vector<Object> objects;               // in key order
  std::vector<std::string> common_prefixes;  // in order
  bool is_truncated = false;
  std::string next_continuation_token;  // set when is_truncated
};

// A <ListBucketResult>. Keys and prefixes are URL-decoded when <EncodingType> is "url".
StatusOr<S3ListPage> ParseListObjectsV2(std::string_view doc);

// The UploadId of an <InitiateMultipartUploadResult>.
StatusOr<std::string> ParseInitiateMultipartUpload(std::string_view doc);

// An <Error> document's fields (all empty when `doc` is not one).
struct S3ErrorInfo {
  std::string code;     // "NoSuchKey", "SlowDown", ...
  std::string message;  // S3's human-readable message
  std::string bucket;   // <BucketName>, when S3 names one
};
S3ErrorInfo ParseS3Error(std::string_view doc);

// A CompleteMultipartUpload response can be an <Error> even with HTTP 200: returns that error,
// or nullopt for a <CompleteMultipartUploadResult>.
StatusOr<std::optional<S3ErrorInfo>> ParseCompleteMultipartUpload(std::string_view doc);

// The <Error> entries of a <DeleteResult> (keys that could not be deleted).
struct S3DeleteError {
  std::string key;
  S3ErrorInfo error;
};
StatusOr<std::vector<S3DeleteError>> ParseDeleteResult(std::string_view doc);

// Request bodies.
struct S3CompletedPart {
  int number = 0;
  std::string etag;
};
std::string BuildCompleteMultipartUploadXml(const std::vector<S3CompletedPart>& parts);
std::string BuildDeleteObjectsXml(const std::vector<std::string>& keys);

}  // namespace cofre

#endif  // COFRE_STORAGE_S3_XML_H_
