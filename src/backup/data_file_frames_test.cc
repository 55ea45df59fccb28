#include "backup/data_file_frames.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "backup/data_file_format.h"
#include "backup/data_file_reader.h"
#include "backup/data_file_writer.h"
#include "backup/key_order.h"
#include "backup/row_codec.h"
#include "backup/span_reader.h"
#include "storage/memory_storage.h"
#include "util/sha256.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

namespace fmt = data_file_format;
using ::testing::HasSubstr;

std::string Row(int64_t k, int64_t value) {
  std::string body(1, static_cast<char>(fmt::kRecordRow));
  body.append(rowcodec::EncodeRowidKey(k));
  rowcodec::PutVarint(&body, 2);
  rowcodec::AppendInteger(&body, value);
  body.push_back(static_cast<char>(fmt::kText));
  const std::string text = "row " + std::to_string(k) + std::string(40, 'x');
  rowcodec::PutVarint(&body, text.size());
  body.append(text);
  return body;
}

std::string Tombstone(int64_t k) {
  return std::string(1, static_cast<char>(fmt::kRecordTombstone)) + rowcodec::EncodeRowidKey(k);
}

int64_t KeyOf(std::string_view body) {
  std::vector<rowcodec::ValueRef> values;
  std::string_view rest = body.substr(1);
  EXPECT_THAT(rowcodec::DecodeKey(rest.substr(0, EncodedKeyLength(rest)), &values), IsOk());
  return values.empty() ? -1 : values[0].i;
}

// Frames of a few hundred bytes over a few thousand records, in an encrypted and an
// unencrypted chain.
class DataFileFramesTest : public ::testing::TestWithParam<bool> {
 protected:
  DataFileFramesTest() : key_(std::string(32, 'k')) {
    if (GetParam()) crypto_.data_key = &key_;
    crypto_.chain_id = "chain";
    storage_.collection = &memory_;
  }

  proto::DataFile Write(const std::string& path, const std::vector<std::string>& bodies,
                        size_t frame_bytes = 512) {
    ZstdOptions zstd;
    zstd.frame_bytes = frame_bytes;
    proto::DataFile file;
    auto w = DataFileWriter::Open(memory_, path, crypto_, zstd);
    EXPECT_THAT(w.status(), IsOk());
    if (!w.ok()) return file;
    for (const auto& b : bodies) EXPECT_THAT((*w)->AddRecord(b), IsOk());
    EXPECT_THAT((*w)->Finish(&file), IsOk());
    return file;
  }

  std::vector<std::string> Rows(int64_t n) {
    std::vector<std::string> bodies;
    for (int64_t i = 0; i < n; ++i) bodies.push_back(Row(2 * i, i));
    return bodies;
  }

  // Every record body a reader yields, or the first error.
  static StatusOr<std::vector<std::string>> Drain(DataFileReader& reader) {
    std::vector<std::string> out;
    std::string_view body;
    while (true) {
      ASSIGN_OR_RETURN(bool more, reader.NextBody(&body));
      if (!more) return out;
      out.emplace_back(body);
    }
  }

  StatusOr<std::vector<std::string>> ReadFrames(const proto::DataFile& file,
                                                const KeyRanges& keys) {
    ASSIGN_OR_RETURN(auto reader, DataFileReader::OpenFrames(memory_, file, crypto_, order_, keys));
    return Drain(*reader);
  }

