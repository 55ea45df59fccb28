// Helpers for the Azure tests (header-only; included only by *_test.cc files).
//
// AzureTestServer: the Azurite endpoint, account and key that scripts/test-servers.sh exported.
// When the variables are missing the tests FAIL (never skip) with a message saying how to start
// the servers, so CI cannot silently skip Azure coverage.
// Thread-safety: single-threaded test code.
#ifndef COFRE_STORAGE_AZURE_TEST_SUPPORT_H_
#define COFRE_STORAGE_AZURE_TEST_SUPPORT_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "storage/azure_storage.h"
#include "util/uri.h"

namespace cofre::azure_testing {

struct AzureTestServer {
  std::string endpoint;  // http://127.0.0.1:PORT/<account>
  std::string account;
  std::string key;
};

inline std::optional<AzureTestServer> RequireAzurite() {
  AzureTestServer s;
  for (auto [name, out] : {std::pair{"COFRE_TEST_AZURE_ENDPOINT", &s.endpoint},
                           std::pair{"COFRE_TEST_AZURE_ACCOUNT", &s.account},
                           std::pair{"COFRE_TEST_AZURE_KEY", &s.key}}) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') {
      ADD_FAILURE() << name
                    << " is not set: the Azure tests need Azurite. Run `scripts/test-servers.sh "
                       "start` and `source build/test-servers.env` (or `make test`) first.";
      return std::nullopt;
    }
    *out = v;
  }
  return s;
}

// A container name unique to this process and call.
inline std::string UniqueContainer(const std::string& tag) {
  static std::atomic<int> counter{0};
  return "cofre-" + tag + "-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
}

// "azure-blob://container/path?AZURE_ACCOUNT_NAME=..&AZURE_ACCOUNT_KEY=..&AZURE_BLOB_ENDPOINT=.."
// plus `extra` ("&K=V..." already encoded).
inline std::string AzureUri(const AzureTestServer& s, const std::string& container,
                            const std::string& path, const std::string& extra = "") {
  return "azure-blob://" + container + "/" + path +
         "?AZURE_ACCOUNT_NAME=" + PercentEncode(s.account, false) +
         "&AZURE_ACCOUNT_KEY=" + PercentEncode(s.key, false) +
         "&AZURE_BLOB_ENDPOINT=" + PercentEncode(s.endpoint, false) + extra;
}

inline AzureSettings FastAzureSettings() {
  AzureSettings s;
  s.block_size = 1 << 20;
  s.max_blocks_in_flight = 2;
  s.retry.initial_backoff = std::chrono::milliseconds(10);
  s.retry.max_backoff = std::chrono::milliseconds(100);
  s.retry.max_attempts = 6;
  s.retry.total_budget = std::chrono::milliseconds(20'000);
  return s;
}

// Opens the storage for `uri` (creating its container), failing the test on error.
inline std::unique_ptr<AzureStorage> OpenAzureOrDie(const std::string& uri,
                                                    const AzureSettings& settings) {
  StatusOr<Uri> parsed = ParseUri(uri);
  EXPECT_TRUE(parsed.ok()) << parsed.status().ToString();
  if (!parsed.ok()) return nullptr;
  StatusOr<std::unique_ptr<AzureStorage>> s = OpenAzureStorage(*parsed, settings);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  if (!s.ok()) return nullptr;
  Status created = (*s)->client().CreateContainer();
  EXPECT_TRUE(created.ok()) << created.ToString();
  return std::move(*s);
}

}  // namespace cofre::azure_testing

#endif  // COFRE_STORAGE_AZURE_TEST_SUPPORT_H_
