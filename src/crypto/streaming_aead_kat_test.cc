// Known-answer tests: cofre's encryptor must reproduce, byte for byte, the vectors that
// tests/testdata/crypto/gen_kat.py computes with an independent implementation of
// docs/format.md §2, and its decryptor must read them back.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include "crypto/crypto_test_util.h"
#include "crypto/encrypting_sink.h"
#include "crypto/streaming_aead.h"

namespace cofre {
namespace {

using testing_util::Hex;
using testing_util::Unhex;

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), md, &n, EVP_sha256(), nullptr), 1);
  return Hex(std::string_view(reinterpret_cast<const char*>(md), n));
}

TEST(StreamingAeadKatTest, MatchesIndependentImplementation) {
  auto vectors = testing_util::ParseVectors(testing_util::ReadTestData("streaming_aead_kat.txt"));
  ASSERT_EQ(vectors.size(), 5u) << "tests/testdata/crypto/streaming_aead_kat.txt missing?";
  for (auto& v : vectors) {
    SCOPED_TRACE(v["name"]);
    SecretBytes key(Unhex(v["data_key"]));
    std::string context = FileContext(Unhex(v["chain_id"]), v["path"]);
    std::string plaintext = testing_util::Pattern(std::stoul(v["plaintext_pattern"]));
    streaming_aead::EncryptionParams params;
    params.chunk_size = static_cast<uint32_t>(std::stoul(v["chunk_size"]));
    params.salt = Unhex(v["salt"]);
    params.nonce_prefix = Unhex(v["nonce_prefix"]);

    std::string ciphertext;
    auto sink = streaming_aead::EncryptingSink::New(std::make_unique<StringSink>(&ciphertext), key,
                                                    context, params);
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    ASSERT_TRUE((*sink)->Append(plaintext).ok());
    ASSERT_TRUE((*sink)->Close().ok());

    if (v.count("ciphertext")) {
      EXPECT_EQ(Hex(ciphertext), v["ciphertext"]);
    } else {
      EXPECT_EQ(ciphertext.size(), std::stoul(v["ciphertext_size"]));
      EXPECT_EQ(Sha256Hex(ciphertext), v["ciphertext_sha256"]);
    }
    StatusOr<std::string> back = DecryptSmall(key, context, ciphertext);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_TRUE(*back == plaintext);
  }
}

// The fuzz target's seeds must decrypt under its fixed key and context, or the fuzzer never
// reaches the reader's success paths.
TEST(StreamingAeadKatTest, FuzzSeedsDecryptUnderTheFuzzKey) {
  std::string key, chain_id;
  for (int i = 0x20; i < 0x40; ++i) key.push_back(static_cast<char>(i));
  for (int i = 0xa0; i < 0xb0; ++i) chain_id.push_back(static_cast<char>(i));
  std::string context = FileContext(chain_id, "fuzz/data/1.cfd");
  const std::pair<const char*, size_t> seeds[] = {
      {"empty.cfae", 0},          {"one_byte.cfae", 1},       {"one_chunk.cfae", 100},
      {"exact_chunks.cfae", 512}, {"four_chunks.cfae", 1000}, {"two_default_chunks.cfae", 65537}};
  for (const auto& [name, size] : seeds) {
    std::string path = std::string(COFRE_SOURCE_DIR) + "/fuzz/corpus/streaming_aead/" + name;
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    StatusOr<std::string> plaintext = DecryptSmall(SecretBytes(key), context, ss.str());
    ASSERT_TRUE(plaintext.ok()) << name << ": " << plaintext.status().ToString();
    EXPECT_TRUE(*plaintext == testing_util::Pattern(size)) << name;
  }
}

}  // namespace
}  // namespace cofre
