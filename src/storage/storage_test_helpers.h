// Helpers for the storage layer's tests (header-only; included only by
// *_test.cc files).
//
// TempDir: a fresh directory under /tmp, removed with its contents on
// destruction.
// RunInChild: runs a function in a forked child process and returns the string
// it produced; for tests that change process-wide state (resource limits, user
// ids) or die abruptly.
//
// Thread-safety: single-threaded test code.
#ifndef COFRE_STORAGE_STORAGE_TEST_HELPERS_H_
#define COFRE_STORAGE_STORAGE_TEST_HELPERS_H_

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "storage/external_storage.h"

namespace cofre::storage_testing {

class TempDir {
 public:
  TempDir() {
    std::string templ = "/tmp/cofre-storage-test-XXXXXX";
    char* p = ::mkdtemp(templ.data());
    if (p != nullptr) path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Forks; the child runs `fn` and sends back its result. Returns "child failed:
// ..." if the child died without answering.
inline std::string RunInChild(const std::function<std::string()>& fn) {
  int fds[2];
  if (::pipe(fds) != 0) return "child failed: pipe";
  pid_t pid = ::fork();
  if (pid < 0) return "child failed: fork";
  if (pid == 0) {
    ::close(fds[0]);
    std::string out = fn();
    size_t off = 0;
    while (off < out.size()) {
      ssize_t w = ::write(fds[1], out.data() + off, out.size() - off);
      if (w <= 0) break;
      off += static_cast<size_t>(w);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string result;
  char buf[4096];
  ssize_t r;
  while ((r = ::read(fds[0], buf, sizeof(buf))) > 0) result.append(buf, static_cast<size_t>(r));
  ::close(fds[0]);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return "child failed: abnormal exit; output: " + result;
  }
  return result;
}

// Lists `prefix` with `delimiter` and renders entries as "path:size" or
// "prefix/" strings.
inline std::vector<std::string> ListToStrings(ExternalStorage& storage, const std::string& prefix,
                                              const std::string& delimiter,
                                              Status* status = nullptr) {
  std::vector<std::string> out;
  Status s = storage.List(prefix, delimiter, [&](const ListEntry& e) {
    out.push_back(e.is_prefix ? e.path : e.path + ":" + std::to_string(e.size));
    return Status::OK();
  });
  if (status != nullptr) *status = s;
  if (!s.ok()) out.push_back("ERROR " + s.ToString());
  return out;
}

// A deterministic pseudo-random byte string of length `n` (seeded by `seed`).
inline std::string PatternBytes(size_t n, uint32_t seed) {
  std::string out(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    out[i] = static_cast<char>(x & 0xff);
  }
  return out;
}

// Paths whose listing order tests the byte order of keys and the "/" delimiter: prefixes that are
// whole segments and prefixes that are not, "-" and "." sorting before "/", decimal names.
inline const std::vector<std::string>& TreePaths() {
  static const std::vector<std::string> kPaths = {"x/y/z",
                                                  "x/y-z",
                                                  "x/y.z",
                                                  "x/yz",
                                                  "x-1",
                                                  "x0",
                                                  "x.d/q",
                                                  "w",
                                                  "data/1.cfd",
                                                  "data/10.cfd",
                                                  "data/2.cfd",
                                                  "2026/11/28-145137.12/BACKUP_MANIFEST",
                                                  "2026/11/28-145137.12/data/1.cfd",
                                                  "2026/11/29-000000.00/BACKUP_MANIFEST"};
  return kPaths;
}

}  // namespace cofre::storage_testing

#endif  // COFRE_STORAGE_STORAGE_TEST_HELPERS_H_
