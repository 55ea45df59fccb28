// Shared Key signing: canonicalization examples from Microsoft's "Authorize with Shared Key"
// page, and signatures computed independently (Python's hmac/hashlib/base64 over the same
// string to sign; see the comments) for a fixed 64-byte key.
#include "storage/azure_shared_key.h"

#include <gtest/gtest.h>

namespace cofre {
namespace {

// base64 of the bytes 0x00..0x3f.
constexpr const char* kSharedKey =
    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0+Pw==";
constexpr const char* kDate = "Fri, 04 Dec 2026 14:30:00 GMT";

TEST(AzureSharedKeyTest, CanonicalizedResourceAsDocumented) {
  // GET https://myaccount.blob.core.windows.net/mycontainer?restype=container&comp=metadata
  EXPECT_EQ(AzureCanonicalizedResource("myaccount", "/mycontainer",
                                       {{"restype", "container"}, {"comp", "metadata"}}),
            "/myaccount/mycontainer\ncomp:metadata\nrestype:container");
  // A repeated parameter: values sorted and joined with ','.
  EXPECT_EQ(AzureCanonicalizedResource("myaccount", "/mycontainer",
                                       {{"restype", "container"},
                                        {"comp", "list"},
                                        {"include", "snapshots"},
                                        {"include", "metadata"},
                                        {"include", "uncommittedblobs"}}),
            "/myaccount/mycontainer\ncomp:list\ninclude:metadata,snapshots,uncommittedblobs\n"
            "restype:container");
  // The emulator's path-style URL repeats the account.
  EXPECT_EQ(AzureCanonicalizedResource("devstoreaccount1", "/devstoreaccount1/c/b", {}),
            "/devstoreaccount1/devstoreaccount1/c/b");
  // Parameter names are lower-cased for sorting and output.
  EXPECT_EQ(AzureCanonicalizedResource("a", "/c", {{"Comp", "list"}, {"blockid", "x=="}}),
            "/a/c\nblockid:x==\ncomp:list");
}

TEST(AzureSharedKeyTest, CanonicalizedHeadersSortTrimAndFold) {
  EXPECT_EQ(AzureCanonicalizedHeaders({{"X-MS-Version", "2021-08-06"},
                                       {"Content-Type", "text/plain"},
                                       {"x-ms-date", kDate},
                                       {"x-ms-meta-a", "  one   two  "}}),
            "x-ms-date:Fri, 04 Dec 2026 14:30:00 GMT\nx-ms-meta-a:one two\n"
            "x-ms-version:2021-08-06\n");
}

TEST(AzureSharedKeyTest, StringToSignAndSignatureOfPutBlob) {
  AzureSignedRequest r;
  r.method = "PUT";
  r.path = "/mycontainer/dir/a%20b.txt";
  r.headers = {{"x-ms-blob-type", "BlockBlob"},
               {"Content-Type", "application/octet-stream"},
               {"x-ms-date", kDate},
               {"x-ms-version", "2021-08-06"}};
  r.content_length = 11;
  const std::string sts = AzureSharedKeyStringToSign("myaccount", r);
  EXPECT_EQ(sts,
            "PUT\n\n\n11\n\napplication/octet-stream\n\n\n\n\n\n\n"
            "x-ms-blob-type:BlockBlob\nx-ms-date:Fri, 04 Dec 2026 14:30:00 GMT\n"
            "x-ms-version:2021-08-06\n/myaccount/mycontainer/dir/a%20b.txt");
  auto key = AzureSharedKey::New("myaccount", kSharedKey);
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  // base64(hmac.new(base64.b64decode(kSharedKey), sts, sha256).digest())
  EXPECT_EQ(key->Sign(sts), "fMYObXnh7/qiopjf94kwYu22DEfQWrArMgbtE1wtO4Y=");
  EXPECT_EQ(key->Authorization(r),
            "SharedKey myaccount:fMYObXnh7/qiopjf94kwYu22DEfQWrArMgbtE1wtO4Y=");
}

TEST(AzureSharedKeyTest, SignatureOfListBlobsWithEmptyContentLength) {
  AzureSignedRequest r;
  r.method = "GET";
  r.path = "/mycontainer";
  r.query = {
      {"restype", "container"}, {"comp", "list"}, {"prefix", "backups/"}, {"delimiter", "/"}};
  r.headers = {{"x-ms-date", kDate}, {"x-ms-version", "2021-08-06"}};
  auto key = AzureSharedKey::New("myaccount", kSharedKey);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->Sign(AzureSharedKeyStringToSign("myaccount", r)),
            "IN+CkB3NnUNQzbvxHC2cR5etskj5OsmC/2O2tiXOhSQ=");
}

TEST(AzureSharedKeyTest, RefusesKeysThatAreNotBase64WithoutQuotingThem) {
  auto key = AzureSharedKey::New("myaccount", "not base64 hunter2!");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(key.status().message().find("hunter2"), std::string::npos);
  EXPECT_FALSE(AzureSharedKey::New("", kSharedKey).ok());
}

TEST(AzureSharedKeyTest, HttpDate) {
  EXPECT_EQ(HttpDate(1796394600), kDate);
  EXPECT_EQ(HttpDate(951782400), "Tue, 29 Feb 2000 00:00:00 GMT");
  EXPECT_EQ(HttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

}  // namespace
}  // namespace cofre
