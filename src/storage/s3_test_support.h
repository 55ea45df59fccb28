// Helpers for the S3 tests (header-only; included only by *_test.cc files).
//
// S3TestServer: the moto endpoints and credentials that scripts/test-servers.sh exported.
// When the variables are missing the tests FAIL (never skip) with a message saying how to start
// the servers, so CI cannot silently skip S3 coverage.
// ChildProcess: a subprocess (e.g. tests/tools/fault_proxy.py) with its stdout on a pipe,
// killed by pid on destruction. RunCommand: runs a shell command, returns exit status + stdout.
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
  return "s3://" + bucket + "/" + path + "?AWS_ACCESS_KEY_ID=" +
         PercentEncode(server.access_key_id, false) +
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

struct CommandResult {
  int exit_code = -1;
  std::string out;
};

// Runs `command` with /bin/sh and captures its stdout (stderr goes to the test log).
inline CommandResult RunCommand(const std::string& command) {
  CommandResult r;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Runs tests/tools/s3_crosscheck.py (boto3) against `server` with its credentials.
inline CommandResult Boto3(const S3TestServer& server, const std::string& args) {
  return RunCommand("AWS_ACCESS_KEY_ID=" + ShellQuote(server.access_key_id) +
                    " AWS_SECRET_ACCESS_KEY=" + ShellQuote(server.secret_access_key) +
                    " python3 " COFRE_SOURCE_DIR "/tests/tools/s3_crosscheck.py " +
                    ShellQuote(server.endpoint) + " " + args);
}

// A child process running `argv`, whose stdout is readable line by line.
class ChildProcess {
 public:
  explicit ChildProcess(const std::vector<std::string>& argv) {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execvp(args[0], args.data());
      _exit(127);
    }
    close(fds[1]);
    out_ = fdopen(fds[0], "r");
  }
  ~ChildProcess() {
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
    while (out_ != nullptr && (c = fgetc(out_)) != EOF && c != '\n') line.push_back(static_cast<char>(c));
    return line;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
};

}  // namespace cofre::s3_testing

#endif  // COFRE_STORAGE_S3_TEST_SUPPORT_H_