  // `file` (unencrypted) with its index parsed, changed by `forge`, and written back, with a
  // matching digest in the returned entry: as CFX2 (CRCs as `forge` leaves them) or, without
  // `with_crc`, as cofre 0.5's CFX1.
  proto::DataFile Reindexed(const proto::DataFile& file,
                            const std::function<void(std::vector<DataFrame>*)>& forge,
                            bool with_crc = true) {
    auto raw = memory_.GetRaw(file.path());
    EXPECT_THAT(raw.status(), IsOk());
    if (!raw.ok()) return file;
    const std::string index = raw->substr(file.frame_index_offset());
    std::vector<DataFrame> frames;
    size_t p = 4;
    uint64_t n = 0;
    EXPECT_EQ(index.substr(0, 4), std::string(fmt::kFrameIndexMagic, 4));
    EXPECT_TRUE(rowcodec::GetVarint(index, &p, &n));
    for (uint64_t i = 0; i < n; ++i) {
      DataFrame f;
      uint64_t len = 0;
      EXPECT_TRUE(rowcodec::GetVarint(index, &p, &f.stored));
      EXPECT_TRUE(rowcodec::GetVarint(index, &p, &f.size));
      uint32_t crc = 0;
      for (int k = 0; k < 4; ++k) crc |= uint32_t{static_cast<uint8_t>(index[p + k])} << (8 * k);
      f.crc32c = crc;
      p += 4;
      EXPECT_TRUE(rowcodec::GetVarint(index, &p, &len));
      f.first_key = index.substr(p, len);
      p += len;
      frames.push_back(f);
    }
    forge(&frames);
    std::string out(with_crc ? fmt::kFrameIndexMagic : fmt::kFrameIndexMagicV1, 4);
    rowcodec::PutVarint(&out, frames.size());
    for (const auto& f : frames) {
      rowcodec::PutVarint(&out, f.stored);
      rowcodec::PutVarint(&out, f.size);
      if (with_crc) {
        for (int k = 0; k < 4; ++k) out.push_back(static_cast<char>(*f.crc32c >> (8 * k)));
      }
      rowcodec::PutVarint(&out, f.first_key.size());
      out.append(f.first_key);
    }
    std::string body = raw->substr(0, file.frame_index_offset() - fmt::kIndexFrameHeaderBytes);
    for (uint32_t v : {fmt::kIndexFrameMagic, static_cast<uint32_t>(out.size())}) {
      for (int i = 0; i < 4; ++i) body.push_back(static_cast<char>(v >> (8 * i)));
    }
    body.append(out);
    memory_.PutRaw(file.path(), body);
    proto::DataFile entry = file;
    entry.set_file_bytes(body.size());
    entry.set_frame_index_bytes(out.size());
    entry.set_frame_index_sha256(Sha256::Digest(out));
    return entry;
  }

  MemoryStorage memory_;
  SecretBytes key_;
  ChainCrypto crypto_;
  ChainStorage storage_;
  KeyOrder order_;
};

TEST_P(DataFileFramesTest, FramesReadBackOnlyTheRangesAskedAndWholeReadsSeeEverything) {
  const std::vector<std::string> rows = Rows(3000);
  const proto::DataFile file = Write("data/1.cfd", rows);
  ASSERT_TRUE(HasFrameIndex(file));
  ASSERT_OK_AND_ASSIGN(auto ranges,
                       OpenStoredFileRanges(memory_, file.path(), crypto_, file.file_bytes()));
  ASSERT_OK_AND_ASSIGN(auto frames, ReadFrameIndex(*ranges, file, order_));
  EXPECT_GT(frames.size(), 100u);

  // A whole read (restore's) goes through every frame and passes over the index.
  ASSERT_OK_AND_ASSIGN(auto whole, DataFileReader::Open(memory_, file, crypto_));
  ASSERT_OK_AND_ASSIGN(auto all, Drain(*whole));
  EXPECT_EQ(all, rows);

  // Two ranges: every row in them comes back, in order, from a few frames only.
  const KeyRanges keys = {{rowcodec::EncodeRowidKey(1001), rowcodec::EncodeRowidKey(1101)},
                          {rowcodec::EncodeRowidKey(5000), rowcodec::EncodeRowidKey(5001)}};
  ASSERT_OK_AND_ASSIGN(auto some, ReadFrames(file, keys));
  std::vector<int64_t> in_ranges;
  for (size_t i = 0; i < some.size(); ++i) {
    const int64_t k = KeyOf(some[i]);
    if (i > 0) {
      EXPECT_LT(KeyOf(some[i - 1]), k);
    }
    if ((k >= 1001 && k < 1101) || k == 5000) in_ranges.push_back(k);
  }
  std::vector<int64_t> want;
  for (int64_t k = 1002; k < 1101; k += 2) want.push_back(k);
  want.push_back(5000);
  EXPECT_EQ(in_ranges, want);
  EXPECT_LT(some.size(), rows.size() / 10);

  // Unbounded: everything; no range: nothing.
  ASSERT_OK_AND_ASSIGN(auto everything, ReadFrames(file, {{"", ""}}));
  EXPECT_EQ(everything, rows);
  ASSERT_OK_AND_ASSIGN(auto nothing, ReadFrames(file, {}));
  EXPECT_TRUE(nothing.empty());
  // Past the last key: the last frame at most (no index bounds its keys); before the first:
  // nothing.
  ASSERT_OK_AND_ASSIGN(auto after, ReadFrames(file, {{rowcodec::EncodeRowidKey(10000), ""}}));
  EXPECT_LT(after.size(), rows.size() / 100);
  ASSERT_OK_AND_ASSIGN(auto before, ReadFrames(file, {{"", rowcodec::EncodeRowidKey(0)}}));
  EXPECT_TRUE(before.empty());
}

