// Object paths and listing helpers shared by every ExternalStorage
// implementation.
//
// An object path is relative to the storage's base URI: '/'-separated
// segments, none empty, none "." or "..", no leading '/', no NUL byte (see
// external_storage.h). A list prefix is any string whose complete segments
// (those followed by '/') obey the same rules; its last, partial segment only
// filters names.
//
// Thread-safety: the functions are pure; a ListRollup is a single-threaded
// object.
#ifndef COFRE_STORAGE_OBJECT_PATH_H_
#define COFRE_STORAGE_OBJECT_PATH_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "storage/external_storage.h"
#include "util/status.h"

namespace cofre {

// OK when `path` is a valid object path; otherwise InvalidArgument naming the
// path and the storage (`storage_display`, a redacted URI) and saying what is
// wrong.
Status ValidateObjectPath(std::string_view path, std::string_view storage_display);

// OK when `prefix` is a valid list prefix (may be empty); otherwise
// InvalidArgument.
Status ValidateListPrefix(std::string_view prefix, std::string_view storage_display);

// "'<path>' in <storage_display>": how messages name an object.
std::string DescribeObject(std::string_view path, std::string_view storage_display);

// Turns objects offered in lexicographic order into ListEntry callbacks,
// rolling up paths that contain `delimiter` after `prefix` into one
// common-prefix entry each (as S3 ListObjectsV2). Contract: the first non-OK
// status returned by the callback is returned by Add*/AddPrefix and the caller
// stops.
class ListRollup {
 public:
  ListRollup(std::string_view prefix, std::string_view delimiter,
             std::function<Status(const ListEntry&)> fn)
      : prefix_(prefix), delimiter_(delimiter), fn_(std::move(fn)) {}

  // Offers the object `path` of `size` bytes.
  // REQUIRES: `path` starts with the prefix; paths arrive in strictly
  // increasing order.
  Status AddObject(const std::string& path, uint64_t size);

  // If every path that starts with `path_prefix` rolls up into the same common
  // prefix, returns that common prefix (lets a directory walk skip whole
  // subtrees); otherwise nullopt.
  std::optional<std::string> CommonPrefixCovering(std::string_view path_prefix) const;

  // Emits the common prefix `common` unless it was just emitted.
  // REQUIRES: `common` came from CommonPrefixCovering, in increasing order with
  // AddObject calls.
  Status AddCommonPrefix(const std::string& common);

 private:
  std::string prefix_;
  std::string delimiter_;
  std::function<Status(const ListEntry&)> fn_;
  std::string last_common_;
};

}  // namespace cofre

#endif  // COFRE_STORAGE_OBJECT_PATH_H_
