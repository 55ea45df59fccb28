#include "crypto/streaming_aead.h"

#include <gtest/gtest.h>

#include <vector>

#include "crypto/crypto_test_util.h"
#include "crypto/encrypting_sink.h"
#include "crypto/random.h"
#include "crypto/streaming_aead_format.h"

namespace cofre {
namespace {

using streaming_aead::EncryptingSink;
using streaming_aead::EncryptionParams;
using streaming_aead::kChunkSize;
using streaming_aead::kHeaderSize;
using streaming_aead::kTagSize;
using testing_util::Pattern;
using testing_util::RecordingSink;
using testing_util::TrickleSource;

constexpr size_t kKi = 1024;

class StreamingAeadTest : public ::testing::Test {
 protected:
  StreamingAeadTest()
      : key_(*RandomSecret(32)),
        context_(FileContext("0123456789abcdef", "2026/11/28-145137.12/data/1.cfd")) {}

  // Encrypts `plaintext` with the public sink, appending in pieces of `piece` bytes.
  std::string Encrypt(std::string_view plaintext, size_t piece = SIZE_MAX) {
    std::string out;
    auto sink = NewEncryptingSink(std::make_unique<StringSink>(&out), key_, context_);
    EXPECT_TRUE(sink.ok()) << sink.status().ToString();
    for (size_t pos = 0; pos < plaintext.size(); pos += piece) {
      EXPECT_TRUE((*sink)->Append(plaintext.substr(pos, piece)).ok());
    }
    EXPECT_EQ((*sink)->BytesAppended(), plaintext.size());
    EXPECT_TRUE((*sink)->Close().ok());
    return out;
  }

  // Encrypts with a small chunk size so tamper tests can cover many chunks cheaply.
  std::string EncryptSmallChunks(std::string_view plaintext, uint32_t chunk_size) {
    std::string out;
    EncryptionParams params;
    params.chunk_size = chunk_size;
    auto sink = EncryptingSink::New(std::make_unique<StringSink>(&out), key_, context_, params);
    EXPECT_TRUE(sink.ok()) << sink.status().ToString();
    EXPECT_TRUE((*sink)->Append(plaintext).ok());
    EXPECT_TRUE((*sink)->Close().ok());
    return out;
  }

  // Decrypts all of `ciphertext`, reading `read_size` bytes per call from a source that returns
  // at most `trickle` bytes per read.
  StatusOr<std::string> Decrypt(const std::string& ciphertext, size_t read_size = 64 * kKi,
                                size_t trickle = SIZE_MAX, const SecretBytes* key = nullptr,
                                const std::string* context = nullptr) {
    ASSIGN_OR_RETURN(auto src,
                     NewDecryptingSource(std::make_unique<TrickleSource>(ciphertext, trickle),
                                         key ? *key : key_, context ? *context : context_));
    std::string out;
    std::vector<char> buf(read_size);
    while (true) {
      ASSIGN_OR_RETURN(size_t n, src->Read(buf.data(), buf.size()));
      if (n == 0) break;
      out.append(buf.data(), n);
    }
    return out;
  }

  void ExpectDataLoss(const std::string& ciphertext, const std::string& what) {
    StatusOr<std::string> got = Decrypt(ciphertext, 1000);
    EXPECT_EQ(got.status().code(), StatusCode::kDataLoss)
        << what << ": " << got.status().ToString();
  }