TEST_P(DataFileFramesTest, ASpanReadInRangesMergesItsFilesAsAWholeReadDoes) {
  proto::Span span;
  *span.add_files() = Write("data/1.cfd", Rows(2000));
  span.mutable_files(0)->set_kind(proto::FILE_KIND_BASE);
  std::vector<std::string> delta;
  for (int64_t k = 100; k < 3000; k += 97) {
    delta.push_back(k % 2 ? Row(k, -k) : Tombstone(k));
  }
  *span.add_files() = Write("data/2.cfd", delta, 128);
  span.mutable_files(1)->set_kind(proto::FILE_KIND_DELTA);
  const KeyRanges keys = {{rowcodec::EncodeRowidKey(300), rowcodec::EncodeRowidKey(700)},
                          {rowcodec::EncodeRowidKey(2500), rowcodec::EncodeRowidKey(2600)}};
  auto in_keys = [](int64_t k) { return (k >= 300 && k < 700) || (k >= 2500 && k < 2600); };
  auto read = [&](const KeyRanges* only) -> std::vector<std::string> {
    std::vector<std::string> out;
    auto reader = SpanReader::Open(storage_, span, crypto_, order_, only);
    EXPECT_THAT(reader.status(), IsOk());
    if (!reader.ok()) return out;
    std::string_view key, body;
    while (true) {
      auto more = (*reader)->Next(&key, &body);
      EXPECT_THAT(more.status(), IsOk());
      if (!more.ok() || !*more) return out;
      if (in_keys(KeyOf(body))) out.emplace_back(body);
    }
  };
  const std::vector<std::string> whole = read(nullptr);
  EXPECT_FALSE(whole.empty());
  EXPECT_EQ(read(&keys), whole);
}

TEST_P(DataFileFramesTest, FilesWithoutAnIndexAreReadWholeForRanges) {
  proto::Span span;
  *span.add_files() = Write("data/1.cfd", Rows(500));
  span.mutable_files(0)->clear_frame_index_bytes();  // as cofre 0.4 wrote it
  EXPECT_FALSE(HasFrameIndex(span.files(0)));
  const KeyRanges keys = {{rowcodec::EncodeRowidKey(10), rowcodec::EncodeRowidKey(13)},
                          {rowcodec::EncodeRowidKey(900), ""}};
  auto reader = SpanReader::Open(storage_, span, crypto_, order_, &keys);
  ASSERT_THAT(reader.status(), IsOk());
  std::string_view key, body;
  std::vector<int64_t> got;
  while (true) {
    auto more = (*reader)->Next(&key, &body);
    ASSERT_THAT(more.status(), IsOk());
    if (!*more) break;
    got.push_back(KeyOf(body));
  }
  std::vector<int64_t> want = {10, 12};
  for (int64_t k = 900; k < 1000; k += 2) want.push_back(k);
  EXPECT_EQ(got, want);
}

