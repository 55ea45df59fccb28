#include "backup/zstd_stream.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "util/status_matchers.h"

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

// A frame decompressed in steps gives the same content as in one call, stops where asked, and a
// corrupt or cut frame is an error either way (a frame read to its end is checksummed).
TEST(ZstdStreamTest, FramesDecompressInStepsAndStopWhereAsked) {
  const std::string in = RowLikeData(300 << 10);
  ASSERT_OK_AND_ASSIGN(auto compressor, ZstdFrameCompressor::New(ZstdOptions{}));
  std::string frame;
  ASSERT_THAT(compressor->Compress(in, &frame), IsOk());
  ASSERT_OK_AND_ASSIGN(auto d, ZstdFrameDecompressor::New());
  auto never = [](std::string_view) { return size_t{0}; };
  for (size_t step : {size_t{1} << 10, size_t{4093}, size_t{64} << 10, size_t{1} << 20}) {
    SCOPED_TRACE(step);
    std::string out;
    ASSERT_THAT(d->DecompressPrefix(frame, in.size(), step, never, &out), IsOk());
    EXPECT_TRUE(out == in);
    // Stop once 100 000 bytes are out; keep 99 999 of them.
    size_t calls = 0;
    auto stop_at_100000 = [&](std::string_view content) -> size_t {
      ++calls;
      EXPECT_TRUE(content == std::string_view(in).substr(0, content.size()));
      return content.size() >= 100000 ? 99999 : 0;
    };
    ASSERT_THAT(d->DecompressPrefix(frame, in.size(), step, stop_at_100000, &out), IsOk());
    if (step < in.size()) {
      EXPECT_EQ(out, in.substr(0, 99999));
      EXPECT_EQ(calls, (100000 + step - 1) / step);
    } else {
      EXPECT_TRUE(out == in);  // one step holds the frame: nothing to ask
      EXPECT_EQ(calls, 0u);
    }
    // The decompressor is reusable after a stop.
    ASSERT_THAT(d->Decompress(frame, in.size(), &out), IsOk());
    EXPECT_TRUE(out == in);
  }
  std::string out;
  EXPECT_THAT(d->DecompressPrefix(frame, in.size() + 1, 4096, never, &out),
              StatusIs(StatusCode::kDataLoss));
  EXPECT_THAT(d->DecompressPrefix(frame.substr(0, frame.size() - 1), in.size(), 4096, never, &out),
              StatusIs(StatusCode::kDataLoss));
  std::string flipped = frame;
  flipped[flipped.size() - 2] ^= 1;  // in the checksum
  EXPECT_THAT(d->DecompressPrefix(flipped, in.size(), 4096, never, &out),
              StatusIs(StatusCode::kDataLoss));
  flipped = frame;
  flipped[flipped.size() / 2] ^= 0x40;  // in the content
  EXPECT_THAT(d->DecompressPrefix(flipped, in.size(), 4096, never, &out),
              StatusIs(StatusCode::kDataLoss));
}

// Frames after the first, compressed with the first's content as their dictionary: smaller than
// without it, read back by the streaming source (which takes the dictionary from the stream) and
// by the frame decompressor (given it), and refused as corrupt by a reader without it.
TEST(ZstdStreamTest, LaterFramesUseTheFirstFramesContentAsDictionary) {
  const std::string in = RowLikeData(1 << 20);
  const size_t frame = 64 << 10;
  ASSERT_OK_AND_ASSIGN(auto with, ZstdFrameCompressor::New(ZstdOptions{}));
  ASSERT_OK_AND_ASSIGN(auto without, ZstdFrameCompressor::New(ZstdOptions{}));
  const std::string first = in.substr(0, frame);
  std::vector<std::string> frames(1), plain_frames(1);
  ASSERT_THAT(with->Compress(first, &frames[0]), IsOk());
  ASSERT_THAT(with->UseDictionary(first), IsOk());
  ASSERT_THAT(without->Compress(first, &plain_frames[0]), IsOk());
  size_t with_bytes = frames[0].size(), without_bytes = plain_frames[0].size();
  for (size_t off = frame; off < in.size(); off += frame) {
    frames.emplace_back();
    plain_frames.emplace_back();
    ASSERT_THAT(with->Compress(in.substr(off, frame), &frames.back()), IsOk());
    ASSERT_THAT(without->Compress(in.substr(off, frame), &plain_frames.back()), IsOk());
    with_bytes += frames.back().size();
    without_bytes += plain_frames.back().size();
  }
  EXPECT_LT(static_cast<double>(with_bytes), 0.99 * static_cast<double>(without_bytes));
  std::string stream;
  for (const auto& f : frames) stream += f;

  ZstdSourceOptions dictionary;
  dictionary.first_frame_dictionary = true;
  ASSERT_OK_AND_ASSIGN(auto src,
                       NewZstdDecompressSource(std::make_unique<StringSource>(stream), dictionary));
  ASSERT_OK_AND_ASSIGN(std::string out, ReadAll(*src, 64 << 20));
  EXPECT_TRUE(out == in);
  EXPECT_THAT(Decompress(stream).status(), StatusIs(StatusCode::kDataLoss));
  // A first frame over the limit is refused before more of it is held.
  dictionary.max_dictionary_bytes = frame - 1;
  ASSERT_OK_AND_ASSIGN(src,
                       NewZstdDecompressSource(std::make_unique<StringSource>(stream), dictionary));
  EXPECT_THAT(ReadAll(*src, 64 << 20).status(), StatusIs(StatusCode::kDataLoss));
  // A stream without a dictionary reads the same with the option on (its frames never reach
  // back into the first).
  std::string plain_stream;
  for (const auto& f : plain_frames) plain_stream += f;
  dictionary.max_dictionary_bytes = frame;
  ASSERT_OK_AND_ASSIGN(
      src, NewZstdDecompressSource(std::make_unique<StringSource>(plain_stream), dictionary));
  ASSERT_OK_AND_ASSIGN(out, ReadAll(*src, 64 << 20));
  EXPECT_TRUE(out == in);

  // One frame at a time, as an incremental reads them: with the dictionary, each frame alone.
  ASSERT_OK_AND_ASSIGN(auto d, ZstdFrameDecompressor::New());
  const size_t last = frames.size() - 1;
  EXPECT_THAT(d->Decompress(frames[1], frame, &out), StatusIs(StatusCode::kDataLoss));
  ASSERT_THAT(d->UseDictionary(first), IsOk());
  for (size_t i : {last, size_t{3}, size_t{1}}) {
    ASSERT_THAT(d->Decompress(frames[i], in.substr(i * frame, frame).size(), &out), IsOk());
    EXPECT_TRUE(out == in.substr(i * frame, frame));
  }
  auto at_half = [](std::string_view content) {
    return content.size() >= 10000 ? size_t{10000} : 0;
  };
  ASSERT_THAT(d->DecompressPrefix(frames[2], frame, 4096, at_half, &out), IsOk());
  EXPECT_TRUE(out == in.substr(2 * frame, 10000));
  // Back to no dictionary: the frame is corrupt to it again.
  ASSERT_THAT(d->UseDictionary({}), IsOk());
  EXPECT_THAT(d->Decompress(frames[1], frame, &out), StatusIs(StatusCode::kDataLoss));
}

}  // namespace
}  // namespace cofre
