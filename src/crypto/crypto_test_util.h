// Helpers shared by the crypto layer's tests (hex, test data files, scripted streams).
// Test-only: included from *_test.cc, never from library code.
#ifndef COFRE_CRYPTO_CRYPTO_TEST_UTIL_H_
#define COFRE_CRYPTO_CRYPTO_TEST_UTIL_H_

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"
#include "util/stream.h"

namespace cofre::testing_util {

inline std::string Hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 0xf]);
  }
  return out;
}

inline std::string Unhex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1])));
  }
  return out;
}

// Bytes (i * 7 + 3) % 251: the plaintext pattern of the known-answer vectors.
inline std::string Pattern(size_t n) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>((i * 7 + 3) % 251);
  return out;
}

// Reads a file under tests/testdata/crypto/ (tests run from the repository root; COFRE_SOURCE_DIR
// makes them work from anywhere).
inline std::string ReadTestData(const std::string& name) {
  std::ifstream in(std::string(COFRE_SOURCE_DIR) + "/tests/testdata/crypto/" + name,
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Parses "key = value" blocks separated by blank lines; '#' lines are comments.
inline std::vector<std::map<std::string, std::string>> ParseVectors(const std::string& text) {
  std::vector<std::map<std::string, std::string>> out;
  std::map<std::string, std::string> cur;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '#') continue;
    size_t eq = line.find(" = ");
    if (eq == std::string::npos) {
      if (!cur.empty()) out.push_back(std::move(cur));
      cur.clear();
      continue;
    }
    cur[line.substr(0, eq)] = line.substr(eq + 3);
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

// A ByteSource over a string that returns at most `max_read` bytes per call (exercises callers
// that must loop) and, optionally, fails with `error` once `fail_at` bytes have been read.
class TrickleSource : public ByteSource {
 public:
  TrickleSource(std::string data, size_t max_read, size_t fail_at = SIZE_MAX,
                Status error = Status::OK())
      : data_(std::move(data)), max_read_(max_read), fail_at_(fail_at), error_(error) {}
  StatusOr<size_t> Read(char* buf, size_t n) override {
    if (pos_ >= fail_at_) return error_;
    size_t k = std::min({n, max_read_, data_.size() - pos_, fail_at_ - pos_});
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string data_;
  size_t max_read_;
  size_t pos_ = 0;
  size_t fail_at_;
  Status error_;
};

// A ByteSink into a string that records Close() and can fail after `fail_after` appends.
class RecordingSink : public ByteSink {
 public:
  RecordingSink(std::string* out, bool* closed, int fail_after = -1)
      : out_(out), closed_(closed), fail_after_(fail_after) {}
  Status Append(std::string_view data) override {
    if (fail_after_ >= 0 && appends_ >= fail_after_) {
      return UnavailableError("test sink: injected write failure");
    }
    ++appends_;
    out_->append(data);
    appended_ += data.size();
    return Status::OK();
  }
  Status Close() override {
    *closed_ = true;
    return Status::OK();
  }
  uint64_t BytesAppended() const override { return appended_; }

 private:
  std::string* out_;
  bool* closed_;
  int fail_after_;
  int appends_ = 0;
  uint64_t appended_ = 0;
};

}  // namespace cofre::testing_util

#endif  // COFRE_CRYPTO_CRYPTO_TEST_UTIL_H_
