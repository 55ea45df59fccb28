#include "storage/azure_xml.h"

#include <gtest/gtest.h>

namespace cofre {
namespace {

TEST(AzureXmlTest, ParsesListBlobsWithPrefixesInOrder) {
  const std::string doc = R"(<?xml version="1.0" encoding="utf-8"?>
<EnumerationResults ServiceEndpoint="http://127.0.0.1:10000/devstoreaccount1/" ContainerName="c">
  <Prefix>b/</Prefix><Delimiter>/</Delimiter><MaxResults>2</MaxResults>
  <Blobs>
    <Blob><Name>b/LATEST</Name><Properties><Content-Length>21</Content-Length>
      <Etag>0x8D</Etag></Properties></Blob>
    <BlobPrefix><Name>b/2026/</Name></BlobPrefix>
    <Blob><Name Encoded="true">b/a%0Bb</Name><Properties><Content-Length>0</Content-Length>
      </Properties></Blob>
  </Blobs>
  <NextMarker>2!12!bWFya2Vy</NextMarker>
</EnumerationResults>)";
  auto page = ParseAzureListBlobs(doc);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->entries.size(), 3u);
  EXPECT_EQ(page->entries[0].name, "b/LATEST");
  EXPECT_EQ(page->entries[0].size, 21u);
  EXPECT_FALSE(page->entries[0].is_prefix);
  EXPECT_EQ(page->entries[1].name, "b/2026/");
  EXPECT_TRUE(page->entries[1].is_prefix);
  EXPECT_EQ(page->entries[2].name, std::string("b/a\x0b"
                                               "b"));
  EXPECT_EQ(page->next_marker, "2!12!bWFya2Vy");
}

TEST(AzureXmlTest, LastPageHasNoMarker) {
  auto page = ParseAzureListBlobs("<EnumerationResults><Blobs/><NextMarker/></EnumerationResults>");
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_TRUE(page->entries.empty());
  EXPECT_TRUE(page->next_marker.empty());
}

TEST(AzureXmlTest, MalformedListingsAreUnavailable) {
  for (const char* doc : {
           "",
           "<EnumerationResults><Blobs><Blob><Name>x",
           "<ListBucketResult/>",
           "<EnumerationResults><Blobs><Blob><Properties/></Blob></Blobs></EnumerationResults>",
           "<EnumerationResults><Blobs><Blob><Name>x</Name><Properties><Content-Length>-1"
           "</Content-Length></Properties></Blob></Blobs></EnumerationResults>",
           "<EnumerationResults><Blobs><Blob><Name>x</Name></Blob></Blobs></EnumerationResults>",
           "<EnumerationResults><Blobs><BlobPrefix><Name Encoded=\"true\">%zz</Name>"
           "</BlobPrefix></Blobs></EnumerationResults>",
           "<!DOCTYPE x [<!ENTITY a \"b\">]><EnumerationResults/>",
       }) {
    SCOPED_TRACE(doc);
    auto page = ParseAzureListBlobs(doc);
    ASSERT_FALSE(page.ok());
    EXPECT_EQ(page.status().code(), StatusCode::kUnavailable);
    EXPECT_NE(page.status().message().find("List Blobs response"), std::string::npos);
  }
}

TEST(AzureXmlTest, ParsesErrors) {
  AzureErrorInfo e = ParseAzureError(
      "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>ContainerNotFound</Code>"
      "<Message>The specified container does not exist.\nRequestId:1\nTime:2</Message></Error>");
  EXPECT_EQ(e.code, "ContainerNotFound");
  EXPECT_EQ(e.message, "The specified container does not exist.");
  e = ParseAzureError("not xml");
  EXPECT_TRUE(e.code.empty());
  EXPECT_TRUE(e.message.empty());
}

TEST(AzureXmlTest, BuildsBlockList) {
  EXPECT_EQ(BuildAzureBlockListXml({"Y29mcmUtMDAwMDAx", "a<b"}),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList><Latest>Y29mcmUtMDAwMDAx"
            "</Latest><Latest>a&lt;b</Latest></BlockList>");
}

}  // namespace
}  // namespace cofre
