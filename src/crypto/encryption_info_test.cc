#include "crypto/encryption_info.h"

#include <gtest/gtest.h>

#include <chrono>

#include "crypto/crypto_test_util.h"
#include "crypto/random.h"

namespace cofre {
namespace {

using testing_util::Hex;
using testing_util::Unhex;

constexpr std::string_view kPassphrase = "correct horse battery staple";

TEST(EncryptionInfoTest, PassphraseChainRoundTripsThroughBytes) {
  auto chain = NewChainWithPassphrase(kPassphrase);
  ASSERT_TRUE(chain.ok()) << chain.status().ToString();
  const auto& [info, key] = *chain;
  EXPECT_EQ(info.format_version(), 3u);
  EXPECT_EQ(info.version(), 1u);
  EXPECT_EQ(key.chain_id.size(), kChainIdSize);
  EXPECT_EQ(key.data_key.size(), kChainDataKeySize);
  EXPECT_EQ(info.chain_id(), key.chain_id);
  ASSERT_EQ(info.keys_size(), 1);
  const PassphraseEntry& entry = info.keys(0).passphrase();
  EXPECT_EQ(entry.kdf(), PassphraseEntry::PBKDF2_HMAC_SHA256);
  EXPECT_EQ(entry.iterations(), kPassphraseIterations);
  EXPECT_GE(entry.iterations(), 600000u);
  EXPECT_EQ(entry.salt().size(), kPassphraseSaltSize);

  std::string bytes = SerializeEncryptionInfo(info);
  EXPECT_EQ(bytes.find(key.data_key.view()), std::string::npos);
  EXPECT_EQ(bytes.find(kPassphrase), std::string::npos);
  StatusOr<EncryptionInfo> parsed = ParseEncryptionInfo(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  StatusOr<ChainKey> unlocked = UnwrapWithPassphrase(*parsed, kPassphrase);
  ASSERT_TRUE(unlocked.ok()) << unlocked.status().ToString();
  EXPECT_EQ(unlocked->chain_id, key.chain_id);
  EXPECT_TRUE(unlocked->data_key.Equals(key.data_key));
}

TEST(EncryptionInfoTest, WrongPassphraseIsPermissionDeniedWithoutLeakingIt) {
  auto chain = NewChainWithPassphrase(kPassphrase);
  ASSERT_TRUE(chain.ok());
  StatusOr<ChainKey> r = UnwrapWithPassphrase(chain->first, "tr0ub4dor&3");
  ASSERT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("passphrase is wrong"), std::string::npos);
  EXPECT_EQ(r.status().message().find("tr0ub4dor"), std::string::npos);
  EXPECT_EQ(r.status().hint().find("tr0ub4dor"), std::string::npos);
}

TEST(EncryptionInfoTest, EmptyPassphraseIsInvalidArgument) {
  EXPECT_EQ(NewChainWithPassphrase("").status().code(), StatusCode::kInvalidArgument);
  auto chain = NewChainWithPassphrase(kPassphrase);
  ASSERT_TRUE(chain.ok());
  EXPECT_EQ(UnwrapWithPassphrase(chain->first, "").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AddPassphraseEntry(&chain->first, chain->second, "").code(),
            StatusCode::kInvalidArgument);
}

TEST(EncryptionInfoTest, KmsOnlyChainAsksForKms) {
  auto chain = NewChain();
  ASSERT_TRUE(chain.ok());
  auto& [info, key] = *chain;
  ASSERT_TRUE(AddKmsEntry(&info, "arn:aws:kms:us-east-1:000000000000:key/k1", "aws", "blob1").ok());
  ASSERT_TRUE(ParseEncryptionInfo(SerializeEncryptionInfo(info)).ok());
  StatusOr<ChainKey> r = UnwrapWithPassphrase(info, kPassphrase);
  ASSERT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("KMS"), std::string::npos);
  EXPECT_NE(r.status().hint().find("kms = "), std::string::npos);
}

TEST(EncryptionInfoTest, KmsEntriesAreFiledByKeyIdHash) {
  auto chain = NewChain();
  ASSERT_TRUE(chain.ok());
  auto& [info, key] = *chain;
  const std::string k1 = "arn:aws:kms:us-east-1:000000000000:key/k1";
  const std::string k2 = "arn:aws:kms:eu-west-1:000000000000:key/k2";
  ASSERT_TRUE(AddKmsEntry(&info, k1, "aws", "blob1").ok());
  ASSERT_TRUE(AddKmsEntry(&info, k2, "aws", "blob2").ok());
  ASSERT_TRUE(AddKmsEntry(&info, k1, "aws", "blob1-again").ok());  // replaces, no duplicate
  EXPECT_EQ(info.keys_size(), 2);
  EXPECT_TRUE(HasKmsEntry(info));
  EXPECT_FALSE(HasPassphraseEntry(info));
  ASSERT_NE(FindKmsEntry(info, k1), nullptr);
  EXPECT_EQ(FindKmsEntry(info, k1)->wrapped_key(), "blob1-again");
  EXPECT_EQ(FindKmsEntry(info, k2)->wrapped_key(), "blob2");
  EXPECT_EQ(FindKmsEntry(info, "arn:aws:kms:us-east-1:000000000000:key/k3"), nullptr);
  EXPECT_EQ(FindKmsEntry(info, k1)->key_id_hash(), KmsKeyIdHash(k1));
  EXPECT_EQ(KmsKeyIdHash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string bytes = SerializeEncryptionInfo(info);
  EXPECT_EQ(bytes.find(k1), std::string::npos) << "the key id itself is not stored";
  EXPECT_EQ(AddKmsEntry(&info, "", "aws", "b").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AddKmsEntry(&info, k1, "", "b").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AddKmsEntry(&info, k1, "AWS KMS", "b").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AddKmsEntry(&info, k1, "aws", "").code(), StatusCode::kInvalidArgument);
}

TEST(EncryptionInfoTest, KeyFromElsewhereIsCheckedAgainstTheChain) {
  auto a = NewChain();
  auto b = NewChain();
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(AddKmsEntry(&a->first, "k", "aws", "blob").ok());
  StatusOr<ChainKey> good = ChainKeyFromUnwrapped(a->first, a->second.data_key.Clone());
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_EQ(good->chain_id, a->second.chain_id);
  EXPECT_EQ(ChainKeyFromUnwrapped(a->first, b->second.data_key.Clone()).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(ChainKeyFromUnwrapped(a->first, SecretBytes(7)).status().code(),
            StatusCode::kPermissionDenied);
}

TEST(EncryptionInfoTest, RewrapAddsAPassphraseWithoutChangingTheKey) {
  auto chain = NewChainWithPassphrase("old passphrase");
  ASSERT_TRUE(chain.ok());
  EncryptionInfo next = chain->first;
  ChainKey key = *UnwrapWithPassphrase(next, "old passphrase");
  ASSERT_TRUE(AddPassphraseEntry(&next, key, "new passphrase").ok());
  ASSERT_TRUE(AddKmsEntry(&next, "kms-key", "aws", "kms-blob").ok());
  BumpVersion(&next);
  EXPECT_EQ(next.version(), 2u);
  StatusOr<EncryptionInfo> parsed = ParseEncryptionInfo(SerializeEncryptionInfo(next));
  ASSERT_TRUE(parsed.ok());
  for (std::string_view pw : {"old passphrase", "new passphrase"}) {
    StatusOr<ChainKey> k = UnwrapWithPassphrase(*parsed, pw);
    ASSERT_TRUE(k.ok()) << pw;
    EXPECT_TRUE(k->data_key.Equals(chain->second.data_key));
  }
  // A key from another chain cannot be filed here.
  auto other = NewChain();
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(AddPassphraseEntry(&next, other->second, "pw").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(AddPassphraseEntry(&next, key, "pw", 10).code(), StatusCode::kInvalidArgument);
}

// The bytes an attacker writes to turn `info` into an older format: format_version changed and,
// for format 2, the checksum recomputed (it is a plain SHA-256); format 1 has none.
std::string Downgraded(const EncryptionInfo& info, uint32_t format) {
  EncryptionInfo old = info;
  old.set_format_version(format);
  if (format == 2) return SerializeEncryptionInfo(old);
  old.clear_checksum();
  return old.SerializeAsString();
}

TEST(EncryptionInfoTest, Format3RewrittenAsAnOlderFormatIsTampering) {
  auto chain = NewChainWithPassphrase(kPassphrase);
  ASSERT_TRUE(chain.ok());
  ASSERT_EQ(chain->first.format_version(), 3u);
  for (uint32_t format : {1u, 2u}) {
    StatusOr<EncryptionInfo> parsed = ParseEncryptionInfo(Downgraded(chain->first, format));
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    ASSERT_EQ(parsed->format_version(), format);
    StatusOr<ChainKey> k = UnwrapWithPassphrase(*parsed, kPassphrase);
    EXPECT_EQ(k.status().code(), StatusCode::kDataLoss) << format;
    EXPECT_NE(k.status().message().find("rewritten as version " + std::to_string(format)),
              std::string::npos)
        << k.status().ToString();
    EXPECT_NE(k.status().message().find("tampered"), std::string::npos);
    // The same for a key obtained from a KMS.
    SecretBytes dk(std::string(chain->second.data_key.view()));
    EXPECT_EQ(ChainKeyFromUnwrapped(*parsed, std::move(dk)).status().code(), StatusCode::kDataLoss);
  }
  // A wrong passphrase on a downgraded file is still just a wrong passphrase.
  StatusOr<EncryptionInfo> parsed = ParseEncryptionInfo(Downgraded(chain->first, 2));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(UnwrapWithPassphrase(*parsed, "wrong").status().code(), StatusCode::kPermissionDenied);
}

TEST(EncryptionInfoTest, OlderFormatsStayAtTheirFormatWhenRewritten) {
  // A chain written by cofre 0.3 (format 2, key check of formats 1-2) read, rewrapped, rewritten.
  auto chain = NewChain();
  ASSERT_TRUE(chain.ok());
  EncryptionInfo old = chain->first;
  old.set_format_version(2);
  StatusOr<SecretBytes> check =
      Hkdf(chain->second.data_key.view(), chain->second.chain_id, kKeyCheckInfo, kKeyCheckSize);
  ASSERT_TRUE(check.ok());
  old.set_key_check(std::string(check->view()));
  ASSERT_TRUE(AddPassphraseEntry(&old, chain->second, kPassphrase, 64000).ok());
  StatusOr<EncryptionInfo> parsed = ParseEncryptionInfo(SerializeEncryptionInfo(old));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->format_version(), 2u);
  StatusOr<ChainKey> k = UnwrapWithPassphrase(*parsed, kPassphrase);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_TRUE(k->data_key.Equals(chain->second.data_key));
}

TEST(EncryptionInfoTest, HostileFilesCannotAskForHoursOfWork) {
  auto chain = NewChainWithPassphrase(kPassphrase);
  ASSERT_TRUE(chain.ok());
  // Thousands of passphrase entries, each to be tried: refused before any derivation.
  EncryptionInfo many = chain->first;
  for (int i = 0; i < 5000; ++i) *many.add_keys() = chain->first.keys(0);
  auto start = std::chrono::steady_clock::now();
  StatusOr<EncryptionInfo> parsed = ParseEncryptionInfo(SerializeEncryptionInfo(many));
  EXPECT_EQ(parsed.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(UnwrapWithPassphrase(many, "wrong").status().code(), StatusCode::kDataLoss);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EncryptionInfo five = chain->first;
  for (int i = 0; i < kMaxPassphraseEntries; ++i) *five.add_keys() = chain->first.keys(0);
  EXPECT_EQ(ValidateEncryptionInfo(five).code(), StatusCode::kDataLoss);
  // An iteration count beyond the bound (a billion would take minutes per try).
  EncryptionInfo slow = chain->first;
  slow.mutable_keys(0)->mutable_passphrase()->set_iterations(1'000'000'000);
  EXPECT_EQ(ParseEncryptionInfo(SerializeEncryptionInfo(slow)).status().code(),
            StatusCode::kDataLoss);
  slow.mutable_keys(0)->mutable_passphrase()->set_iterations(kMaxPassphraseIterations + 1);
  EXPECT_EQ(ValidateEncryptionInfo(slow).code(), StatusCode::kDataLoss);
}

TEST(EncryptionInfoTest, WrappedKeyCopiedToAnotherChainDoesNotUnwrap) {
  auto a = NewChainWithPassphrase(kPassphrase);
  auto b = NewChainWithPassphrase(kPassphrase);
  ASSERT_TRUE(a.ok() && b.ok());
  EncryptionInfo mixed = b->first;
  *mixed.mutable_keys(0) = a->first.keys(0);  // a's entry under b's chain id
  EXPECT_EQ(UnwrapWithPassphrase(mixed, kPassphrase).status().code(),
            StatusCode::kPermissionDenied);
}

TEST(EncryptionInfoTest, CorruptBytesAreDataLoss) {
  auto chain = NewChainWithPassphrase(kPassphrase);
  ASSERT_TRUE(chain.ok());
  std::string bytes = SerializeEncryptionInfo(chain->first);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(ParseEncryptionInfo(bytes.substr(0, n)).status().code(), StatusCode::kDataLoss) << n;
  }
  EXPECT_EQ(ParseEncryptionInfo("\xff\xff\xff garbage").status().code(), StatusCode::kDataLoss);
  StatusOr<EncryptionInfo> r = ParseEncryptionInfo("");
  ASSERT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("ENCRYPTION-INFO"), std::string::npos);
}

TEST(EncryptionInfoTest, ValidationNamesTheBadField) {
  auto chain = NewChainWithPassphrase(kPassphrase);
  ASSERT_TRUE(chain.ok());
  auto expect_bad = [&](auto mutate, std::string_view words) {
    EncryptionInfo info = chain->first;
    mutate(info);
    Status s = ValidateEncryptionInfo(info);
    EXPECT_EQ(s.code(), StatusCode::kDataLoss);
    EXPECT_NE(s.message().find(words), std::string::npos) << s.message();
    EXPECT_EQ(ParseEncryptionInfo(SerializeEncryptionInfo(info)).status().code(),
              StatusCode::kDataLoss);
  };
  EncryptionInfo newer = chain->first;
  newer.set_format_version(kEncryptionInfoFormatVersion + 1);
  Status s = ValidateEncryptionInfo(newer);
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("format version"), std::string::npos) << s.message();
  expect_bad([](EncryptionInfo& i) { i.set_chain_id("short"); }, "chain id");
  expect_bad([](EncryptionInfo& i) { i.set_version(0); }, "version counter");
  expect_bad([](EncryptionInfo& i) { i.clear_key_check(); }, "key check");
  expect_bad([](EncryptionInfo& i) { i.clear_keys(); }, "no key entries");
  expect_bad(
      [](EncryptionInfo& i) { i.mutable_keys(0)->mutable_passphrase()->set_iterations(1u << 31); },
      "iteration");
  expect_bad(
      [](EncryptionInfo& i) {
        i.mutable_keys(0)->mutable_passphrase()->set_kdf(PassphraseEntry::KDF_UNSPECIFIED);
      },
      "key derivation");
  expect_bad([](EncryptionInfo& i) { i.mutable_keys(0)->mutable_passphrase()->set_salt("s"); },
             "salt");
  expect_bad([](EncryptionInfo& i) { i.add_keys()->mutable_kms()->set_key_id_hash("xyz"); },
             "key id hash");
  expect_bad(
      [](EncryptionInfo& i) {
        KmsEntry* k = i.add_keys()->mutable_kms();
        k->set_key_id_hash(KmsKeyIdHash("k"));
        k->set_scheme("\xff\xfe");
        k->set_wrapped_key("blob");
      },
      "scheme");
  // An entry of a source this version does not know is skipped, not rejected.
  EncryptionInfo future = chain->first;
  future.add_keys();
  EXPECT_TRUE(ValidateEncryptionInfo(future).ok());
  EXPECT_TRUE(UnwrapWithPassphrase(future, kPassphrase).ok());
}

// tests/testdata/crypto/encryption_info_v1.bin was written by gen_kat.py (independent python
// implementation of docs/format.md §3); cofre must keep reading it.
TEST(EncryptionInfoTest, ReadsTheCheckedInVector) {
  std::string bytes = testing_util::ReadTestData("encryption_info_v1.bin");
  auto expect = testing_util::ParseVectors(testing_util::ReadTestData("encryption_info_v1.txt"));
  ASSERT_EQ(expect.size(), 1u);
  auto& v = expect[0];
  StatusOr<EncryptionInfo> info = ParseEncryptionInfo(bytes);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->version(), std::stoul(v["version"]));
  StatusOr<ChainKey> key = UnwrapWithPassphrase(*info, v["passphrase"]);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(Hex(key->chain_id), v["chain_id"]);
  EXPECT_EQ(Hex(key->data_key.view()), v["data_key"]);
  const KmsEntry* kms = FindKmsEntry(*info, v["kms_key_id"]);
  ASSERT_NE(kms, nullptr);
  EXPECT_EQ(kms->scheme(), "aws");
  EXPECT_TRUE(ChainKeyFromUnwrapped(*info, SecretBytes(Unhex(v["data_key"]))).ok());
  // Re-encoding a version 1 file writes the current version: the same fields, format version
  // 2 and the trailing checksum, byte for byte as the independent generator writes them.
  EXPECT_EQ(Hex(SerializeEncryptionInfo(*info)),
            Hex(testing_util::ReadTestData("encryption_info_v2.bin")));
}

TEST(EncryptionInfoTest, ReadsTheCheckedInVersion2Vector) {
  std::string bytes = testing_util::ReadTestData("encryption_info_v2.bin");
  StatusOr<EncryptionInfo> info = ParseEncryptionInfo(bytes);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->format_version(), 2u);
  EXPECT_TRUE(UnwrapWithPassphrase(*info, "correct horse battery staple").ok());
  // Serialization is stable: re-encoding the parsed message gives the same bytes.
  EXPECT_EQ(Hex(SerializeEncryptionInfo(*info)), Hex(bytes));
}

