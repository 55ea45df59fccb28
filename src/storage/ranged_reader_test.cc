// RangedReader: sequential reads of any size are one stream of the whole object; a failed stream
// fails its read and the next read reopens where the reads stopped; an object that ends early is
// DataLoss, read either way; random reads fetch exactly what they ask for, without moving the
// sequential position.
#include "storage/ranged_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <set>
#include <vector>

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

  // A stream of the object from `offset`; `fail_stream_at` makes the stream fail once it reached
  // that offset (and the failure is forgotten).
  std::vector<uint64_t> opened;  // offsets of the streams opened
  uint64_t fail_stream_at = UINT64_MAX;
  RangeOpen Open() {
    return [this](uint64_t offset) -> StatusOr<std::unique_ptr<ByteSource>> {
      opened.push_back(offset);
      return std::unique_ptr<ByteSource>(new Stream(this, offset));
    };
  }
  struct Stream : ByteSource {
    Stream(FakeObject* o, uint64_t at) : object(o), pos(at) {}
    StatusOr<size_t> Read(char* buf, size_t n) override {
      if (pos >= object->fail_stream_at) {
        object->fail_stream_at = UINT64_MAX;
        return UnavailableError("connection reset at " + std::to_string(pos));
      }
      const size_t end = std::min(
          {object->bytes.size(), object->truncate_to, static_cast<size_t>(object->fail_stream_at)});
      const size_t k = pos >= end ? 0 : std::min<size_t>(n, end - pos);
      std::memcpy(buf, object->bytes.data() + pos, k);
      pos += k;
      return k;
    }
    FakeObject* object;
    uint64_t pos;
  };
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

TEST(RangedReaderTest, StreamedReadsAreOneStreamStraightIntoTheCallersBuffer) {
  const std::string bytes = Pattern(10'007);
  for (size_t chunk : {1u, 333u, 20'000u}) {
    FakeObject object(bytes);
    RangedReader reader(object.Fetch(), object.Open(), "mem://o", bytes.size());
    StatusOr<std::string> got = ReadAll(reader, chunk);
    ASSERT_THAT(got.status(), IsOk());
    EXPECT_EQ(*got, bytes) << "chunk " << chunk;
    EXPECT_EQ(object.opened, std::vector<uint64_t>{0});
    EXPECT_EQ(object.fetch_count(), 0u);
    // Random reads are fetched exactly, and do not disturb the stream.
    char buf[40];
    ASSERT_THAT(reader.ReadAt(9000, buf, 40).status(), IsOk());
    EXPECT_EQ(std::string(buf, 40), bytes.substr(9000, 40));
    EXPECT_EQ(object.fetched, std::vector<uint64_t>{9000});
  }
}

TEST(RangedReaderTest, AFailedStreamFailsItsReadAndTheNextReadReopensWhereReadsStopped) {
  const std::string bytes = Pattern(1000);
  FakeObject object(bytes);
  object.fail_stream_at = 300;
  RangedReader reader(object.Fetch(), object.Open(), "mem://o", bytes.size());
  std::string got(1000, '\0');
  StatusOr<size_t> n = reader.Read(got.data(), 1000);
  ASSERT_THAT(n.status(), IsOk());
  EXPECT_EQ(*n, 300u);
  EXPECT_THAT(reader.Read(got.data() + 300, 700).status(),
              StatusIs(StatusCode::kUnavailable, HasSubstr("connection reset at 300")));
  n = reader.Read(got.data() + 300, 700);
  ASSERT_THAT(n.status(), IsOk());
  EXPECT_EQ(*n, 700u);
  EXPECT_EQ(got, bytes);
  EXPECT_EQ(object.opened, (std::vector<uint64_t>{0, 300}));
}

TEST(RangedReaderTest, AnObjectThatEndsEarlyIsDataLossWhereverItIsRead) {
  FakeObject object(Pattern(1000));
  object.truncate_to = 550;
  RangedReader reader(object.Fetch(), object.Open(), "mem://o", 1000);
  EXPECT_THAT(ReadAll(reader, 64).status(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("mem://o ended after 550 of 1000")));
  char buf[100];
  EXPECT_THAT(reader.ReadAt(500, buf, 100).status(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("mem://o ended after 550 of 1000")));
}

TEST(RangedReaderTest, RandomReadsAreFetchedExactlyAndLeaveTheSequentialPositionAlone) {
  const std::string bytes = Pattern(1000);
  FakeObject object(bytes);
  RangedReader reader(object.Fetch(), object.Open(), "mem://o", bytes.size());
  char buf[50];
  ASSERT_THAT(reader.Read(buf, 50).status(), IsOk());
  ASSERT_THAT(reader.ReadAt(500, buf, 50).status(), IsOk());
  EXPECT_EQ(std::string(buf, 50), bytes.substr(500, 50));
  // Past the end: nothing, and no request.
  StatusOr<size_t> past = reader.ReadAt(1000, buf, 50);
  ASSERT_THAT(past.status(), IsOk());
  EXPECT_EQ(*past, 0u);
  // A failed fetch fails that read only.
  object.fail_at = {700};
  EXPECT_THAT(reader.ReadAt(700, buf, 50).status(),
              StatusIs(StatusCode::kUnavailable, HasSubstr("GET failed at 700")));
  EXPECT_EQ(object.fetched, (std::vector<uint64_t>{500, 700}));
  // The sequential reads go on at 50, on the same stream.
  StatusOr<size_t> got = reader.Read(buf, 50);
  ASSERT_THAT(got.status(), IsOk());
  EXPECT_EQ(std::string(buf, *got), bytes.substr(50, *got));
  EXPECT_EQ(object.opened, std::vector<uint64_t>{0});
}

}  // namespace
}  // namespace cofre
