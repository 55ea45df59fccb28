#include "backup/record_prefetcher.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "backup/data_file_format.h"
#include "backup/data_file_writer.h"
#include "crypto/random.h"
#include "storage/local_storage.h"

namespace cofre {
namespace {

namespace fmt = data_file_format;

// An encrypted chain's data files on local disk, written with DataFileWriter.
class RecordPrefetcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cofre-prefetch-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto storage = LocalStorage::New(dir_, "nodelocal://1/prefetch");
    ASSERT_TRUE(storage.ok()) << storage.status().ToString();
    storage_ = std::move(*storage);
    auto key = RandomSecret(32);
    ASSERT_TRUE(key.ok());
    key_ = std::move(*key);
    crypto_.data_key = &key_;
    crypto_.chain_id = "test-chain";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Row `i` of file `f`: key (rowid) f*100000+i, values (i, text of i's length, blob).
  static std::string Row(int f, int i) {
    std::string body(1, static_cast<char>(fmt::kRecordRow));
    rowcodec::PutVarint(&body, 1);
    rowcodec::AppendInteger(&body, f * 100000 + i);
    rowcodec::PutVarint(&body, 2);
    rowcodec::AppendInteger(&body, i);
    body.push_back(static_cast<char>(fmt::kText));
    std::string text(static_cast<size_t>(i % 300), static_cast<char>('a' + i % 26));
    rowcodec::PutVarint(&body, text.size());
    body += text;
    return body;
  }
  static std::string Tombstone(int64_t key) {
    std::string body(1, static_cast<char>(fmt::kRecordTombstone));
    rowcodec::PutVarint(&body, 1);
    rowcodec::AppendInteger(&body, key);
    return body;
  }

  proto::DataFile Write(const std::string& path, const std::vector<std::string>& bodies) {
    proto::DataFile file;
    auto w = DataFileWriter::Open(*storage_, path, crypto_, ZstdOptions{});
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    for (const auto& b : bodies) EXPECT_TRUE((*w)->AddRecord(b).ok());
    Status st = (*w)->Finish(&file);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return file;
  }

  std::vector<RecordPrefetcher::Unit> Units(const std::vector<proto::DataFile>& files) {
    std::vector<RecordPrefetcher::Unit> units;
    for (const auto& f : files) units.push_back(RecordPrefetcher::FileUnit(*storage_, f, crypto_));
    return units;
  }

  std::string dir_;
  std::unique_ptr<LocalStorage> storage_;
  SecretBytes key_;
  ChainCrypto crypto_;
};

TEST_F(RecordPrefetcherTest, DeliversEveryRecordOfEveryFileInOrderWithBoundedBatches) {
  const int kFiles = 3, kRows = 5000;
  std::vector<proto::DataFile> files;
  for (int f = 0; f < kFiles; ++f) {
    std::vector<std::string> bodies;
    for (int i = 0; i < kRows; ++i) bodies.push_back(Row(f, i));
    if (f == 2) bodies.push_back(Tombstone(7));
    files.push_back(Write("data/" + std::to_string(f) + ".cfd", bodies));
  }
  files.push_back(Write("data/empty.cfd", {}));
  RecordPrefetcher::Options opts;
  opts.batch_bytes = 4096;  // many batches per file
  opts.max_batches = 2;
  auto started = RecordPrefetcher::Start(Units(files), opts);
  ASSERT_TRUE(started.ok());
  auto p = std::move(*started);
  std::vector<int> seen(files.size(), 0);
  std::vector<bool> ended(files.size(), false);
  bool tombstone = false;
  size_t batches = 0;
  while (true) {
    auto next = p->Next();
    ASSERT_TRUE(next.ok()) << next.status().ToString();
    const RecordBatch* b = *next;
    if (!b) break;
    ++batches;
    const size_t f = b->unit_index();
    ASSERT_LT(f, files.size());
    for (size_t g = 0; g < f; ++g) EXPECT_TRUE(ended[g]) << "unit " << g << " before " << f;
    EXPECT_FALSE(ended[f]);
    for (size_t r = 0; r < b->size(); ++r) {
      const auto& e = b->entry(r);
      if (e.kind == fmt::kRecordTombstone) {
        EXPECT_EQ(f, 2u);
        EXPECT_EQ(e.key_count, 1u);
        EXPECT_EQ(b->key_values(r)[0].i, 7);
        tombstone = true;
        continue;
      }
      const int i = seen[f]++;
      ASSERT_EQ(e.kind, fmt::kRecordRow);
      ASSERT_EQ(e.key_count, 1u);
      ASSERT_EQ(e.value_count, 2u);
      EXPECT_EQ(b->key_values(r)[0].i, static_cast<int64_t>(f) * 100000 + i);
      EXPECT_EQ(b->values(r)[0].i, i);
      EXPECT_EQ(b->values(r)[1].bytes,
                std::string(static_cast<size_t>(i % 300), static_cast<char>('a' + i % 26)));
    }
    if (b->unit_end()) ended[f] = true;
  }
  for (size_t f = 0; f < files.size(); ++f) {
    EXPECT_TRUE(ended[f]) << f;
    EXPECT_EQ(seen[f], f < kFiles ? kRows : 0) << f;
  }
  EXPECT_TRUE(tombstone);
  EXPECT_GT(batches, 100u);  // 4 KiB batches: the data really went through many of them
}

TEST_F(RecordPrefetcherTest, CorruptFileFailsAfterTheRecordsBeforeIt) {
  std::vector<std::string> bodies;
  for (int i = 0; i < 2000; ++i) bodies.push_back(Row(0, i));
  std::vector<proto::DataFile> files = {Write("data/good.cfd", bodies),
                                        Write("data/bad.cfd", bodies)};
  // Flip one byte in the middle of the second file.
  std::string bad = dir_ + "/data/bad.cfd";
  std::fstream io(bad, std::ios::in | std::ios::out | std::ios::binary);
  io.seekg(static_cast<std::streamoff>(files[1].file_bytes() / 2));
  char c;
  io.get(c);
  io.seekp(static_cast<std::streamoff>(files[1].file_bytes() / 2));
  io.put(static_cast<char>(c ^ 0x10));
  io.close();

  auto started = RecordPrefetcher::Start(Units(files));
  ASSERT_TRUE(started.ok());
  auto p = std::move(*started);
  bool first_ended = false;
  Status error;
  while (true) {
    auto next = p->Next();
    if (!next.ok()) {
      error = next.status();
      break;
    }
    ASSERT_NE(*next, nullptr) << "a corrupt file must not read as complete";
    if ((*next)->unit_index() == 0 && (*next)->unit_end()) first_ended = true;
    EXPECT_FALSE((*next)->unit_index() == 1 && (*next)->unit_end());
  }
  EXPECT_TRUE(first_ended);
  EXPECT_EQ(error.code(), StatusCode::kDataLoss) << error.ToString();
  EXPECT_NE(error.message().find("data/bad.cfd"), std::string::npos) << error.message();
}

TEST_F(RecordPrefetcherTest, ConsumerMayStopEarly) {
  std::vector<std::string> bodies;
  for (int i = 0; i < 20000; ++i) bodies.push_back(Row(0, i));
  std::vector<proto::DataFile> files = {Write("data/a.cfd", bodies), Write("data/b.cfd", bodies)};
  RecordPrefetcher::Options opts;
  opts.batch_bytes = 1024;
  opts.max_batches = 2;
  auto started = RecordPrefetcher::Start(Units(files), opts);
  ASSERT_TRUE(started.ok());
  auto p = std::move(*started);
  auto first = p->Next();
  ASSERT_TRUE(first.ok());
  ASSERT_NE(*first, nullptr);
  p.reset();  // the background thread is blocked on a full queue: must stop and be joined
  SUCCEED();
}

TEST_F(RecordPrefetcherTest, UnitErrorsComeOutInOrder) {
  std::vector<RecordPrefetcher::Unit> units;
  units.push_back({"one", [](const RecordPrefetcher::BodySink& emit) { return emit(Row(0, 1)); }});
  units.push_back({"two", [](const RecordPrefetcher::BodySink& emit) -> Status {
                     RETURN_IF_ERROR(emit(Row(0, 2)));
                     return UnavailableError("storage went away reading two");
                   }});
  units.push_back({"three", [](const RecordPrefetcher::BodySink&) -> Status {
                     ADD_FAILURE() << "a unit after a failed one ran";
                     return Status::OK();
                   }});
  auto started = RecordPrefetcher::Start(std::move(units));
  ASSERT_TRUE(started.ok());
  auto p = std::move(*started);
  auto a = p->Next();
  ASSERT_TRUE(a.ok());
  ASSERT_NE(*a, nullptr);
  EXPECT_EQ((*a)->unit_index(), 0u);
  EXPECT_TRUE((*a)->unit_end());
  auto b = p->Next();
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kUnavailable);
  // A malformed body is DataLoss naming the unit.
  std::vector<RecordPrefetcher::Unit> bad;
  bad.push_back({"data/x.cfd", [](const RecordPrefetcher::BodySink& emit) {
                   return emit(std::string("\x01\x01\x09", 3));
                 }});
  auto started_q = RecordPrefetcher::Start(std::move(bad));
  ASSERT_TRUE(started_q.ok());
  auto q = std::move(*started_q);
  auto c = q->Next();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(c.status().message().find("data/x.cfd"), std::string::npos);
}

}  // namespace
}  // namespace cofre
