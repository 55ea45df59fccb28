#include "backup/span_reader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "backup/data_file_format.h"
#include "backup/data_file_writer.h"
#include "backup/key_order.h"
#include "backup/row_codec.h"
#include "backup/span_prefetcher.h"
#include "storage/memory_storage.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

namespace fmt = data_file_format;

std::string TextKey(std::string_view text, int64_t second) {
  std::string key;
  rowcodec::PutVarint(&key, 2);
  key.push_back(static_cast<char>(fmt::kText));
  rowcodec::PutVarint(&key, text.size());
  key.append(text);
  rowcodec::AppendInteger(&key, second);
  return key;
}

std::string RealKey(double d) {
  std::string key;
  rowcodec::PutVarint(&key, 1);
  key.push_back(static_cast<char>(fmt::kReal));
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  for (int i = 0; i < 8; ++i) key.push_back(static_cast<char>(bits >> (8 * i)));
  return key;
}

std::string Row(const std::string& key, int64_t value) {
  std::string body(1, static_cast<char>(fmt::kRecordRow));
  body.append(key);
  rowcodec::PutVarint(&body, 1);
  rowcodec::AppendInteger(&body, value);
  return body;
}

std::string Tombstone(const std::string& key) {
  return std::string(1, static_cast<char>(fmt::kRecordTombstone)) + key;
}

class SpanReaderTest : public ::testing::Test {
 protected:
  SpanReaderTest() : key_(std::string(32, 'k')) {
    storage_.collection = &memory_;
    crypto_.data_key = &key_;
    crypto_.chain_id = "chain";
  }

  // Writes a file of `records` and appends it to `span`.
  void AddFile(proto::Span* span, proto::FileKind kind, const std::vector<std::string>& records) {
    std::string path = "data/" + std::to_string(++files_) + ".cfd";
    auto writer = DataFileWriter::Open(memory_, path, crypto_, ZstdOptions{});
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    for (const auto& r : records) ASSERT_TRUE((*writer)->AddRecord(r).ok());
    proto::DataFile* file = span->add_files();
    file->set_kind(kind);
    file->set_layer(span->files_size() - 1);
    ASSERT_TRUE((*writer)->Finish(file).ok());
  }

  // Every row a prefetcher yields: key -> body (a failed read fails the test and ends the list).
  static std::vector<std::pair<std::string, std::string>> Drain(SpanPrefetcher& prefetched) {
    std::vector<std::pair<std::string, std::string>> out;
    std::string_view key, body;
    while (true) {
      auto more = prefetched.Next(&key, &body);
      EXPECT_TRUE(more.ok()) << more.status().ToString();
      if (!more.ok() || !*more) break;
      out.emplace_back(std::string(key), std::string(body));
    }
    return out;
  }

  // Every row of `span`: key -> body, checking that keys come in strictly increasing order.
  std::vector<std::pair<std::string, std::string>> ReadAll(const proto::Span& span,
                                                           KeyOrder order = KeyOrder()) {
    std::vector<std::pair<std::string, std::string>> out;
    auto reader = SpanReader::Open(storage_, span, crypto_, order);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return out;
    std::string_view key, body;
    while (true) {
      auto more = (*reader)->Next(&key, &body);
      EXPECT_TRUE(more.ok()) << more.status().ToString();
      if (!more.ok() || !*more) break;
      if (!out.empty()) {
        EXPECT_LT(order.Compare(out.back().first, key), 0);
      }
      EXPECT_EQ(body.substr(1, key.size()), key);
      out.emplace_back(std::string(key), std::string(body));
    }
    return out;
  }

  MemoryStorage memory_;
  SecretBytes key_;
  ChainStorage storage_;
  ChainCrypto crypto_;
  int files_ = 0;
};