  SecretBytes key_;
  std::string context_;
};

TEST_F(StreamingAeadTest, RoundTripsAtChunkBoundarySizes) {
  for (size_t size : {size_t{0}, size_t{1}, 64 * kKi - 1, 64 * kKi, 64 * kKi + 1, 3 * 64 * kKi,
                      size_t{10} << 20}) {
    SCOPED_TRACE(size);
    std::string plaintext = Pattern(size);
    std::string ciphertext = Encrypt(plaintext);
    EXPECT_EQ(ciphertext.size(), EncryptedSize(size));
    size_t chunks = size == 0 ? 1 : (size + kChunkSize - 1) / kChunkSize;
    EXPECT_EQ(ciphertext.size(), kHeaderSize + size + chunks * kTagSize);
    for (size_t read_size : {size_t{4096}, size_t{1} << 20, size_t{64 * kKi}}) {
      StatusOr<std::string> back = Decrypt(ciphertext, read_size);
      ASSERT_TRUE(back.ok()) << back.status().ToString();
      EXPECT_TRUE(*back == plaintext) << "read size " << read_size;
    }
  }
}

TEST_F(StreamingAeadTest, AppendPatternsDoNotChangeTheResultLength) {
  std::string plaintext = Pattern(3 * 64 * kKi + 17);
  for (size_t piece :
       {size_t{1}, size_t{1000}, size_t{64 * kKi}, size_t{64 * kKi + 1}, size_t{200 * kKi}}) {
    SCOPED_TRACE(piece);
    if (piece == 1) plaintext.resize(70 * kKi);  // keep byte-at-a-time appends quick
    std::string ciphertext = Encrypt(plaintext, piece);
    EXPECT_EQ(ciphertext.size(), EncryptedSize(plaintext.size()));
    StatusOr<std::string> back = Decrypt(ciphertext, 7, 5);  // odd reads, trickling source
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_TRUE(*back == plaintext);
  }
}

TEST_F(StreamingAeadTest, EveryFileIsDifferentEvenForEqualPlaintext) {
  std::string a = Encrypt("same"), b = Encrypt("same");
  EXPECT_NE(a, b);  // fresh salt and nonce prefix
  EXPECT_EQ(a.find("same"), std::string::npos);
}

TEST_F(StreamingAeadTest, SmallFileHelpersRoundTrip) {
  for (size_t size : {size_t{0}, size_t{5}, 64 * kKi, 200 * kKi}) {
    std::string plaintext = Pattern(size);
    StatusOr<std::string> ct = EncryptSmall(key_, context_, plaintext);
    ASSERT_TRUE(ct.ok());
    EXPECT_EQ(ct->size(), EncryptedSize(size));
    StatusOr<std::string> pt = DecryptSmall(key_, context_, *ct);
    ASSERT_TRUE(pt.ok()) << pt.status().ToString();
    EXPECT_TRUE(*pt == plaintext);
    // Interoperates with the streaming reader.
    StatusOr<std::string> streamed = Decrypt(*ct);
    ASSERT_TRUE(streamed.ok());
    EXPECT_TRUE(*streamed == plaintext);
  }
  std::string ct = *EncryptSmall(key_, context_, "manifest");
  ct[ct.size() - 1] ^= 1;
  EXPECT_EQ(DecryptSmall(key_, context_, ct).status().code(), StatusCode::kDataLoss);
}

TEST_F(StreamingAeadTest, WrongKeyOrContextIsDataLoss) {
  std::string ciphertext = Encrypt(Pattern(100 * kKi));
  SecretBytes other_key = *RandomSecret(32);
  EXPECT_EQ(Decrypt(ciphertext, 4096, SIZE_MAX, &other_key).status().code(), StatusCode::kDataLoss);
  // The same path in another chain, and another path in the same chain.
  for (const std::string& other :
       {FileContext("fedcba9876543210", "2026/11/28-145137.12/data/1.cfd"),
        FileContext("0123456789abcdef", "2026/11/28-145137.12/data/2.cfd"), std::string("")}) {
    EXPECT_EQ(Decrypt(ciphertext, 4096, SIZE_MAX, nullptr, &other).status().code(),
              StatusCode::kDataLoss);
  }
  // FileContext is unambiguous: moving bytes between chain id and path changes it.
  EXPECT_NE(FileContext("ab", "c"), FileContext("a", "bc"));
}

TEST_F(StreamingAeadTest, HeaderDamageIsDataLoss) {
  std::string good = Encrypt(Pattern(1000));
  auto with = [&](size_t offset, char value) {
    std::string bad = good;
    bad[offset] = value;
    return bad;
  };
  ExpectDataLoss(with(0, 'X'), "bad magic");
  ExpectDataLoss(with(streaming_aead::kVersionOffset, 2), "unknown version");
  ExpectDataLoss(with(streaming_aead::kVersionOffset, 0), "version 0");
  // Chunk size 0x00010100 (65792) is valid in range but not what the file was written with.
  ExpectDataLoss(with(streaming_aead::kChunkSizeOffset + 2, 1), "other valid chunk size");
  ExpectDataLoss(with(streaming_aead::kChunkSizeOffset, 0x7f), "huge chunk size");
  ExpectDataLoss(with(streaming_aead::kChunkSizeOffset + 1, 0), "zero chunk size");
  ExpectDataLoss(with(streaming_aead::kSaltOffset + 5, good[streaming_aead::kSaltOffset + 5] ^ 1),
                 "salt");
  ExpectDataLoss(
      with(streaming_aead::kNoncePrefixOffset, good[streaming_aead::kNoncePrefixOffset] ^ 0x80),
      "nonce prefix");
  ExpectDataLoss("", "empty file");
  ExpectDataLoss("not an encrypted file at all, just some text of enough length", "plaintext");
}

TEST_F(StreamingAeadTest, EveryFlippedByteIsDataLoss) {
  std::string good = EncryptSmallChunks(Pattern(600), 256);  // chunks of 256, 256, 88
  ASSERT_EQ(good.size(), kHeaderSize + 600 + 3 * kTagSize);
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ (1 << (i % 8)));
    ExpectDataLoss(bad, "flip at " + std::to_string(i));
  }
}

