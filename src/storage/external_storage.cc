#include "storage/external_storage.h"

#include <string>

#include "storage/object_path.h"

namespace cofre {

StatusOr<size_t> ReadFullyAt(RandomAccessSource& src, uint64_t offset, char* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ASSIGN_OR_RETURN(size_t r, src.ReadAt(offset + got, buf + got, n - got));
    if (r == 0) break;
    got += r;
  }
  return got;
}

Status WriteSmallFile(ExternalStorage& storage, const std::string& path, std::string_view data) {
  ASSIGN_OR_RETURN(std::unique_ptr<ByteSink> writer, storage.NewWriter(path));
  RETURN_IF_ERROR(writer->Append(data));
  return writer->Close();
}

Status SmallFileTooLargeError(const std::string& described, std::optional<uint64_t> size,
                              size_t max_bytes) {
  return ResourceExhaustedError(described + " is " +
                                (size ? std::to_string(*size) + " bytes, more than" : "more than") +
                                " the " + std::to_string(max_bytes) +
                                "-byte limit for this kind of file; it is not a file cofre wrote, "
                                "or it is corrupt");
}

StatusOr<std::string> ReadSmallFile(ExternalStorage& storage, const std::string& path,
                                    size_t max_bytes) {
  return storage.ReadSmall(path, max_bytes);
}

StatusOr<std::string> ExternalStorage::ReadSmall(const std::string& path, size_t max_bytes) {
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessSource> reader, NewReader(path));
  const uint64_t size = reader->Size();
  if (size > max_bytes) {
    return SmallFileTooLargeError(DescribeObject(path, RedactedUri()), size, max_bytes);
  }
  std::string out(size, '\0');
  size_t got = 0;
  while (got < size) {
    ASSIGN_OR_RETURN(size_t n, reader->Read(out.data() + got, size - got));
    if (n == 0) break;
    got += n;
  }
  if (got != size) {
    return DataLossError(DescribeObject(path, RedactedUri()) + " ended after " +
                         std::to_string(got) + " of " + std::to_string(size) +
                         " bytes; it changed while being read or is damaged");
  }
  // A source may hold more than Size() promised (e.g. a file grown in place).
  char extra;
  ASSIGN_OR_RETURN(size_t more, reader->Read(&extra, 1));
  if (more != 0) {
    return DataLossError(DescribeObject(path, RedactedUri()) +
                         " is longer than its reported size; it changed while being read");
  }
  return out;
}

}  // namespace cofre