TEST_P(DataFileFramesTest, AnIndexOtherThanTheManifestsIsRefused) {
  const proto::DataFile file = Write("data/1.cfd", Rows(1000));
  const KeyRanges keys = {{rowcodec::EncodeRowidKey(10), rowcodec::EncodeRowidKey(20)}};
  {
    proto::DataFile other = file;
    std::string digest = other.frame_index_sha256();
    digest[0] ^= 1;
    other.set_frame_index_sha256(digest);
    EXPECT_THAT(ReadFrames(other, keys).status(),
                StatusIs(StatusCode::kDataLoss, HasSubstr("digest")));
  }
  for (int64_t delta : {-1, 1}) {
    proto::DataFile other = file;
    other.set_frame_index_offset(other.frame_index_offset() + delta);
    EXPECT_THAT(ReadFrames(other, keys).status(), StatusIs(StatusCode::kDataLoss));
  }
  {
    proto::DataFile other = file;
    other.set_frame_index_bytes(fmt::kMaxFrameIndexBytes + 1);
    EXPECT_THAT(ReadFrames(other, keys).status(), StatusIs(StatusCode::kDataLoss));
  }
}

// In an unencrypted chain an attacker can rewrite a file and its manifest entry alike: the frames
// still have to hold what the index claims, so a forged index cannot hide or move rows.
TEST_P(DataFileFramesTest, AForgedIndexWithAMatchingDigestIsRefused) {
  if (GetParam()) GTEST_SKIP() << "encrypted files cannot be rewritten without the key";
  const proto::DataFile file = Write("data/1.cfd", Rows(1000));
  ASSERT_OK_AND_ASSIGN(const std::string raw, memory_.GetRaw(file.path()));
  // Each forgery starts from the file as written.
  auto forged = [&](const std::function<void(std::vector<DataFrame>*)>& forge) {
    memory_.PutRaw(file.path(), raw);
    return Reindexed(file, forge);
  };
  const KeyRanges keys = {{rowcodec::EncodeRowidKey(100), rowcodec::EncodeRowidKey(140)}};
  // A frame said to start later than it does: rows of the range would be skipped.
  EXPECT_THAT(
      ReadFrames(forged([](auto* f) { (*f)[5].first_key = (*f)[6].first_key; }), keys).status(),
      StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(
      ReadFrames(forged([&](auto* f) {
                   for (auto& frame : *f) {
                     if (order_.Compare(frame.first_key, rowcodec::EncodeRowidKey(100)) <= 0) {
                       frame.first_key =
                           rowcodec::EncodeRowidKey(KeyOf("\x01" + frame.first_key) - 1);
                     }
                   }
                 }),
                 keys)
          .status(),
      StatusIs(StatusCode::kDataLoss, HasSubstr("does not hold what its index says")));
  // Sizes that do not tile the file, or that claim more than the file's rows.
  EXPECT_THAT(ReadFrames(forged([](auto* f) { (*f)[0].stored += 1; }), keys).status(),
              StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(ReadFrames(forged([](auto* f) { (*f)[3].size = 1ull << 40; }), keys).status(),
              StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(ReadFrames(forged([](auto* f) { f->pop_back(); }), keys).status(),
              StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(ReadFrames(forged([](auto* f) { std::swap((*f)[2], (*f)[3]); }), keys).status(),
              StatusIs(StatusCode::kDataLoss));
  // A checksum that does not match the frame's bytes.
  EXPECT_THAT(ReadFrames(forged([](auto* f) {
                           for (auto& frame : *f) *frame.crc32c ^= 1;
                         }),
                         keys)
                  .status(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("checksum")));
}

TEST_P(DataFileFramesTest, ACorruptFrameIsRefusedWhenRead) {
  const proto::DataFile file = Write("data/1.cfd", Rows(1000));
  ASSERT_OK_AND_ASSIGN(auto ranges,
                       OpenStoredFileRanges(memory_, file.path(), crypto_, file.file_bytes()));
  ASSERT_OK_AND_ASSIGN(auto frames, ReadFrameIndex(*ranges, file, order_));
  ASSERT_GT(frames.size(), 20u);
  ASSERT_OK_AND_ASSIGN(std::string raw, memory_.GetRaw(file.path()));
  // A byte in the middle of frame 10 (for an encrypted file: of the chunk that holds it).
  const DataFrame& f = frames[10];
  const size_t plain = f.offset + f.stored / 2;
  const size_t at = GetParam() ? 48 + plain + 16 * (plain / 65536) : plain;
  raw[at] ^= 0x20;
  memory_.PutRaw(file.path(), raw);
  const int64_t k = KeyOf(std::string(1, static_cast<char>(fmt::kRecordRow)) + f.first_key);
  const KeyRanges keys = {{rowcodec::EncodeRowidKey(k), rowcodec::EncodeRowidKey(k + 1)}};
  EXPECT_THAT(ReadFrames(file, keys).status(), StatusIs(StatusCode::kDataLoss));
}

TEST_P(DataFileFramesTest, AFileMovedToAnotherPathIsRefused) {
  if (!GetParam()) GTEST_SKIP() << "only encryption binds a file to its path";
  proto::DataFile file = Write("data/1.cfd", Rows(300));
  ASSERT_OK_AND_ASSIGN(std::string raw, memory_.GetRaw(file.path()));
  memory_.PutRaw("data/2.cfd", raw);
  file.set_path("data/2.cfd");
  EXPECT_THAT(
      ReadFrames(file, {{rowcodec::EncodeRowidKey(10), rowcodec::EncodeRowidKey(20)}}).status(),
      StatusIs(StatusCode::kDataLoss));
}

// The record bodies of a stream of length-prefixed records.
std::vector<std::string> SplitRecords(std::string_view stream) {
  std::vector<std::string> out;
  size_t p = 0;
  uint64_t len = 0;
  while (p < stream.size()) {
    EXPECT_TRUE(rowcodec::GetVarint(stream, &p, &len));
    EXPECT_LE(len, stream.size() - p);
    if (len > stream.size() - p) break;
    out.emplace_back(stream.substr(p, len));
    p += len;
  }
  return out;
}

TEST_P(DataFileFramesTest, FramesLeftAtTheNeededEndGiveEveryRecordInTheRanges) {
  const std::vector<std::string> rows = Rows(4000);
  const proto::DataFile file = Write("data/1.cfd", rows, 16 << 10);
  ASSERT_TRUE(HasFrameIndex(file));
  ASSERT_TRUE(file.first_frame_dictionary());
  auto read = [&](const KeyRanges& keys,
                  FrameSourceOptions options) -> StatusOr<std::vector<std::string>> {
    ASSIGN_OR_RETURN(auto ranges,
                     OpenStoredFileRanges(memory_, file.path(), crypto_, file.file_bytes()));
    ASSIGN_OR_RETURN(auto frames, ReadFrameIndex(*ranges, file, order_));
    options.dictionary_frame = DictionaryFrame(file, frames);
    ASSIGN_OR_RETURN(auto src,
                     NewFrameSource(std::move(ranges), FramesOverlapping(frames, order_, keys),
                                    file.path(), order_, options));
    ASSIGN_OR_RETURN(std::string stream, ReadAll(*src, 64 << 20));
    return SplitRecords(stream);
  };
  const std::vector<KeyRanges> cases = {
      {{rowcodec::EncodeRowidKey(1001), rowcodec::EncodeRowidKey(1101)},
       {rowcodec::EncodeRowidKey(5000), rowcodec::EncodeRowidKey(5001)}},
      {{rowcodec::EncodeRowidKey(0), rowcodec::EncodeRowidKey(3)}},  // the first records only
      {{rowcodec::EncodeRowidKey(7990), ""}},                        // to the end record
      {{"", rowcodec::EncodeRowidKey(40)},
       {rowcodec::EncodeRowidKey(2999),
        rowcodec::EncodeRowidKey(3001)}},  // unbounded start, a key not stored
      {{rowcodec::EncodeRowidKey(6000), rowcodec::EncodeRowidKey(6400)}}};
  for (const KeyRanges& keys : cases) {
    auto in_keys = [&](int64_t k) {
      for (const auto& [start, end] : keys) {
        if ((start.empty() || order_.Compare(rowcodec::EncodeRowidKey(k), start) >= 0) &&
            (end.empty() || order_.Compare(rowcodec::EncodeRowidKey(k), end) < 0)) {
          return true;
        }
      }
      return false;
    };
    ASSERT_OK_AND_ASSIGN(auto whole_frames, read(keys, FrameSourceOptions{}));
    std::vector<std::string> want;
    for (const auto& body : whole_frames) {
      if (static_cast<uint8_t>(body[0]) != fmt::kRecordEnd && in_keys(KeyOf(body))) {
        want.push_back(body);
      }
    }
    ASSERT_FALSE(want.empty());
    for (size_t step : {size_t{1}, size_t{7}, size_t{1000}, size_t{32} << 10}) {
      SCOPED_TRACE(step);
      FrameSourceOptions options;
      options.stop_at_needed_end = true;
      options.step_bytes = step;
      ASSERT_OK_AND_ASSIGN(auto some, read(keys, options));
      std::vector<std::string> got;
      for (size_t i = 0; i < some.size(); ++i) {
        if (static_cast<uint8_t>(some[i][0]) == fmt::kRecordEnd) continue;
        if (i > 0) {
          EXPECT_LT(KeyOf(some[i - 1]), KeyOf(some[i]));
        }
        if (in_keys(KeyOf(some[i]))) got.push_back(some[i]);
      }
      EXPECT_EQ(got, want);
      // Frames left early give fewer records than whole frames, unless the last range is
      // unbounded (its frames are needed to their ends).
      if (step < (32u << 10) && !keys.back().second.empty()) {
        EXPECT_LT(some.size(), whole_frames.size());
      }
    }
  }
  FrameSourceOptions bad;
  bad.step_bytes = 0;
  EXPECT_THAT(read({{"", ""}}, bad).status(), StatusIs(StatusCode::kInvalidArgument));
}

TEST_P(DataFileFramesTest, FramesAreLeftEarlyOnlyWhereTheirBytesAreChecked) {
  // Frames of 64 KiB: reads stop at the needed end after 32 KiB steps where every byte read is
  // authenticated (encrypted chains) or the index gives the frame's CRC-32C; a CFX1 index of an
  // unencrypted chain (cofre 0.5) has none, and its frames are read to their ends.
  const std::vector<std::string> rows = Rows(6000);
  const proto::DataFile file = Write("data/1.cfd", rows, 64 << 10);
  const KeyRanges keys = {{rowcodec::EncodeRowidKey(10), rowcodec::EncodeRowidKey(20)}};
  ASSERT_OK_AND_ASSIGN(auto ranges,
                       OpenStoredFileRanges(memory_, file.path(), crypto_, file.file_bytes()));
  ASSERT_OK_AND_ASSIGN(auto frames, ReadFrameIndex(*ranges, file, order_));
  ASSERT_GE(frames.size(), 2u);
  size_t first_frame_records = 0;
  for (const auto& body : rows) {
    if (order_.Compare(rowcodec::EncodeRowidKey(KeyOf(body)), frames[1].first_key) >= 0) break;
    ++first_frame_records;
  }
  auto in_range = [](const std::vector<std::string>& bodies) {
    std::vector<int64_t> out;
    for (const auto& body : bodies) {
      if (const int64_t k = KeyOf(body); k >= 10 && k < 20) out.push_back(k);
    }
    return out;
  };
  const std::vector<int64_t> want = {10, 12, 14, 16, 18};
  ASSERT_OK_AND_ASSIGN(auto some, ReadFrames(file, keys));
  EXPECT_EQ(in_range(some), want);
  EXPECT_LT(some.size(), first_frame_records);
  if (GetParam()) return;  // encrypted files cannot be re-indexed without the key
  const proto::DataFile v1 = Reindexed(
      file, [](auto*) {}, /*with_crc=*/false);
  ASSERT_OK_AND_ASSIGN(auto whole, ReadFrames(v1, keys));
  EXPECT_EQ(in_range(whole), want);
  EXPECT_EQ(whole.size(), first_frame_records);
}

// Frames after the first are compressed with the first frame's records as their dictionary: a
// read of some frames takes it first, a whole read takes it from the stream, and an entry that
// does not say so (or says so of a first frame too large to hold) is refused, not misread.
TEST_P(DataFileFramesTest, LaterFramesReadWithTheFirstFrameAsDictionary) {
  const std::vector<std::string> rows = Rows(3000);
  const proto::DataFile file = Write("data/1.cfd", rows);
  ASSERT_TRUE(file.first_frame_dictionary());
  const KeyRanges keys = {{rowcodec::EncodeRowidKey(5000), rowcodec::EncodeRowidKey(5001)}};
  ASSERT_OK_AND_ASSIGN(auto some, ReadFrames(file, keys));
  EXPECT_FALSE(some.empty());
  EXPECT_LT(some.size(), rows.size() / 10);
  EXPECT_NE(std::find(some.begin(), some.end(), rows[2500]), some.end());

  proto::DataFile unsaid = file;
  unsaid.set_first_frame_dictionary(false);
  EXPECT_THAT(ReadFrames(unsaid, keys).status(), StatusIs(StatusCode::kDataLoss));
  ASSERT_OK_AND_ASSIGN(auto whole, DataFileReader::Open(memory_, unsaid, crypto_));
  EXPECT_THAT(Drain(*whole).status(), StatusIs(StatusCode::kDataLoss, HasSubstr(file.path())));

  // A single frame needs no dictionary and says none.
  EXPECT_FALSE(Write("data/2.cfd", Rows(3)).first_frame_dictionary());

  // A first record past the limit: its frame is never a dictionary, and an entry claiming it
  // is refused before it is held.
  std::string body(1, static_cast<char>(fmt::kRecordRow));
  body.append(rowcodec::EncodeRowidKey(0));
  rowcodec::PutVarint(&body, 1);
  body.push_back(static_cast<char>(fmt::kText));
  rowcodec::PutVarint(&body, fmt::kMaxDictionaryBytes);
  body.append(fmt::kMaxDictionaryBytes, 'z');
  std::vector<std::string> bodies = {body};
  for (int64_t k = 1; k < 100; ++k) bodies.push_back(Row(k, k));
  const proto::DataFile large = Write("data/3.cfd", bodies);
  EXPECT_FALSE(large.first_frame_dictionary());
  ASSERT_OK_AND_ASSIGN(auto large_reader, DataFileReader::Open(memory_, large, crypto_));
  ASSERT_OK_AND_ASSIGN(auto large_rows, Drain(*large_reader));
  EXPECT_EQ(large_rows, bodies);
  proto::DataFile claimed = large;
  claimed.set_first_frame_dictionary(true);
  const KeyRanges later = {{rowcodec::EncodeRowidKey(50), rowcodec::EncodeRowidKey(60)}};
  EXPECT_THAT(ReadFrames(claimed, later).status(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("dictionary")));
  ASSERT_OK_AND_ASSIGN(auto claimed_reader, DataFileReader::Open(memory_, claimed, crypto_));
  EXPECT_THAT(Drain(*claimed_reader).status(),
              StatusIs(StatusCode::kDataLoss, HasSubstr("dictionary")));
}

INSTANTIATE_TEST_SUITE_P(Chains, DataFileFramesTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Encrypted" : "Plain"; });

}  // namespace
}  // namespace cofre