TEST_F(StreamingAeadTest, EveryTruncationIsDataLoss) {
  std::string good = EncryptSmallChunks(Pattern(600), 256);
  for (size_t n = 0; n < good.size(); ++n) {
    ExpectDataLoss(good.substr(0, n), "truncated to " + std::to_string(n));
  }
  // Exactly at chunk boundaries of the default format (3 full chunks of 64 KiB).
  std::string big = Encrypt(Pattern(3 * 64 * kKi));
  const size_t sealed = kChunkSize + kTagSize;
  for (size_t chunks : {0, 1, 2}) {
    ExpectDataLoss(big.substr(0, kHeaderSize + chunks * sealed),
                   "cut after " + std::to_string(chunks) + " chunks");
  }
  ExpectDataLoss(big.substr(0, big.size() - 1), "last byte missing");
  ExpectDataLoss(big.substr(0, kHeaderSize / 2), "inside the header");
}

TEST_F(StreamingAeadTest, TruncationAtChunkBoundaryOfASmallChunkFile) {
  std::string good = EncryptSmallChunks(Pattern(512), 256);  // two full chunks, last is full
  ASSERT_EQ(good.size(), kHeaderSize + 2 * (256 + kTagSize));
  ExpectDataLoss(good.substr(0, kHeaderSize + 256 + kTagSize), "second chunk dropped");
}

TEST_F(StreamingAeadTest, ExtensionIsDataLoss) {
  for (size_t size : {size_t{0}, size_t{100}, size_t{512}}) {
    std::string good = EncryptSmallChunks(Pattern(size), 256);
    ExpectDataLoss(good + "x", "one trailing byte");
    ExpectDataLoss(good + std::string(kTagSize, '\0'), "trailing tag-sized block");
    ExpectDataLoss(good + good.substr(kHeaderSize), "chunks appended again");
    ExpectDataLoss(good + good, "file concatenated with itself");
  }
}

TEST_F(StreamingAeadTest, ReorderedDuplicatedOrDroppedChunksAreDataLoss) {
  std::string good = EncryptSmallChunks(Pattern(1000), 256);  // chunks 256,256,256,232
  const size_t sealed = 256 + kTagSize;
  std::string header = good.substr(0, kHeaderSize);
  std::vector<std::string> c;
  for (size_t pos = kHeaderSize; pos < good.size(); pos += sealed)
    c.push_back(good.substr(pos, sealed));
  ASSERT_EQ(c.size(), 4u);
  ExpectDataLoss(header + c[1] + c[0] + c[2] + c[3], "first two swapped");
  ExpectDataLoss(header + c[0] + c[2] + c[1] + c[3], "middle swapped");
  ExpectDataLoss(header + c[0] + c[0] + c[1] + c[2] + c[3], "first duplicated");
  ExpectDataLoss(header + c[0] + c[1] + c[1] + c[2] + c[3], "middle duplicated");
  ExpectDataLoss(header + c[0] + c[2] + c[3], "middle dropped");
  ExpectDataLoss(header + c[0] + c[1] + c[2], "last dropped");
  ExpectDataLoss(header + c[3], "only the last chunk");
  ASSERT_TRUE(Decrypt(header + c[0] + c[1] + c[2] + c[3]).ok());  // control
}

TEST_F(StreamingAeadTest, ChunksFromAnotherFileWithTheSameKeyAreDataLoss) {
  std::string a = EncryptSmallChunks(Pattern(600), 256);
  std::string b = EncryptSmallChunks(Pattern(600), 256);  // same key, context, plaintext
  const size_t sealed = 256 + kTagSize;
  std::string spliced = a.substr(0, kHeaderSize + sealed) + b.substr(kHeaderSize + sealed);
  ExpectDataLoss(spliced, "tail from another file");
  ExpectDataLoss(b.substr(0, kHeaderSize) + a.substr(kHeaderSize), "header from another file");
}

TEST_F(StreamingAeadTest, ErrorsAreStickyAndNoPlaintextEscapesAFailedChunk) {
  std::string good = EncryptSmallChunks(Pattern(1000), 256);
  std::string bad = good;
  bad[kHeaderSize + 2 * (256 + kTagSize) + 3] ^= 1;  // damage chunk 2
  auto src = NewDecryptingSource(std::make_unique<StringSource>(bad), key_, context_);
  ASSERT_TRUE(src.ok());
  char buf[256];
  ASSERT_EQ(*(*src)->Read(buf, sizeof(buf)), 256u);
  ASSERT_EQ(*(*src)->Read(buf, sizeof(buf)), 256u);
  StatusOr<size_t> r = (*src)->Read(buf, sizeof(buf));
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("chunk 2"), std::string::npos) << r.status().message();
  EXPECT_EQ((*src)->Read(buf, sizeof(buf)).status().code(), StatusCode::kDataLoss);
}