TEST_F(SpanReaderTest, NewestFileWinsAndTombstonesDelete) {
  proto::Span span;
  // Keys 65 and 128 sort the other way round as encoded bytes: the merge must compare numbers.
  AddFile(&span, proto::FILE_KIND_BASE,
          {Row(rowcodec::EncodeRowidKey(-5), 0), Row(rowcodec::EncodeRowidKey(1), 1),
           Row(rowcodec::EncodeRowidKey(3), 3), Row(rowcodec::EncodeRowidKey(5), 5),
           Row(rowcodec::EncodeRowidKey(65), 65), Row(rowcodec::EncodeRowidKey(128), 128)});
  AddFile(&span, proto::FILE_KIND_DELTA,
          {Row(rowcodec::EncodeRowidKey(0), 100), Row(rowcodec::EncodeRowidKey(3), 103),
           Tombstone(rowcodec::EncodeRowidKey(5)), Row(rowcodec::EncodeRowidKey(66), 166),
           Row(rowcodec::EncodeRowidKey(200), 200)});
  AddFile(&span, proto::FILE_KIND_DELTA,
          {Tombstone(rowcodec::EncodeRowidKey(-5)), Row(rowcodec::EncodeRowidKey(3), 203),
           Row(rowcodec::EncodeRowidKey(5), 205), Tombstone(rowcodec::EncodeRowidKey(200)),
           Tombstone(rowcodec::EncodeRowidKey(999))});
  auto rows = ReadAll(span);
  std::vector<std::pair<std::string, std::string>> want = {
      {rowcodec::EncodeRowidKey(0), Row(rowcodec::EncodeRowidKey(0), 100)},
      {rowcodec::EncodeRowidKey(1), Row(rowcodec::EncodeRowidKey(1), 1)},
      {rowcodec::EncodeRowidKey(3), Row(rowcodec::EncodeRowidKey(3), 203)},
      {rowcodec::EncodeRowidKey(5), Row(rowcodec::EncodeRowidKey(5), 205)},
      {rowcodec::EncodeRowidKey(65), Row(rowcodec::EncodeRowidKey(65), 65)},
      {rowcodec::EncodeRowidKey(66), Row(rowcodec::EncodeRowidKey(66), 166)},
      {rowcodec::EncodeRowidKey(128), Row(rowcodec::EncodeRowidKey(128), 128)}};
  EXPECT_EQ(rows, want);
}

TEST_F(SpanReaderTest, EmptyFilesAndEmptySpan) {
  proto::Span span;
  AddFile(&span, proto::FILE_KIND_BASE, {});
  EXPECT_TRUE(ReadAll(span).empty());
  AddFile(&span, proto::FILE_KIND_DELTA, {Row(rowcodec::EncodeRowidKey(7), 7)});
  AddFile(&span, proto::FILE_KIND_DELTA, {Tombstone(rowcodec::EncodeRowidKey(7))});
  EXPECT_TRUE(ReadAll(span).empty());
}

TEST_F(SpanReaderTest, LegacyDeltaTombstonesInAnyOrder) {
  // cofre 0.1 wrote a DELTA file's rows in key order, then its tombstones in hash order.
  proto::Span span;
  AddFile(&span, proto::FILE_KIND_BASE,
          {Row(rowcodec::EncodeRowidKey(1), 1), Row(rowcodec::EncodeRowidKey(2), 2),
           Row(rowcodec::EncodeRowidKey(3), 3), Row(rowcodec::EncodeRowidKey(4), 4)});
  span.mutable_files(0)->set_legacy_digest_path("data/1.cfg");
  AddFile(&span, proto::FILE_KIND_DELTA,
          {Row(rowcodec::EncodeRowidKey(2), 22), Row(rowcodec::EncodeRowidKey(9), 9),
           Tombstone(rowcodec::EncodeRowidKey(4)), Tombstone(rowcodec::EncodeRowidKey(1))});
  AddFile(&span, proto::FILE_KIND_DELTA,
          {Row(rowcodec::EncodeRowidKey(1), 111), Tombstone(rowcodec::EncodeRowidKey(9))});
  std::vector<std::pair<std::string, std::string>> want = {
      {rowcodec::EncodeRowidKey(1), Row(rowcodec::EncodeRowidKey(1), 111)},
      {rowcodec::EncodeRowidKey(2), Row(rowcodec::EncodeRowidKey(2), 22)},
      {rowcodec::EncodeRowidKey(3), Row(rowcodec::EncodeRowidKey(3), 3)}};
  EXPECT_EQ(ReadAll(span), want);
}

