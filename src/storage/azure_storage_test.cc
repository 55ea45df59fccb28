// AzureStorage: URI parameters and credentials (no I/O), then behaviour against Azurite:
// multi-block uploads, paged listings, rejected credentials and a missing container.
#include "storage/azure_storage.h"

#include <gtest/gtest.h>

#include <map>

#include "storage/azure_test_support.h"
#include "storage/storage_test_helpers.h"

namespace cofre {
namespace {

using azure_testing::AzureUri;
using azure_testing::FastAzureSettings;
using azure_testing::OpenAzureOrDie;
using azure_testing::RequireAzurite;
using azure_testing::UniqueContainer;
using storage_testing::ListToStrings;
using storage_testing::PatternBytes;

constexpr const char* kAccountKey = "c2VjcmV0LWtleS1ieXRlcy1mb3ItdGhlLXRlc3RzLW9ubHk=";  // base64

StatusOr<std::unique_ptr<AzureStorage>> OpenAzure(const std::string& uri,
                                                  AzureSettings settings = AzureSettings()) {
  ASSIGN_OR_RETURN(Uri parsed, ParseUri(uri));
  return OpenAzureStorage(parsed, settings);
}

TEST(AzureStorageUriTest, EnvironmentPicksTheEndpointSuffix) {
  const std::string base = std::string("azure-blob://backups/a/b?AZURE_ACCOUNT_NAME=acct&") +
                           "AZURE_ACCOUNT_KEY=" + PercentEncode(kAccountKey, false);
  const std::map<std::string, std::string> want = {
      {"", "https://acct.blob.core.windows.net"},
      {"&AZURE_ENVIRONMENT=AzurePublicCloud", "https://acct.blob.core.windows.net"},
      {"&AZURE_ENVIRONMENT=AzureUSGovernmentCloud", "https://acct.blob.core.usgovcloudapi.net"},
      {"&AZURE_ENVIRONMENT=azurechinacloud", "https://acct.blob.core.chinacloudapi.cn"},
      {"&AZURE_ENVIRONMENT=AzureGermanCloud", "https://acct.blob.core.cloudapi.de"},
      {"&AZURE_BLOB_ENDPOINT=http%3A%2F%2F127.0.0.1%3A10000%2Facct", "http://127.0.0.1:10000/acct"},
  };
  for (const auto& [extra, endpoint] : want) {
    SCOPED_TRACE(extra);
    auto s = OpenAzure(base + extra);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ((*s)->client().config().endpoint, endpoint);
    EXPECT_EQ((*s)->client().config().container, "backups");
    EXPECT_EQ((*s)->base_prefix(), "a/b/");
    EXPECT_TRUE((*s)->client().config().auth.shared_key.has_value());
  }
  // The azure:// alias.
  auto alias = OpenAzure("azure://backups?AZURE_ACCOUNT_NAME=acct&AZURE_ACCOUNT_KEY=" +
                         PercentEncode(kAccountKey, false));
  ASSERT_TRUE(alias.ok()) << alias.status().ToString();
  EXPECT_EQ((*alias)->base_prefix(), "");
}

TEST(AzureStorageUriTest, RefusesBadParametersByName) {
  const std::string key = "&AZURE_ACCOUNT_KEY=" + PercentEncode(kAccountKey, false);
  struct Case {
    std::string uri;
    std::string want;
  };
  const Case cases[] = {
      {"azure-blob://c0n/p?AZURE_ACCOUNT_NAME=acct" + key + "&FOO=1&AZURE_BAR=2",
       "unknown parameters FOO, AZURE_BAR"},
      {"azure-blob://con/p?AZURE_ACCOUNT_NAME=acct" + key + "&AZURE_ENVIRONMENT=Mars",
       "AZURE_ENVIRONMENT=Mars"},
      {"azure-blob://con/p?AZURE_ACCOUNT_KEY=" + PercentEncode(kAccountKey, false),
       "lacks AZURE_ACCOUNT_NAME"},
      {"azure-blob://con/p?AZURE_ACCOUNT_NAME=acct", "carries no credentials"},
      {"azure-blob://con/p?AZURE_ACCOUNT_NAME=acct" + key + "&AZURE_SAS_TOKEN=sv%3D1%26sig%3D2",
       "more than one kind of credentials"},
      {"azure-blob://con/p?AZURE_ACCOUNT_NAME=acct&AZURE_CLIENT_ID=a&AZURE_CLIENT_SECRET=b",
       "lacks AZURE_TENANT_ID"},
      {"azure-blob://con/p?AZURE_ACCOUNT_NAME=acct&AZURE_SAS_TOKEN=not-a-sas",
       "is not a SAS token"},
      {"azure-blob://con/p?AZURE_ACCOUNT_NAME=Acct!" + key, "is not a storage account name"},
      {"azure-blob://Bad_Container/p?AZURE_ACCOUNT_NAME=acct" + key,
       "is not a valid Azure container name"},
      {"azure-blob:///p?AZURE_ACCOUNT_NAME=acct" + key, "names no container"},
      {"azure-blob://con/p?AZURE_ACCOUNT_NAME=acct&AZURE_ACCOUNT_KEY=hunter2%21",
       "is not a base64 account key"},
      {"azure-blob://con/p?AZURE_ACCOUNT_NAME=acct" + key + "&AZURE_BLOB_ENDPOINT=ftp%3A%2F%2Fx",
       "blob endpoint"},
      {"azure-blob://con/p?AZURE_ACCOUNT_NAME=acct" + key + "&AUTH=sometimes", "AUTH"},
      {"azure-blob://con/p?AZURE_ACCOUNT_NAME=acct" + key + "&AUTH=implicit",
       "uses AUTH=implicit and gives AZURE_ACCOUNT_KEY"},
      {"azure-blob://con/../p?AZURE_ACCOUNT_NAME=acct" + key, "base path"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.uri);
    auto s = OpenAzure(c.uri);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << s.status().ToString();
    EXPECT_NE(s.status().message().find(c.want), std::string::npos) << s.status().ToString();
    EXPECT_EQ(s.status().message().find(kAccountKey), std::string::npos);
    EXPECT_EQ(s.status().message().find("hunter2"), std::string::npos);
  }
}

TEST(AzureStorageUriTest, SasTokenAndAzureAdCredentials) {
  auto sas = OpenAzure("azure-blob://con/p?AZURE_ACCOUNT_NAME=acct&AZURE_SAS_TOKEN=" +
                       PercentEncode("?sv=2021-08-06&sp=rl&sig=abc%2Bdef", false));
  ASSERT_TRUE(sas.ok()) << sas.status().ToString();
  EXPECT_EQ((*sas)->client().config().auth.sas_token, "sv=2021-08-06&sp=rl&sig=abc%2Bdef");
  EXPECT_EQ((*sas)->RedactedUri().find("sig"), std::string::npos) << (*sas)->RedactedUri();
  auto ad = OpenAzure(
      "azure-blob://con/p?AZURE_ACCOUNT_NAME=acct&AZURE_CLIENT_ID=id&AZURE_CLIENT_SECRET=s3cr3t"
      "&AZURE_TENANT_ID=tenant&AZURE_ENVIRONMENT=AzureChinaCloud");
  ASSERT_TRUE(ad.ok()) << ad.status().ToString();
  EXPECT_NE((*ad)->client().config().auth.token_source, nullptr);
  EXPECT_EQ((*ad)->RedactedUri().find("s3cr3t"), std::string::npos);
  EXPECT_NE((*ad)->RedactedUri().find("AZURE_CLIENT_SECRET=redacted"), std::string::npos);
}

TEST(AzureStorageUriTest, ImplicitCredentialsComeFromTheGivenEnvironment) {
  const std::string uri = "azure-blob://con/p?AUTH=implicit";
  auto env_of = [](std::map<std::string, std::string> vars) {
    AzureSettings s;
    s.env = [vars](std::string_view name) -> std::optional<std::string> {
      auto it = vars.find(std::string(name));
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
    return s;
  };
  auto key = OpenAzure(
      uri, env_of({{"AZURE_STORAGE_ACCOUNT", "acct"}, {"AZURE_STORAGE_KEY", kAccountKey}}));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_TRUE((*key)->client().config().auth.shared_key.has_value());
  EXPECT_EQ((*key)->client().config().account, "acct");
  auto ad =
      OpenAzure(uri + "&AZURE_ACCOUNT_NAME=other", env_of({{"AZURE_CLIENT_ID", "i"},
                                                           {"AZURE_CLIENT_SECRET", "s"},
                                                           {"AZURE_TENANT_ID", "t"},
                                                           {"AZURE_STORAGE_KEY", kAccountKey}}));
  ASSERT_TRUE(ad.ok()) << ad.status().ToString();
  EXPECT_NE((*ad)->client().config().auth.token_source, nullptr);
  EXPECT_EQ((*ad)->client().config().account, "other");
  auto sas = OpenAzure(uri + "&AZURE_ACCOUNT_NAME=acct",
                       env_of({{"AZURE_STORAGE_SAS_TOKEN", "sv=1&sig=x"}}));
  ASSERT_TRUE(sas.ok()) << sas.status().ToString();
  EXPECT_EQ((*sas)->client().config().auth.sas_token, "sv=1&sig=x");

  auto none = OpenAzure(uri + "&AZURE_ACCOUNT_NAME=acct", env_of({}));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(none.status().message().find("AZURE_STORAGE_KEY"), std::string::npos);
  auto half = OpenAzure(uri + "&AZURE_ACCOUNT_NAME=acct", env_of({{"AZURE_CLIENT_ID", "i"}}));
  ASSERT_FALSE(half.ok());
  EXPECT_NE(half.status().message().find("only part of"), std::string::npos);
  // Without an environment (library default), AUTH=implicit is refused.
  auto no_env = OpenAzure(uri + "&AZURE_ACCOUNT_NAME=acct");
  ASSERT_FALSE(no_env.ok());
  EXPECT_EQ(no_env.status().code(), StatusCode::kFailedPrecondition);
}

TEST(AzureStorageUriTest, PlainHttpOnlyToLoopbackUnlessAllowed) {
  const std::string base = "azure-blob://con/p?AZURE_ACCOUNT_NAME=acct&AZURE_ACCOUNT_KEY=" +
                           PercentEncode(kAccountKey, false) + "&AZURE_BLOB_ENDPOINT=";
  for (const char* ok : {"http%3A%2F%2F127.0.0.1%3A10000%2Facct", "http%3A%2F%2Flocalhost%2Facct",
                         "https%3A%2F%2Fblob.example.com"}) {
    EXPECT_TRUE(OpenAzure(base + ok).ok()) << ok;
  }
  auto s = OpenAzure(base + "http%3A%2F%2Fblob.example.com%2Facct");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("ALLOW_INSECURE_HTTP=true"), std::string::npos);
  EXPECT_TRUE(
      OpenAzure(base + "http%3A%2F%2Fblob.example.com%2Facct&ALLOW_INSECURE_HTTP=true").ok());
  EXPECT_FALSE(OpenAzure(base + "http%3A%2F%2F127.0.0.1&ALLOW_INSECURE_HTTP=maybe").ok());
  // The client secret goes to the authority host: the same rule.
  auto ad = OpenAzure(
      "azure-blob://con/p?AZURE_ACCOUNT_NAME=acct&AZURE_CLIENT_ID=i&AZURE_CLIENT_SECRET=s"
      "&AZURE_TENANT_ID=t&AZURE_AUTHORITY_HOST=http%3A%2F%2Flogin.example.com");
  ASSERT_FALSE(ad.ok());
  EXPECT_NE(ad.status().message().find("AZURE_AUTHORITY_HOST http://login.example.com"),
            std::string::npos)
      << ad.status().ToString();
}

TEST(AzureStorageUriTest, SettingsAreValidated) {
  AzureSettings s;
  s.block_size = 1024;
  EXPECT_FALSE(s.Validate().ok());
  s = AzureSettings();
  s.max_blocks_in_flight = 0;
  EXPECT_FALSE(s.Validate().ok());
  s = AzureSettings();
  s.list_page_size = 5001;
  EXPECT_FALSE(s.Validate().ok());
  EXPECT_TRUE(AzureSettings().Validate().ok());
}

class AzuriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = RequireAzurite();
    ASSERT_TRUE(server.has_value());
    server_ = *server;
    container_ = UniqueContainer("st");
  }
  azure_testing::AzureTestServer server_;
  std::string container_;
};

