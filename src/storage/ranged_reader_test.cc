// RangedReader: sequential reads in windows give the object's bytes, fetching each byte once;
// an object that ends early is DataLoss; a failed fetch fails its read and nothing more; random
// reads are served from the window or fetched exactly, without moving the sequential position.
#include "storage/ranged_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "util/status_matchers.h"

namespace cofre {
namespace {

using ::testing::HasSubstr;

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
  return s;
}

// An object in memory, fetched by ranges; records the offsets asked for.
struct FakeObject {
  explicit FakeObject(std::string b) : bytes(std::move(b)) {}
  std::string bytes;
  std::vector<uint64_t> fetched;           // offsets, in the order of the fetches
  std::set<uint64_t> fail_at;              // offsets whose fetch fails
  size_t truncate_to = std::string::npos;  // the object "ends" here (replaced while read)

  RangeFetch Fetch() {
    return [this](uint64_t offset, size_t n, char* out) -> StatusOr<size_t> {
      fetched.push_back(offset);
      if (fail_at.count(offset)) return UnavailableError("GET failed at " + std::to_string(offset));
      const size_t end = std::min(bytes.size(), truncate_to);
      const size_t k = offset >= end ? 0 : std::min<size_t>(n, end - offset);
      std::memcpy(out, bytes.data() + offset, k);
      return k;
    };
  }
  size_t fetch_count() { return fetched.size(); }
};

// Reads the whole object sequentially in reads of `chunk` bytes.
StatusOr<std::string> ReadAll(RangedReader& reader, size_t chunk) {
  std::string out, buf(chunk, '\0');
  while (true) {
    ASSIGN_OR_RETURN(size_t got, reader.Read(buf.data(), chunk));
    if (got == 0) return out;
    out.append(buf.data(), got);
  }
}

TEST(RangedReaderTest, SequentialReadsGiveTheObjectFetchingEachByteOnce) {
  const std::string bytes = Pattern(10'007);
  for (size_t window : {1u, 777u, 1000u, 20'000u}) {
    for (size_t chunk : {7u, 333u, 1000u, 2500u}) {
      FakeObject object(bytes);
      RangedReader reader(object.Fetch(), "mem://o", bytes.size(), window);
      StatusOr<std::string> got = ReadAll(reader, chunk);
      ASSERT_THAT(got.status(), IsOk());
      EXPECT_EQ(*got, bytes) << "window " << window << " chunk " << chunk;
      // Nothing is fetched twice, nor past the end; a window serves every read inside it, and
      // reads of a window or more go straight to the object.
      std::set<uint64_t> distinct(object.fetched.begin(), object.fetched.end());
      EXPECT_EQ(distinct.size(), object.fetched.size());
      EXPECT_LT(*distinct.rbegin(), bytes.size());
      const size_t per_fetch = std::max(window, chunk);
      EXPECT_EQ(object.fetched.size(), (bytes.size() + per_fetch - 1) / per_fetch);
    }
  }
}

TEST(RangedReaderTest, AnObjectThatEndsEarlyIsDataLossWhereverItIsRead) {
  for (size_t chunk : {64u, 300u}) {  // through the window, and straight into the caller's
    FakeObject object(Pattern(1000));
    object.truncate_to = 550;
    RangedReader reader(object.Fetch(), "mem://o", 1000, 100);
    StatusOr<std::string> got = ReadAll(reader, chunk);
    EXPECT_THAT(got.status(),
                StatusIs(StatusCode::kDataLoss, HasSubstr("mem://o ended after 550 of 1000")));
  }
}

TEST(RangedReaderTest, AFailedFetchFailsTheReadAndTheNextReadAsksAgain) {
  FakeObject object(Pattern(1000));
  object.fail_at = {100};
  RangedReader reader(object.Fetch(), "mem://o", 1000, 100);
  std::string buf(100, '\0');
  ASSERT_THAT(reader.Read(buf.data(), 100).status(), IsOk());
  EXPECT_THAT(reader.Read(buf.data(), 50).status(),
              StatusIs(StatusCode::kUnavailable, HasSubstr("GET failed at 100")));
  // Nothing was consumed: once the store answers, the read gives bytes [100, 150).
  object.fail_at.clear();
  StatusOr<size_t> got = reader.Read(buf.data(), 50);
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(buf.substr(0, *got), Pattern(1000).substr(100, *got));
}

TEST(RangedReaderTest, RandomReadsComeFromTheWindowOrAreFetchedExactly) {
  FakeObject object(Pattern(1000));
  RangedReader reader(object.Fetch(), "mem://o", 1000, 100);
  char buf[50];
  // A random read outside the window fetches exactly what it asks for.
  ASSERT_THAT(reader.ReadAt(500, buf, 50).status(), IsOk());
  EXPECT_EQ(std::string(buf, 50), Pattern(1000).substr(500, 50));
  EXPECT_EQ(object.fetch_count(), 1u);
  // Sequential reads then go on as usual; a random read inside the window is served from it.
  ASSERT_THAT(reader.Read(buf, 50).status(), IsOk());
  const size_t fetches = object.fetch_count();
  EXPECT_EQ(fetches, 2u);
  ASSERT_THAT(reader.ReadAt(60, buf, 30).status(), IsOk());
  EXPECT_EQ(std::string(buf, 30), Pattern(1000).substr(60, 30));
  EXPECT_EQ(object.fetch_count(), fetches);
  // The sequential position did not move: the next read is [50, 100).
  StatusOr<size_t> got = reader.Read(buf, 50);
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(std::string(buf, *got), Pattern(1000).substr(50, *got));
}

}  // namespace
}  // namespace cofre