TEST_F(SpanReaderTest, KeysOutOfOrderAreReportedAsSuch) {
  proto::Span span;
  AddFile(&span, proto::FILE_KIND_BASE,
          {Row(rowcodec::EncodeRowidKey(1), 1), Row(rowcodec::EncodeRowidKey(3), 3)});
  AddFile(&span, proto::FILE_KIND_DELTA,
          {Row(rowcodec::EncodeRowidKey(5), 5), Tombstone(rowcodec::EncodeRowidKey(2))});
  auto reader = SpanReader::Open(storage_, span, crypto_, KeyOrder());
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  std::string_view key, body;
  Status failure;
  while (true) {
    auto more = (*reader)->Next(&key, &body);
    if (!more.ok()) {
      failure = more.status();
      break;
    }
    ASSERT_TRUE(*more) << "the disorder went unnoticed";
  }
  EXPECT_EQ(failure.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(failure.message().find(span.files(1).path()), std::string::npos) << failure.message();
  EXPECT_TRUE((*reader)->out_of_order());
}

TEST_F(SpanReaderTest, TamperedFileIsDataLossNamingIt) {
  proto::Span span;
  AddFile(&span, proto::FILE_KIND_BASE, {Row(rowcodec::EncodeRowidKey(1), 1)});
  AddFile(&span, proto::FILE_KIND_DELTA, {Row(rowcodec::EncodeRowidKey(2), 2)});
  std::string raw = *memory_.GetRaw(span.files(1).path());
  raw[raw.size() / 2] ^= 1;
  memory_.PutRaw(span.files(1).path(), raw);
  Status st;
  auto reader = SpanReader::Open(storage_, span, crypto_, KeyOrder());
  if (!reader.ok()) {
    st = reader.status();
  } else {
    std::string_view key, body;
    while (true) {
      auto more = (*reader)->Next(&key, &body);
      if (!more.ok()) {
        st = more.status();
        break;
      }
      if (!*more) break;
    }
    EXPECT_FALSE((*reader)->out_of_order());
  }
  EXPECT_EQ(st.code(), StatusCode::kDataLoss) << st.ToString();
  EXPECT_NE(st.message().find(span.files(1).path()), std::string::npos) << st.message();
}

TEST_F(SpanReaderTest, PrefetcherYieldsTheSameRowsInSmallBlocks) {
  proto::Span span;
  std::vector<std::string> base, delta;
  for (int i = 0; i < 5000; ++i) base.push_back(Row(rowcodec::EncodeRowidKey(i * 2), i));
  for (int i = 0; i < 5000; i += 7)
    delta.push_back(i % 2 ? Row(rowcodec::EncodeRowidKey(i), -i)
                          : Tombstone(rowcodec::EncodeRowidKey(i)));
  AddFile(&span, proto::FILE_KIND_BASE, base);
  AddFile(&span, proto::FILE_KIND_DELTA, delta);
  auto direct = ReadAll(span);
  ASSERT_GT(direct.size(), 4000u);
  SpanPrefetcher prefetched([&] { return SpanReader::Open(storage_, span, crypto_, KeyOrder()); },
                            /*block_bytes=*/512, /*max_blocks=*/2);
  EXPECT_EQ(Drain(prefetched), direct);
}

TEST_F(SpanReaderTest, PrefetchersSharingABlockPoolYieldTheSameRows) {
  // Consecutive spans read through one pool, as a restore reads a table: blocks emptied by the
  // first prefetcher (some with a row larger than the block size) are refilled by the second.
  proto::Span first, second;
  std::vector<std::string> a, b;
  for (int i = 0; i < 3000; ++i) a.push_back(Row(rowcodec::EncodeRowidKey(i), i));
  std::string wide(1, static_cast<char>(fmt::kRecordRow));  // ~2.7 KB: larger than a block
  wide.append(rowcodec::EncodeRowidKey(3000));
  rowcodec::PutVarint(&wide, 300);
  for (int i = 0; i < 300; ++i) rowcodec::AppendInteger(&wide, int64_t{1} << 60);
  a.push_back(wide);
  for (int i = 0; i < 3000; ++i) b.push_back(Row(rowcodec::EncodeRowidKey(5000 + i), -i));
  AddFile(&first, proto::FILE_KIND_BASE, a);
  AddFile(&second, proto::FILE_KIND_BASE, b);
  auto pool = std::make_shared<SpanPrefetcher::BlockPool>(3);
  for (const proto::Span* span : {&first, &second, &first}) {
    SpanPrefetcher prefetched(
        [&] { return SpanReader::Open(storage_, *span, crypto_, KeyOrder()); },
        /*block_bytes=*/700, /*max_blocks=*/2, pool);
    EXPECT_EQ(Drain(prefetched), ReadAll(*span));
  }
}

TEST_F(SpanReaderTest, APrefetcherOpenedAheadHoldsUntilItsLimitIsRaised) {
  // A restore opens the next span ahead (max_blocks 0): its reader opens at once (the storage
  // requests go out), and no row is read until SetMaxBlocks; then every row comes out.
  proto::Span span;
  std::vector<std::string> rows;
  for (int i = 0; i < 3000; ++i) rows.push_back(Row(rowcodec::EncodeRowidKey(i), i));
  AddFile(&span, proto::FILE_KIND_BASE, rows);
  std::atomic<bool> opened{false};
  std::atomic<int> transformed{0};
  SpanPrefetcher held(
      [&] {
        auto reader = SpanReader::Open(storage_, span, crypto_, KeyOrder());
        opened = true;
        return reader;
      },
      /*block_bytes=*/512, /*max_blocks=*/0, nullptr,
      [&](std::string_view, std::string_view body, ByteBuffer* out) {
        ++transformed;
        out->Append(body);
        return Status::OK();
      });
  for (int i = 0; i < 500 && !opened; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_TRUE(opened) << "the reader of a span opened ahead is opened at once";
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_EQ(transformed, 0) << "a held prefetcher reads no row";
  held.SetMaxBlocks(2);
  auto got = Drain(held);
  ASSERT_EQ(got.size(), rows.size());
  EXPECT_EQ(transformed, 3000);
  // Destroyed while holding: it stops without reading.
  SpanPrefetcher dropped([&] { return SpanReader::Open(storage_, span, crypto_, KeyOrder()); },
                         /*block_bytes=*/512, /*max_blocks=*/0);
}

TEST_F(SpanReaderTest, PrefetcherTransformsRowsOnItsThreadAndStopsAtItsError) {
  proto::Span span;
  std::vector<std::string> rows;
  for (int i = 0; i < 2000; ++i) rows.push_back(Row(rowcodec::EncodeRowidKey(i), i));
  AddFile(&span, proto::FILE_KIND_BASE, rows);
  auto direct = ReadAll(span);
  ASSERT_EQ(direct.size(), 2000u);
  // A transform whose output is larger than the row, in blocks smaller than a few rows: every
  // row comes out rewritten, in order, with an empty key.
  auto rewrite = [](std::string_view key, std::string_view body, ByteBuffer* out) {
    out->Append("<" + std::string(key) + "|" + std::string(body) + ">");
    return Status::OK();
  };
  SpanPrefetcher rewritten([&] { return SpanReader::Open(storage_, span, crypto_, KeyOrder()); },
                           /*block_bytes=*/100, /*max_blocks=*/2, nullptr, rewrite);
  auto got = Drain(rewritten);
  ASSERT_EQ(got.size(), direct.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].first, "");
    EXPECT_EQ(got[i].second, "<" + direct[i].first + "|" + direct[i].second + ">");
  }
  // The transform's error comes out after the rows before the failing one (transforms append:
  // rows are written straight into the block, after the rows before them).
  int seen = 0;
  SpanPrefetcher failing(
      [&] { return SpanReader::Open(storage_, span, crypto_, KeyOrder()); }, 64, 1, nullptr,
      [&seen](std::string_view, std::string_view body, ByteBuffer* out) -> Status {
        if (++seen == 1500) {
          out->Append("half a row");  // discarded: the rows before it stay as they were
          return DataLossError("row 1500 is bad");
        }
        out->Append(body);
        return Status::OK();
      });
  std::string_view key, body;
  int rows_before = 0;
  StatusOr<bool> more = true;
  while (true) {
    more = failing.Next(&key, &body);
    if (!more.ok() || !*more) break;
    EXPECT_EQ(body, direct[rows_before].second);
    ++rows_before;
  }
  EXPECT_THAT(more.status(), StatusIs(StatusCode::kDataLoss));
  EXPECT_EQ(rows_before, 1499);
  EXPECT_FALSE(failing.out_of_order());
}

