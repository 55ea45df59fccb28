#include "sql/backup_chain.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "storage/memory_storage.h"
#include "util/status_matchers.h"

namespace cofre::sql {
namespace {

using ::testing::HasSubstr;

std::vector<std::string> LayerDirs(const std::vector<FetchedManifest>& fetched) {
  std::vector<std::string> dirs;
  for (const FetchedManifest& layer : fetched) dirs.push_back(layer.layer_dir);
  return dirs;
}

// FetchChain fetches the full backup's manifest and those of its finished incremental layers,
// oldest first; a layer without a manifest (not finished) is skipped, a missing full backup is
// named.
TEST(FetchChain, FetchesTheFinishedLayersOnly) {
  MemoryStorage storage;
  ChainStorage chain;
  chain.collection = &storage;
  const std::string full = "2026/12/07-090000.00";
  const std::string done = "incrementals/" + full + "/20261207/091000.00";
  const std::string unfinished = "incrementals/" + full + "/20261207/092000.00";
  const std::string next_day = "incrementals/" + full + "/20261208/010000.00";
  ASSERT_THAT(WriteSmallFile(storage, full + "/BACKUP_MANIFEST", "f"), IsOk());
  ASSERT_THAT(WriteSmallFile(storage, done + "/BACKUP_MANIFEST", "m"), IsOk());
  ASSERT_THAT(WriteSmallFile(storage, unfinished + "/data/1.cfd", "d"), IsOk());
  ASSERT_THAT(WriteSmallFile(storage, next_day + "/BACKUP_MANIFEST", "n"), IsOk());
  StatusOr<std::vector<FetchedManifest>> fetched = FetchChain(chain, full);
  ASSERT_THAT(fetched, IsOk());
  EXPECT_EQ(LayerDirs(*fetched), (std::vector<std::string>{full, done, next_day}));
  EXPECT_EQ((*fetched)[1].stored, "m");
  EXPECT_THAT(FetchChain(chain, "2026/12/01-000000.00"),
              StatusIs(StatusCode::kNotFound, HasSubstr("not found in mem://test")));
}

}  // namespace
}  // namespace cofre::sql