TEST_F(AzuriteTest, LargeBlobGoesUpInBlocksAndReadsBackWithRanges) {
  AzureSettings settings = FastAzureSettings();
  settings.block_size = 64 << 10;
  auto storage = OpenAzureOrDie(AzureUri(server_, container_, "big"), settings);
  ASSERT_NE(storage, nullptr);
  const std::string data = PatternBytes((64 << 10) * 5 + 777, 3);
  ASSERT_TRUE(WriteSmallFile(*storage, "blob.bin", data).ok());
  auto size = storage->Size("blob.bin");
  ASSERT_TRUE(size.ok()) << size.status().ToString();
  EXPECT_EQ(*size, data.size());
  auto reader = storage->NewReader("blob.bin");
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  std::string back(data.size(), '\0');
  size_t off = 0;
  while (off < back.size()) {
    auto n = (*reader)->Read(back.data() + off, std::min<size_t>(3000, back.size() - off));
    ASSERT_TRUE(n.ok()) << n.status().ToString();
    ASSERT_GT(*n, 0u);
    off += *n;
  }
  EXPECT_TRUE(back == data);
  std::string tail(100, '\0');
  auto n = (*reader)->ReadAt(data.size() - 50, tail.data(), tail.size());
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 50u);
  EXPECT_EQ(tail.substr(0, 50), data.substr(data.size() - 50));
}

