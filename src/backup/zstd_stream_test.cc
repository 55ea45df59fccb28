#include "backup/zstd_stream.h"

#include <gtest/gtest.h>

#include <random>

namespace cofre {
namespace {

// About `bytes` of row-like text: repeated column names and vocabulary, varying numbers.
std::string RowLikeData(size_t bytes) {
  const char* words[] = {"alpha", "bravo", "charlie", "delta",  "echo",  "foxtrot",
                         "golf",  "hotel", "india",   "juliet", "kilo",  "lima",
                         "mike",  "oscar", "papa",    "quebec", "romeo", "sierra"};
  std::mt19937_64 rng(7);
  std::string out;
  while (out.size() < bytes) {
    out += "{\"id\":" + std::to_string(rng() % 10000000) + ",\"name\":\"";
    for (int w = 0; w < 4; ++w) out += std::string(words[rng() % 18]) + " ";
    out += "\",\"email\":\"" + std::string(words[rng() % 18]) + std::to_string(rng() % 1000) +
           "@example.com\",\"ts\":" + std::to_string(1700000000 + rng() % 100000000) + "}\n";
  }
  return out;
}

StatusOr<std::string> Compress(const std::string& in, const ZstdOptions& options) {
  std::string out;
  ASSIGN_OR_RETURN(auto sink, NewZstdCompressSink(std::make_unique<StringSink>(&out), options));
  for (size_t off = 0; off < in.size(); off += 256 << 10) {
    RETURN_IF_ERROR(sink->Append(std::string_view(in).substr(off, 256 << 10)));
  }
  RETURN_IF_ERROR(sink->Close());
  return out;
}

StatusOr<std::string> Decompress(std::string compressed) {
  ASSIGN_OR_RETURN(auto src,
                   NewZstdDecompressSource(std::make_unique<StringSource>(std::move(compressed))));
  return ReadAll(*src, 64 << 20);
}

// The default (cache-sized) match-finder tables are really used, round-trip, and cost little
// output against level 3's own tables.
TEST(ZstdStreamTest, DefaultTablesRoundTripWithinAFewPercentOfLevel3) {
  const std::string in = RowLikeData(10 << 20);  // three frames, the last one partial
  ZstdOptions tuned;
  ZstdOptions level3;
  level3.hash_log = 0;
  level3.chain_log = 0;
  auto a = Compress(in, tuned);
  auto b = Compress(in, level3);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_NE(*a, *b);  // the table sizes took effect
  EXPECT_LT(a->size(), in.size() / 2);
  EXPECT_LE(static_cast<double>(a->size()), 1.03 * static_cast<double>(b->size()));
  for (const std::string* compressed : {&*a, &*b}) {
    auto out = Decompress(*compressed);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_TRUE(*out == in);
  }
}

// Table sizes zstd refuses fail the sink's creation with a clear error rather than being ignored.
TEST(ZstdStreamTest, OutOfRangeTableSizeIsAnError) {
  ZstdOptions bad;
  bad.hash_log = 99;
  std::string out;
  auto sink = NewZstdCompressSink(std::make_unique<StringSink>(&out), bad);
  ASSERT_FALSE(sink.ok());
  EXPECT_NE(sink.status().ToString().find("hash"), std::string::npos) << sink.status().ToString();
}

}  // namespace
}  // namespace cofre
