#include "storage/s3_xml.h"

#include <gtest/gtest.h>

namespace cofre {
namespace {

TEST(S3Xml, ParsesListPageWithPrefixesAndToken) {
  const char* doc = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name><Prefix>base/</Prefix><KeyCount>3</KeyCount><MaxKeys>3</MaxKeys>
  <Delimiter>/</Delimiter><IsTruncated>true</IsTruncated>
  <Contents><Key>base/a &amp; b</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>
    <ETag>"x"</ETag><Size>12</Size><StorageClass>STANDARD</StorageClass></Contents>
  <Contents><Key> base/spaced </Key><Size>0</Size></Contents>
  <CommonPrefixes><Prefix>base/dir/</Prefix></CommonPrefixes>
  <NextContinuationToken>tok/en+=</NextContinuationToken>
</ListBucketResult>)";
  StatusOr<S3ListPage> page = ParseListObjectsV2(doc);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "base/a & b");
  EXPECT_EQ(page->objects[0].size, 12u);
  EXPECT_EQ(page->objects[1].key, " base/spaced ");
  EXPECT_EQ(page->common_prefixes, std::vector<std::string>{"base/dir/"});
  EXPECT_TRUE(page->is_truncated);
  EXPECT_EQ(page->next_continuation_token, "tok/en+=");
}

TEST(S3Xml, DecodesUrlEncodedKeys) {
  const char* doc =
      "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
      "<Contents><Key>a%20b%2Bc+d%26%E1%88%B4</Key><Size>1</Size></Contents>"
      "<CommonPrefixes><Prefix>p%2Fq/</Prefix></CommonPrefixes></ListBucketResult>";
  StatusOr<S3ListPage> page = ParseListObjectsV2(doc);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->objects.at(0).key, "a b+c d&\xe1\x88\xb4");
  EXPECT_EQ(page->common_prefixes.at(0), "p/q/");
  EXPECT_FALSE(page->is_truncated);
}

TEST(S3Xml, RefusesMalformedListings) {
  for (const char* doc : {
           "",
           "not xml",
           "<ListBucketResult><Contents><Key>k</Key><Size>x</Size></Contents></ListBucketResult>",
           "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
           "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
           "<Other/>",
           "<ListBucketResult><Contents><Key>k</Key><Size>1</Size></Contents>",
           "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><ListBucketResult/>",
           "<ListBucketResult><EncodingType>url</EncodingType><Contents><Key>%zz</Key>"
           "<Size>1</Size></Contents></ListBucketResult>",
       }) {
    StatusOr<S3ListPage> page = ParseListObjectsV2(doc);
    ASSERT_FALSE(page.ok()) << doc;
    EXPECT_EQ(page.status().code(), StatusCode::kUnavailable) << doc;
    EXPECT_NE(page.status().message().find("ListObjectsV2 response"), std::string::npos);
  }
}

TEST(S3Xml, RefusesDeepNesting) {
  std::string doc;
  for (int i = 0; i < 100; ++i) doc += "<a>";
  for (int i = 0; i < 100; ++i) doc += "</a>";
  StatusOr<XmlElement> root = ParseXml(doc, "test document");
  ASSERT_FALSE(root.ok());
  EXPECT_NE(root.status().message().find("nesting too deep"), std::string::npos);
}

TEST(S3Xml, ErrorDocuments) {
  S3ErrorInfo e = ParseS3Error(
      "<?xml version=\"1.0\"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does "
      "not exist</Message><BucketName>bkt</BucketName><RequestId>1</RequestId></Error>");
  EXPECT_EQ(e.code, "NoSuchBucket");
  EXPECT_EQ(e.message, "The specified bucket does not exist");
  EXPECT_EQ(e.bucket, "bkt");
  EXPECT_TRUE(ParseS3Error("").code.empty());
  EXPECT_TRUE(ParseS3Error("<html>oops</html>").code.empty());
}

TEST(S3Xml, MultipartDocuments) {
  StatusOr<std::string> id = ParseInitiateMultipartUpload(
      "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>abc-123</UploadId>"
      "</InitiateMultipartUploadResult>");
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, "abc-123");
  EXPECT_FALSE(ParseInitiateMultipartUpload("<InitiateMultipartUploadResult/>").ok());

  auto done = ParseCompleteMultipartUpload(
      "<CompleteMultipartUploadResult><ETag>\"e-2\"</ETag></CompleteMultipartUploadResult>");
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(done->has_value());
  auto failed = ParseCompleteMultipartUpload(
      "<Error><Code>InternalError</Code><Message>try again</Message></Error>");
  ASSERT_TRUE(failed.ok());
  ASSERT_TRUE(failed->has_value());
  EXPECT_EQ((*failed)->code, "InternalError");
}

TEST(S3Xml, DeleteResult) {
  auto errors = ParseDeleteResult(
      "<DeleteResult><Deleted><Key>a</Key></Deleted><Error><Key>b</Key><Code>AccessDenied</Code>"
      "<Message>no</Message></Error></DeleteResult>");
  ASSERT_TRUE(errors.ok());
  ASSERT_EQ(errors->size(), 1u);
  EXPECT_EQ((*errors)[0].key, "b");
  EXPECT_EQ((*errors)[0].error.code, "AccessDenied");
}

TEST(S3Xml, BuildsRequestBodiesThatParseBack) {
  std::string complete = BuildCompleteMultipartUploadXml({{1, "\"e1\""}, {2, "\"e<2>\""}});
  StatusOr<XmlElement> root = ParseXml(complete, "built document");
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(root->name, "CompleteMultipartUpload");
  ASSERT_EQ(root->children.size(), 2u);
  EXPECT_EQ(root->children[1].ChildText("PartNumber"), "2");
  EXPECT_EQ(root->children[1].ChildText("ETag"), "\"e<2>\"");

  std::string del = BuildDeleteObjectsXml({"a&b", "c'd\"e"});
  root = ParseXml(del, "built document");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->ChildText("Quiet"), "true");
  EXPECT_EQ(root->children[1].ChildText("Key"), "a&b");
  EXPECT_EQ(root->children[2].ChildText("Key"), "c'd\"e");
}

}  // namespace
}  // namespace cofre