// Damage anywhere in the file is reported as damage to ENCRYPTION-INFO, never as a wrong
// passphrase: every bit of every byte, flipped one at a time.
TEST(EncryptionInfoTest, EveryFlippedBitIsReportedAsDamage) {
  auto chain = NewChainWithPassphrase(kPassphrase);
  ASSERT_TRUE(chain.ok());
  ASSERT_TRUE(AddKmsEntry(&chain->first, "arn:aws:kms:us-east-1:1:key/k", "aws", "blob").ok());
  const std::string bytes = SerializeEncryptionInfo(chain->first);
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = bytes;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      StatusOr<EncryptionInfo> parsed = ParseEncryptionInfo(damaged);
      ASSERT_FALSE(parsed.ok()) << "byte " << i << " bit " << bit;
      EXPECT_EQ(parsed.status().code(), StatusCode::kDataLoss);
      EXPECT_NE(parsed.status().message().find("ENCRYPTION-INFO"), std::string::npos)
          << parsed.status().message();
    }
  }
}

TEST(EncryptionInfoTest, ExtendedFilesAndMissingChecksumsAreDamage) {
  auto chain = NewChainWithPassphrase(kPassphrase);
  ASSERT_TRUE(chain.ok());
  const std::string bytes = SerializeEncryptionInfo(chain->first);
  EXPECT_EQ(ParseEncryptionInfo(bytes + std::string(1, '\0')).status().code(),
            StatusCode::kDataLoss);
  // A version 2 file whose checksum field was cut off entirely is refused, not read as version 1.
  EXPECT_EQ(ParseEncryptionInfo(bytes.substr(0, bytes.size() - 2 - kEncryptionInfoChecksumSize))
                .status()
                .code(),
            StatusCode::kDataLoss);
}

}  // namespace
}  // namespace cofre
