#include "backup/collection.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/memory_storage.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

// Two backups of one process ending in the same hundredth of a second get different layer
// directories even before either has written its BACKUP-LOCK.
TEST(FreeLayerDir, BackupsOfTheSameInstantNeverShareADirectory) {
  MemoryStorage storage;
  const int64_t micros = 1795000000123456;
  std::vector<std::string> dirs(4);
  std::vector<std::thread> threads;
  for (auto& dir : dirs) {
    threads.emplace_back([&] {
      StatusOr<std::string> d = collection::FreeLayerDir(storage, collection::FullSubdir, micros);
      dir = d.ok() ? *d : "error: " + d.status().ToString();
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> distinct(dirs.begin(), dirs.end());
  EXPECT_EQ(distinct.size(), dirs.size());
  for (const auto& d : dirs) EXPECT_EQ(d.find("error"), std::string::npos) << d;
  EXPECT_TRUE(distinct.contains(collection::FullSubdir(micros)));
}

}  // namespace
}  // namespace cofre
