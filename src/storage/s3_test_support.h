// Helpers for the S3 tests (header-only; included only by *_test.cc files).
//
// S3TestServer: the moto endpoints and credentials that scripts/test-servers.sh exported.
// When the variables are missing the tests FAIL (never skip) with a message saying how to start
// the servers, so CI cannot silently skip S3 coverage.
// ChildProcess: a subprocess (e.g. tests/tools/fault_proxy.py) speaking lines on its stdin and
// stdout, killed by pid on destruction. Boto3Client: boto3 as an independent S3 client.
// Thread-safety: single-threaded test code.
#ifndef COFRE_STORAGE_S3_TEST_SUPPORT_H_
#define COFRE_STORAGE_S3_TEST_SUPPORT_H_

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "storage/s3_storage.h"
#include "util/uri.h"

namespace cofre::s3_testing {

struct S3TestServer {
  std::string endpoint;
  std::string access_key_id;
  std::string secret_access_key;
};

inline std::optional<std::string> Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return std::nullopt;
  return std::string(v);
}

inline constexpr const char* kStartServersHint =
    " is not set: the S3 tests need the local moto servers. Run `scripts/test-servers.sh start` "
    "and `source build/test-servers.env` (or `make test`, which does both) before running them.";

// The plain server (no signature checks) or the signature-checking one. Records a test failure
// and returns nullopt when the environment lacks it.
inline std::optional<S3TestServer> RequireServer(bool auth) {
  const char* ep = auth ? "COFRE_TEST_S3_AUTH_ENDPOINT" : "COFRE_TEST_S3_ENDPOINT";
  const char* id = auth ? "COFRE_TEST_S3_AUTH_ACCESS_KEY_ID" : "COFRE_TEST_S3_ACCESS_KEY_ID";
  const char* secret =
      auth ? "COFRE_TEST_S3_AUTH_SECRET_ACCESS_KEY" : "COFRE_TEST_S3_SECRET_ACCESS_KEY";
  for (const char* name : {ep, id, secret}) {
    if (!Env(name)) {
      ADD_FAILURE() << name << kStartServersHint;
      return std::nullopt;
    }
  }
  return S3TestServer{*Env(ep), *Env(id), *Env(secret)};
}

// A bucket name unique to this process and call.
inline std::string UniqueBucket(const std::string& tag) {
  static std::atomic<int> counter{0};
  return "cofre-" + tag + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

// "s3://bucket/path?AWS_ACCESS_KEY_ID=..&AWS_SECRET_ACCESS_KEY=..&AWS_ENDPOINT=..&..." plus
// `extra` ("&K=V..." already encoded).
inline std::string S3Uri(const S3TestServer& server, const std::string& bucket,
                         const std::string& path, const std::string& extra = "",
                         const std::string& endpoint_override = "") {
  const std::string& ep = endpoint_override.empty() ? server.endpoint : endpoint_override;
  return "s3://" + bucket + "/" + path +
         "?AWS_ACCESS_KEY_ID=" + PercentEncode(server.access_key_id, false) +
         "&AWS_SECRET_ACCESS_KEY=" + PercentEncode(server.secret_access_key, false) +
         "&AWS_REGION=us-east-1&AWS_ENDPOINT=" + PercentEncode(ep, false) +
         "&AWS_USE_PATH_STYLE=true" + extra;
}

inline S3Settings FastTestSettings() {
  S3Settings s;
  s.part_size = 5 << 20;
  s.max_parts_in_flight = 2;
  s.retry.initial_backoff = std::chrono::milliseconds(10);
  s.retry.max_backoff = std::chrono::milliseconds(100);
  s.retry.max_attempts = 6;
  s.retry.total_budget = std::chrono::milliseconds(20'000);
  return s;
}

// Opens the storage for `uri`, failing the test on error.
inline std::unique_ptr<S3Storage> OpenOrDie(const std::string& uri, const S3Settings& settings) {
  StatusOr<Uri> parsed = ParseUri(uri);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  if (!parsed.ok()) return nullptr;
  StatusOr<std::unique_ptr<S3Storage>> s = OpenS3Storage(*parsed, settings);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return nullptr;
  return std::move(*s);
}

// A child process running `argv`, with its stdin and stdout on pipes (line protocol).
// Destruction closes stdin, sends SIGTERM to the child's pid and reaps it.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv) {
    int out[2], in[2];
    if (pipe(out) != 0 || pipe(in) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      dup2(in[0], STDIN_FILENO);
      close(out[0]);
      close(out[1]);
      close(in[0]);
      close(in[1]);
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    close(out[1]);
    close(in[0]);
    out_ = fdopen(out[0], "r");
    in_ = fdopen(in[1], "w");
  }
  ~ChildProcess() {
    if (in_ != nullptr) fclose(in_);
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ != nullptr) fclose(out_);
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The next line of the child's stdout (without '\n'); "" at end of stream.
  std::string ReadLine() {
    std::string line;
    int c;
    while (out_ != nullptr && (c = fgetc(out_)) != EOF && c != '\n') {
      line.push_back(static_cast<char>(c));
    }
    return line;
  }
  // Writes `line` and a newline to the child's stdin.
  void WriteLine(const std::string& line) {
    if (in_ == nullptr) return;
    fputs(line.c_str(), in_);
    fputc('\n', in_);
    fflush(in_);
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  FILE* in_ = nullptr;
};

inline std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  return out + "\"";
}

// boto3 (tests/tools/s3_crosscheck.py) as an independent S3 client, started once per test
// binary. Call() returns "OK <output>" or "ERR <message>".
class Boto3Client {
 public:
  static Boto3Client& Get() {
    static Boto3Client* client = new Boto3Client();
    return *client;
  }

  // `fields` are extra JSON members, e.g. {{"key", "k"}, {"file", "/tmp/x"}}.
  std::string Call(const S3TestServer& server, const std::string& cmd, const std::string& bucket,
                   const std::vector<std::pair<std::string, std::string>>& fields = {}) {
    std::string req = "{\"endpoint\": " + JsonString(server.endpoint) +
                      ", \"key_id\": " + JsonString(server.access_key_id) +
                      ", \"secret\": " + JsonString(server.secret_access_key) +
                      ", \"cmd\": " + JsonString(cmd) + ", \"bucket\": " + JsonString(bucket);
    for (const auto& [k, v] : fields) req += ", " + JsonString(k) + ": " + JsonString(v);
    req += "}";
    std::lock_guard<std::mutex> lock(mu_);
    child_.WriteLine(req);
    return child_.ReadLine();
  }

 private:
  Boto3Client() : child_({"python3", COFRE_SOURCE_DIR "/tests/tools/s3_crosscheck.py"}) {}

  std::mutex mu_;
  ChildProcess child_;
};

}  // namespace cofre::s3_testing

#endif  // COFRE_STORAGE_S3_TEST_SUPPORT_H_