TEST_F(StreamingAeadTest, SourceErrorsPassThroughAndStick) {
  std::string good = Encrypt(Pattern(200 * kKi));
  auto src = NewDecryptingSource(
      std::make_unique<TrickleSource>(good, SIZE_MAX, 100 * kKi, UnavailableError("network down")),
      key_, context_);
  ASSERT_TRUE(src.ok());
  std::vector<char> buf(64 * kKi);
  ASSERT_TRUE((*src)->Read(buf.data(), buf.size()).ok());
  StatusOr<size_t> r = (*src)->Read(buf.data(), buf.size());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ((*src)->Read(buf.data(), buf.size()).status().code(), StatusCode::kUnavailable);
  // A failure while reading the header surfaces from the factory.
  auto early = NewDecryptingSource(
      std::make_unique<TrickleSource>(good, SIZE_MAX, 10, UnavailableError("network down")), key_,
      context_);
  EXPECT_EQ(early.status().code(), StatusCode::kUnavailable);
}

TEST_F(StreamingAeadTest, SinkErrorsAreStickyAndCloseRules) {
  std::string out;
  bool closed = false;
  // The header is append #0; the first chunk write (append #1) fails.
  auto sink = NewEncryptingSink(std::make_unique<RecordingSink>(&out, &closed, 1), key_, context_);
  ASSERT_TRUE(sink.ok());
  EXPECT_EQ(out.size(), kHeaderSize);
  EXPECT_TRUE((*sink)->Append(Pattern(64 * kKi)).ok());  // buffered: may be the last chunk
  EXPECT_EQ((*sink)->Append("x").code(), StatusCode::kUnavailable);
  EXPECT_EQ((*sink)->Append("y").code(), StatusCode::kUnavailable);
  EXPECT_EQ((*sink)->Close().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(closed);

  std::string out2;
  bool closed2 = false;
  auto ok_sink =
      NewEncryptingSink(std::make_unique<RecordingSink>(&out2, &closed2), key_, context_);
  ASSERT_TRUE(ok_sink.ok());
  ASSERT_TRUE((*ok_sink)->Append("data").ok());
  ASSERT_TRUE((*ok_sink)->Close().ok());
  EXPECT_TRUE(closed2);
  EXPECT_EQ((*ok_sink)->Close().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*ok_sink)->Append("more").code(), StatusCode::kFailedPrecondition);
}

TEST_F(StreamingAeadTest, AbandonedSinkDoesNotCloseItsDestination) {
  std::string out;
  bool closed = false;
  {
    auto sink = NewEncryptingSink(std::make_unique<RecordingSink>(&out, &closed), key_, context_);
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Append(Pattern(100 * kKi)).ok());
  }
  EXPECT_FALSE(closed);
  // What was written is an unfinished file: it does not decrypt.
  ExpectDataLoss(out, "abandoned file");
}

TEST_F(StreamingAeadTest, RejectsBadKeysAndParams) {
  std::string out;
  EXPECT_EQ(NewEncryptingSink(std::make_unique<StringSink>(&out), SecretBytes(16), context_)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      NewDecryptingSource(std::make_unique<StringSource>(Encrypt("x")), SecretBytes(16), context_)
          .status()
          .code(),
      StatusCode::kInvalidArgument);
  EncryptionParams params;
  params.chunk_size = 100;
  EXPECT_EQ(EncryptingSink::New(std::make_unique<StringSink>(&out), key_, context_, params)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  params.chunk_size = kChunkSize;
  params.salt = "short";
  EXPECT_EQ(EncryptingSink::New(std::make_unique<StringSink>(&out), key_, context_, params)
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST_F(StreamingAeadTest, ErrorMessagesCarryNoKeyMaterial) {
  std::string ciphertext = Encrypt("secret rows");
  SecretBytes other = *RandomSecret(32);
  StatusOr<std::string> r = Decrypt(ciphertext, 4096, SIZE_MAX, &other);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().find(other.view()), std::string::npos);
  EXPECT_EQ(r.status().message().find(key_.view()), std::string::npos);
  EXPECT_EQ(r.status().message().find(testing_util::Hex(key_.view())), std::string::npos);
}

}  // namespace
}  // namespace cofre