TEST_F(SpanReaderTest, PrefetcherReportsErrorsAndStopsEarly) {
  proto::Span span;
  AddFile(&span, proto::FILE_KIND_BASE,
          {Row(rowcodec::EncodeRowidKey(1), 1), Row(rowcodec::EncodeRowidKey(3), 3)});
  AddFile(&span, proto::FILE_KIND_DELTA,
          {Row(rowcodec::EncodeRowidKey(5), 5), Row(rowcodec::EncodeRowidKey(4), 4)});
  {
    SpanPrefetcher p([&] { return SpanReader::Open(storage_, span, crypto_, KeyOrder()); }, 1, 1);
    std::string_view key, body;
    StatusOr<bool> more = true;
    while (more.ok() && *more) more = p.Next(&key, &body);
    EXPECT_EQ(more.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_TRUE(p.out_of_order());
  }
  {
    SpanPrefetcher p([]() -> StatusOr<std::unique_ptr<SpanReader>> {
      return NotFoundError("backup file data/9.cfd is missing");
    });
    std::string_view key, body;
    auto more = p.Next(&key, &body);
    EXPECT_EQ(more.status().code(), StatusCode::kNotFound);
    EXPECT_FALSE(p.out_of_order());
  }
  {
    // The consumer leaves after one row: the destructor must not hang on a full queue.
    std::vector<std::string> many;
    for (int i = 0; i < 3000; ++i) many.push_back(Row(rowcodec::EncodeRowidKey(i), i));
    proto::Span big;
    AddFile(&big, proto::FILE_KIND_BASE, many);
    SpanPrefetcher p([&] { return SpanReader::Open(storage_, big, crypto_, KeyOrder()); }, 64, 1);
    std::string_view key, body;
    ASSERT_TRUE(p.Next(&key, &body).ok());
  }
}

TEST(KeyOrderTest, OrdersLikeSqlite) {
  KeyOrder binary;
  EXPECT_LT(binary.Compare(rowcodec::EncodeRowidKey(-1), rowcodec::EncodeRowidKey(0)), 0);
  EXPECT_LT(binary.Compare(rowcodec::EncodeRowidKey(65), rowcodec::EncodeRowidKey(128)), 0);
  EXPECT_LT(
      binary.Compare(rowcodec::EncodeRowidKey(INT64_MIN), rowcodec::EncodeRowidKey(INT64_MAX)), 0);
  EXPECT_EQ(binary.Compare(rowcodec::EncodeRowidKey(1), RealKey(1.0)), 0);
  EXPECT_LT(binary.Compare(RealKey(1.5), rowcodec::EncodeRowidKey(2)), 0);
  EXPECT_GT(binary.Compare(rowcodec::EncodeRowidKey(INT64_MAX), RealKey(9.2e18)), 0);
  EXPECT_LT(binary.Compare(rowcodec::EncodeRowidKey(INT64_MAX), RealKey(1e19)), 0);
  EXPECT_LT(binary.Compare(rowcodec::EncodeRowidKey(5), TextKey("a", 0)), 0);
  EXPECT_LT(binary.Compare(TextKey("B", 1), TextKey("a", 0)), 0);
  EXPECT_LT(binary.Compare(TextKey("a", 1), TextKey("a", 2)), 0);
  EXPECT_LT(binary.Compare(TextKey("a", 9), TextKey("ab", 0)), 0);
  KeyOrder nocase({KeyOrder::Collation::kNoCase});
  EXPECT_GT(nocase.Compare(TextKey("B", 1), TextKey("a", 0)), 0);
  EXPECT_EQ(nocase.Compare(TextKey("ABC", 1), TextKey("abc", 1)), 0);
  KeyOrder rtrim({KeyOrder::Collation::kRtrim});
  EXPECT_EQ(rtrim.Compare(TextKey("x  ", 1), TextKey("x", 1)), 0);
  EXPECT_NE(binary.Compare(TextKey("x  ", 1), TextKey("x", 1)), 0);
}

TEST(KeyOrderTest, RowidKeysCompareAsTheirIntegersAndMeasureTheirBytes) {
  // Keys of one INTEGER value take a shorter path than other keys: the same order and lengths.
  std::mt19937_64 rng(7);
  KeyOrder order;
  auto random_rowid = [&rng] {
    switch (rng() % 4) {
      case 0:
        return static_cast<int64_t>(rng() % 5) - 2;
      case 1:
        return rng() % 2 ? INT64_MIN : INT64_MAX;
      default:
        return static_cast<int64_t>(rng()) >> (rng() % 64);
    }
  };
  for (int round = 0; round < 20000; ++round) {
    const int64_t x = random_rowid(), y = random_rowid();
    const std::string a = rowcodec::EncodeRowidKey(x), b = rowcodec::EncodeRowidKey(y);
    const int want = x < y ? -1 : x > y ? 1 : 0;
    const int got = order.Compare(a, b);
    ASSERT_EQ((got > 0) - (got < 0), want) << x << " " << y;
    // A two-value key starting with the same rowid sorts after it (shorter first).
    std::string wider;
    rowcodec::PutVarint(&wider, 2);
    wider.append(a.substr(1));
    rowcodec::AppendInteger(&wider, y);
    EXPECT_GT(order.Compare(wider, a), 0);
    EXPECT_LT(order.Compare(a, wider), 0);
    // A record body after its kind byte: the key's length, whatever follows.
    std::string body = a;
    rowcodec::PutVarint(&body, 1);
    rowcodec::AppendInteger(&body, y);
    EXPECT_EQ(EncodedKeyLength(body), a.size());
    EXPECT_EQ(EncodedKeyLength(wider), wider.size());
    if (a.size() > 3) {
      EXPECT_EQ(EncodedKeyLength(a.substr(0, a.size() - 1)), 0u);  // cut varint
    }
  }
}

TEST(KeyOrderTest, ForTableReadsCollationsAndRefusesWhatItCannotReproduce) {
  auto db = SqliteDb::Open(":memory:", true);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  ASSERT_TRUE(db->Exec("CREATE TABLE r (id INTEGER PRIMARY KEY, v);"
                       "CREATE TABLE n (k TEXT COLLATE NOCASE PRIMARY KEY, v) WITHOUT ROWID;"
                       "CREATE TABLE mixed (k TEXT, PRIMARY KEY (k COLLATE NOCASE)) WITHOUT ROWID;"
                       "INSERT INTO n VALUES ('b', 1), ('A', 2), ('c', 3);")
                  .ok());
  auto schema = ReadDatabaseSchema(*db, "main", {});
  ASSERT_TRUE(schema.ok()) << schema.status().ToString();
  for (const auto& t : schema->tables) {
    auto order = KeyOrder::ForTable(*db, t);
    ASSERT_TRUE(order.ok()) << order.status().ToString();
    EXPECT_EQ(order->has_value(), t.name != "mixed") << t.name;
    if (t.name != "n") continue;
    // The scan's order is the one KeyOrder reproduces.
    auto scan = db->Prepare(t.ScanSql("main"));
    ASSERT_TRUE(scan.ok());
    std::vector<std::string> keys;
    while (*scan->Step()) {
      std::string k;
      rowcodec::PutVarint(&k, 1);
      rowcodec::AppendColumn(&k, scan->get(), 0);
      keys.push_back(k);
    }
    ASSERT_EQ(keys.size(), 3u);
    EXPECT_LT((*order)->Compare(keys[0], keys[1]), 0);
    EXPECT_LT((*order)->Compare(keys[1], keys[2]), 0);
  }
}

}  // namespace
}  // namespace cofre
