#include "crypto/random_access_decryptor.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "crypto/streaming_aead.h"
#include "storage/memory_storage.h"
#include "util/status_matchers.h"

namespace cofre::streaming_aead {
namespace {

class RandomAccessDecryptorTest : public ::testing::Test {
 protected:
  RandomAccessDecryptorTest() : key_(std::string(32, 'k')) {}

  // Encrypts `plain` as file "f" with context "ctx".
  void Store(const std::string& plain) {
    std::string sealed;
    auto sink = NewEncryptingSink(std::make_unique<StringSink>(&sealed), key_, "ctx");
    ASSERT_THAT(sink.status(), IsOk());
    ASSERT_THAT((*sink)->Append(plain), IsOk());
    ASSERT_THAT((*sink)->Close(), IsOk());
    memory_.PutRaw("f", sealed);
  }

  StatusOr<std::unique_ptr<RandomAccessDecryptor>> Open(std::string_view context = "ctx") {
    ASSIGN_OR_RETURN(source_, memory_.NewReader("f"));
    return RandomAccessDecryptor::New(source_.get(), source_->Size(), key_, context);
  }

  MemoryStorage memory_;
  SecretBytes key_;
  std::unique_ptr<RandomAccessSource> source_;
};

TEST_F(RandomAccessDecryptorTest, AnyRangeReadsTheSameBytesAsTheWholeFile) {
  std::mt19937_64 rng(5);
  for (size_t size : {size_t{0}, size_t{1}, size_t{kChunkSize} - 1, size_t{kChunkSize},
                      size_t{kChunkSize} + 1, 3 * size_t{kChunkSize} + 17}) {
    std::string plain(size, '\0');
    for (auto& c : plain) c = static_cast<char>(rng());
    Store(plain);
    ASSERT_OK_AND_ASSIGN(auto d, Open());
    EXPECT_EQ(d->plaintext_size(), size);
    std::string out;
    for (int i = 0; i < 50; ++i) {
      const uint64_t a = size ? rng() % (size + 1) : 0;
      const uint64_t n = (size - a) ? rng() % (size - a + 1) : 0;
      ASSERT_THAT(d->Read(a, n, &out), IsOk()) << size << " " << a << " " << n;
      EXPECT_EQ(out, plain.substr(a, n));
    }
    // Ranges of whole chunks (opened straight into the output), and ranges that cut chunks at
    // both ends around whole ones.
    const uint64_t c = kChunkSize;
    for (auto [a, n] : {std::pair<uint64_t, uint64_t>{0, size},
                        {c, c},
                        {0, c},
                        {c - 1, c + 2},
                        {1, 2 * c},
                        {2 * c, size > 2 * c ? size - 2 * c : 0}}) {
      if (a > size || n > size - a) continue;
      ASSERT_THAT(d->Read(a, n, &out), IsOk()) << size << " " << a << " " << n;
      EXPECT_EQ(out, plain.substr(a, n));
    }
    EXPECT_THAT(d->Read(size, 1, &out), StatusIs(StatusCode::kDataLoss));
  }
}

TEST_F(RandomAccessDecryptorTest, TamperedTruncatedOrMovedFilesFailAuthentication) {
  const std::string plain(3 * kChunkSize + 100, 'p');
  Store(plain);
  std::string out;
  {
    ASSERT_OK_AND_ASSIGN(auto d, Open("other context"));
    EXPECT_THAT(d->Read(0, 10, &out), StatusIs(StatusCode::kDataLoss));
  }
  ASSERT_OK_AND_ASSIGN(std::string sealed, memory_.GetRaw("f"));
  {
    std::string bad = sealed;
    bad[kHeaderSize + kChunkSize + kTagSize + 5] ^= 1;  // inside chunk 1
    memory_.PutRaw("f", bad);
    ASSERT_OK_AND_ASSIGN(auto d, Open());
    EXPECT_THAT(d->Read(0, 100, &out), IsOk());  // chunk 0 is intact
    EXPECT_THAT(d->Read(kChunkSize + 1, 10, &out), StatusIs(StatusCode::kDataLoss));
  }
  // Cut at a chunk boundary: the new last chunk lacks the last-chunk flag.
  memory_.PutRaw("f", sealed.substr(0, kHeaderSize + 2 * (kChunkSize + kTagSize)));
  {
    ASSERT_OK_AND_ASSIGN(auto d, Open());
    EXPECT_THAT(d->Read(kChunkSize + 1, 10, &out), StatusIs(StatusCode::kDataLoss));
  }
  memory_.PutRaw("f", sealed.substr(0, 20));
  EXPECT_THAT(Open().status(), StatusIs(StatusCode::kDataLoss));
}

}  // namespace
}  // namespace cofre::streaming_aead