TEST_F(AzuriteTest, ListingsPageInOrder) {
  AzureSettings settings = FastAzureSettings();
  settings.list_page_size = 2;
  auto storage = OpenAzureOrDie(AzureUri(server_, container_, "pages"), settings);
  ASSERT_NE(storage, nullptr);
  for (const char* p : {"a", "b/1", "b/2", "c", "d/x/1", "e", "f-1", "f/2", "g"}) {
    ASSERT_TRUE(WriteSmallFile(*storage, p, p).ok());
  }
  EXPECT_EQ(ListToStrings(*storage, "", "/"),
            (std::vector<std::string>{"a:1", "b/", "c:1", "d/", "e:1", "f-1:3", "f/", "g:1"}));
  EXPECT_EQ(ListToStrings(*storage, "", "").size(), 9u);
  EXPECT_EQ(ListToStrings(*storage, "b/", ""), (std::vector<std::string>{"b/1:3", "b/2:3"}));
}

TEST_F(AzuriteTest, RejectedKeyAndMissingContainerFailClearly) {
  auto good = OpenAzureOrDie(AzureUri(server_, container_, "x"), FastAzureSettings());
  ASSERT_NE(good, nullptr);
  const std::string wrong = "d3Jvbmcta2V5LWZvci10aGUtYXp1cml0ZS10ZXN0cw==";
  std::string uri = "azure-blob://" + container_ + "/x?AZURE_ACCOUNT_NAME=" + server_.account +
                    "&AZURE_ACCOUNT_KEY=" + PercentEncode(wrong, false) +
                    "&AZURE_BLOB_ENDPOINT=" + PercentEncode(server_.endpoint, false);
  auto bad = OpenAzure(uri, FastAzureSettings());
  ASSERT_TRUE(bad.ok());
  auto start = std::chrono::steady_clock::now();
  Status s = WriteSmallFile(**bad, "f", "data");
  EXPECT_EQ(s.code(), StatusCode::kPermissionDenied) << s.ToString();
  EXPECT_NE(s.message().find("Azure rejected the credentials"), std::string::npos);
  EXPECT_EQ(s.message().find(wrong), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));  // no retries

  auto missing = OpenAzure(AzureUri(server_, UniqueContainer("none"), "x"), FastAzureSettings());
  ASSERT_TRUE(missing.ok());
  s = WriteSmallFile(**missing, "f", "data");
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s.ToString();
  EXPECT_NE(s.message().find("does not exist"), std::string::npos);
  EXPECT_TRUE(IsNotFound((*missing)->Size("f").status()));
  EXPECT_TRUE(IsNotFound((*missing)->List("", "/", [](const ListEntry&) { return Status::OK(); })));
}

}  // namespace
}  // namespace cofre
