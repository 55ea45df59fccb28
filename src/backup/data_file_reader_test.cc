#include "backup/data_file_reader.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <zstd.h>

#include <string>

#include "backup/data_file_format.h"
#include "storage/memory_storage.h"
#include "util/sha256.h"

namespace cofre {
namespace {

namespace fmt = data_file_format;

long PeakRssKiB() {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// A data file whose first record claims 2 GiB - 1 bytes but which holds 512 KiB.
std::string ForgedFile() {
  std::string records;
  rowcodec::PutVarint(&records, (1ull << 31) - 1);
  records.append(512 << 10, 'x');
  std::string out(fmt::kMagic, 4);
  std::string z(ZSTD_compressBound(records.size()), '\0');
  size_t n = ZSTD_compress(z.data(), z.size(), records.data(), records.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  z.resize(n);
  return out + z;
}

class ForgedLengthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = ForgedFile();
    storage_.PutRaw("data/1.cfd", file_);
    entry_.set_path("data/1.cfd");
    entry_.set_file_bytes(file_.size());
    entry_.set_sha256(Sha256::Digest(file_));
    entry_.set_logical_bytes(600 << 10);
  }

  MemoryStorage storage_;
  std::string file_;
  proto::DataFile entry_;
  ChainCrypto plain_;
};

TEST_F(ForgedLengthTest, ARecordLongerThanTheFilesRowsIsRefusedBeforeReading) {
  auto reader = DataFileReader::Open(storage_, entry_, plain_);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  rowcodec::Record rec;
  StatusOr<bool> next = (*reader)->Next(&rec);
  EXPECT_EQ(next.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(next.status().message().find("data/1.cfd"), std::string::npos);
  EXPECT_NE(next.status().message().find("impossible length"), std::string::npos);
}

TEST_F(ForgedLengthTest, TheBufferGrowsWithTheDataNotWithTheClaim) {
  const long before = PeakRssKiB();
  auto reader = DataFileReader::OpenRecordFile(storage_, "data/1.cfd",
                                               StoredFileInfo{file_.size(), Sha256::Digest(file_)},
                                               plain_, std::string_view(fmt::kMagic, 4));
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  rowcodec::Record rec;
  StatusOr<bool> next = (*reader)->Next(&rec);
  EXPECT_EQ(next.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(next.status().message().find("ends inside a record"), std::string::npos)
      << next.status().ToString();
  // Allocating what the record claims would take 2 GiB; reading the file takes about 1 MiB.
  EXPECT_LT(PeakRssKiB() - before, 64 << 10);
}

TEST(RowCodecBoundsTest, CountsBeyondTheBytesLeftAreRefused) {
  rowcodec::Record rec;
  std::string body(1, static_cast<char>(fmt::kRecordRow));
  rowcodec::PutVarint(&body, 1900);  // 1900 key values in a 3-byte record
  EXPECT_EQ(rowcodec::DecodeRecord(body, &rec).code(), StatusCode::kDataLoss);
  EXPECT_EQ(rec.key_values.size(), 0u);  // refused before sizing anything by the count
}

}  // namespace
}  // namespace cofre
