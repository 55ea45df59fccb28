#include "storage/object_path.h"

namespace cofre {
namespace {

// Checks the '/'-separated segments of `text`; `what` is "path" or "prefix" for
// messages.
Status ValidateSegments(std::string_view text, std::string_view full, std::string_view what,
                        std::string_view storage_display) {
  auto refuse = [&](std::string_view why) {
    return InvalidArgumentError("invalid object " + std::string(what) + " " +
                                DescribeObject(full, storage_display) + ": " + std::string(why));
  };
  size_t start = 0;
  while (start <= text.size()) {
    size_t slash = text.find('/', start);
    if (slash == std::string_view::npos) slash = text.size();
    std::string_view seg = text.substr(start, slash - start);
    if (seg.empty()) {
      return refuse(
          "empty path segment; paths are relative and '/'-separated, like "
          "'dir/file'");
    }
    if (seg == "." || seg == "..") return refuse("'.' and '..' segments are not allowed");
    start = slash + 1;
  }
  return Status::OK();
}

Status ValidateCommon(std::string_view text, std::string_view what,
                      std::string_view storage_display) {
  if (text.find('\0') != std::string_view::npos) {
    return InvalidArgumentError("invalid object " + std::string(what) + " in " +
                                std::string(storage_display) + ": it contains a NUL byte");
  }
  if (!text.empty() && text.front() == '/') {
    return InvalidArgumentError("invalid object " + std::string(what) + " " +
                                DescribeObject(text, storage_display) +
                                ": absolute paths are not allowed; use a path relative to the "
                                "storage URI");
  }
  return Status::OK();
}

}  // namespace

std::string DescribeObject(std::string_view path, std::string_view storage_display) {
  return "'" + std::string(path) + "' in " + std::string(storage_display);
}

Status ValidateObjectPath(std::string_view path, std::string_view storage_display) {
  if (path.empty()) {
    return InvalidArgumentError("invalid object path in " + std::string(storage_display) +
                                ": the path is empty");
  }
  RETURN_IF_ERROR(ValidateCommon(path, "path", storage_display));
  return ValidateSegments(path, path, "path", storage_display);
}

Status ValidateListPrefix(std::string_view prefix, std::string_view storage_display) {
  RETURN_IF_ERROR(ValidateCommon(prefix, "prefix", storage_display));
  size_t last_slash = prefix.rfind('/');
  if (last_slash == std::string_view::npos) return Status::OK();
  return ValidateSegments(prefix.substr(0, last_slash), prefix, "prefix", storage_display);
}

Status ListRollup::AddObject(const std::string& path, uint64_t size) {
  if (!delimiter_.empty()) {
    size_t pos = path.find(delimiter_, prefix_.size());
    if (pos != std::string::npos) {
      return AddCommonPrefix(path.substr(0, pos + delimiter_.size()));
    }
  }
  ListEntry entry;
  entry.path = path;
  entry.size = size;
  return fn_(entry);
}

std::optional<std::string> ListRollup::CommonPrefixCovering(std::string_view path_prefix) const {
  if (delimiter_.empty() || path_prefix.size() < prefix_.size()) return std::nullopt;
  size_t pos = path_prefix.find(delimiter_, prefix_.size());
  if (pos == std::string_view::npos || pos + delimiter_.size() > path_prefix.size()) {
    return std::nullopt;
  }
  return std::string(path_prefix.substr(0, pos + delimiter_.size()));
}

Status ListRollup::AddCommonPrefix(const std::string& common) {
  if (common == last_common_) return Status::OK();
  last_common_ = common;
  ListEntry entry;
  entry.path = common;
  entry.is_prefix = true;
  return fn_(entry);
}

}  // namespace cofre
