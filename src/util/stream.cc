#include "util/stream.h"

#include <algorithm>
#include <cstring>

namespace cofre {

StatusOr<size_t> ReadFully(ByteSource& src, char* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ASSIGN_OR_RETURN(size_t r, src.Read(buf + got, n - got));
    if (r == 0) break;
    got += r;
  }
  return got;
}

StatusOr<std::string> ReadAll(ByteSource& src, size_t max_bytes) {
  std::string out;
  char buf[64 * 1024];
  while (true) {
    ASSIGN_OR_RETURN(size_t r, src.Read(buf, sizeof(buf)));
    if (r == 0) break;
    if (out.size() + r > max_bytes) {
      return ResourceExhaustedError("file is larger than the " + std::to_string(max_bytes) +
                                    "-byte limit for this kind of file");
    }
    out.append(buf, r);
  }
  return out;
}

Status StringSink::Append(std::string_view data) {
  out_->append(data);
  appended_ += data.size();
  return Status::OK();
}

StatusOr<size_t> StringSource::Read(char* buf, size_t n) {
  size_t k = std::min(n, data_.size() - pos_);
  std::memcpy(buf, data_.data() + pos_, k);
  pos_ += k;
  return k;
}

}  // namespace cofre
