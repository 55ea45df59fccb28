#include "backup/stored_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "backup/collection.h"
#include "storage/memory_storage.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

using ::testing::HasSubstr;

// FetchStoredFile then DecodeStoredFile reads what WriteStoredFile wrote.
class FetchAndDecodeTest : public ::testing::TestWithParam<bool> {
 protected:
  ChainCrypto crypto() const {
    return GetParam() ? ChainCrypto{&key_, std::string(16, 'c')} : ChainCrypto{};
  }
  MemoryStorage storage_{"mem://fetch"};
  const SecretBytes key_ = SecretBytes(std::string(32, 'k'));
};

TEST_P(FetchAndDecodeTest, ReadsWhatWasWritten) {
  const std::string contents(200000, 'm');
  ASSERT_THAT(WriteStoredFile(storage_, "b/M", crypto(), contents), IsOk());
  ASSERT_OK_AND_ASSIGN(std::string stored, FetchStoredFile(storage_, "b/M", contents.size()));
  EXPECT_EQ(stored.size() > contents.size(), GetParam()) << "stored as written";
  EXPECT_THAT(DecodeStoredFile(stored, "b/M", crypto(), contents.size()), IsOkAndHolds(contents));
  // Over the plaintext limit: refused by the decoding.
  EXPECT_THAT(DecodeStoredFile(stored, "b/M", crypto(), contents.size() - 1),
              StatusIs(StatusCode::kResourceExhausted));
}

TEST_P(FetchAndDecodeTest, AMissingFileIsNamed) {
  EXPECT_THAT(
      FetchStoredFile(storage_, "b/none", 1000),
      StatusIs(StatusCode::kNotFound, HasSubstr("backup file b/none is missing from mem://fetch")));
}

TEST_P(FetchAndDecodeTest, AStoredFileLongerThanItsLimitAllowsIsNotFetched) {
  ASSERT_THAT(WriteStoredFile(storage_, "b/M", crypto(), std::string(300000, 'x')), IsOk());
  EXPECT_THAT(FetchStoredFile(storage_, "b/M", 100000),
              StatusIs(StatusCode::kResourceExhausted, HasSubstr("b/M")));
}

INSTANTIATE_TEST_SUITE_P(Chains, FetchAndDecodeTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Encrypted" : "Plain"; });

// Encrypted bytes tampered with, or decoded under another file's name, are refused.
TEST(DecodeStoredFile, TamperedOrMovedBytesAreRefusedNamingTheFile) {
  MemoryStorage storage;
  const SecretBytes key(std::string(32, 'k'));
  const ChainCrypto crypto{&key, std::string(16, 'c')};
  ASSERT_THAT(WriteStoredFile(storage, "b/M", crypto, std::string(1000, 'x')), IsOk());
  ASSERT_OK_AND_ASSIGN(std::string stored, FetchStoredFile(storage, "b/M", 1000));
  std::string flipped = stored;
  flipped[flipped.size() / 2] ^= 1;
  EXPECT_THAT(DecodeStoredFile(flipped, "b/M", crypto, 1000),
              StatusIs(StatusCode::kDataLoss, HasSubstr("b/M")));
  EXPECT_THAT(DecodeStoredFile(stored, "b/N", crypto, 1000), StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(DecodeStoredFile(stored, "b/M", crypto, 1000), IsOkAndHolds(std::string(1000, 'x')));
}

// ListIncrementalDirs lists every layer directory, finished or not.
TEST(ListIncrementalDirs, ListsFinishedAndUnfinishedLayers) {
  MemoryStorage storage;
  const std::string full = "2026/12/07-090000.00";
  const std::string done = "incrementals/" + full + "/20261207/091000.00";
  const std::string unfinished = "incrementals/" + full + "/20261207/092000.00";
  const std::string next_day = "incrementals/" + full + "/20261208/010000.00";
  ASSERT_THAT(WriteSmallFile(storage, done + "/BACKUP_MANIFEST", "m"), IsOk());
  ASSERT_THAT(WriteSmallFile(storage, unfinished + "/data/1.cfd", "d"), IsOk());
  ASSERT_THAT(WriteSmallFile(storage, next_day + "/BACKUP_MANIFEST", "m"), IsOk());
  EXPECT_THAT(collection::ListIncrementalDirs(storage, "incrementals/", full),
              IsOkAndHolds(std::vector<std::string>{done, unfinished, next_day}));
  EXPECT_THAT(collection::ListIncrementalDirs(storage, "incrementals/", "2026/12/01-000000.00"),
              IsOkAndHolds(std::vector<std::string>{}));
}

}  // namespace
}  // namespace cofre
