// OpenExternalStorage: scheme dispatch, node ids, paths, parameters and
// redaction.
#include "storage/storage_factory.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "storage/local_storage.h"
#include "storage/storage_test_helpers.h"

namespace cofre {
namespace {

using storage_testing::TempDir;

class StorageFactoryTest : public ::testing::Test {
 protected:
  StatusOr<std::unique_ptr<ExternalStorage>> Open(std::string_view uri) {
    return OpenExternalStorage(uri, ctx_);
  }
  Status OpenStatus(std::string_view uri) { return Open(uri).status(); }

  TempDir dir_;
  StorageContext ctx_{dir_.path() + "/data/extern"};
};

TEST_F(StorageFactoryTest, NodelocalResolvesUnderExternDir) {
  for (const char* uri : {"nodelocal://1/backups/b1", "nodelocal://self/backups/b1",
                          "nodelocal://1/backups/b1/", "NODELOCAL://1/backups/b1"}) {
    SCOPED_TRACE(uri);
    auto storage = Open(uri);
    ASSERT_TRUE(storage.ok()) << storage.status().ToString();
    EXPECT_EQ((*storage)->RedactedUri(), uri);
    ASSERT_TRUE(WriteSmallFile(**storage, "LATEST", "x").ok());
    EXPECT_TRUE(std::filesystem::is_regular_file(ctx_.extern_dir + "/backups/b1/LATEST"));
  }
  auto root = Open("nodelocal://1");
  ASSERT_TRUE(root.ok());
  ASSERT_TRUE(WriteSmallFile(**root, "top", "x").ok());
  EXPECT_TRUE(std::filesystem::is_regular_file(ctx_.extern_dir + "/top"));
}

TEST_F(StorageFactoryTest, RelativeExternDirIsMadeAbsolute) {
  StorageContext ctx{"./some/../rel-extern"};
  auto storage = OpenExternalStorage("nodelocal://1/b", ctx);
  ASSERT_TRUE(storage.ok()) << storage.status().ToString();
  auto* local = dynamic_cast<LocalStorage*>(storage->get());
  ASSERT_NE(local, nullptr);
  EXPECT_EQ(local->root(), std::filesystem::current_path().string() + "/rel-extern/b");
}

TEST_F(StorageFactoryTest, FileSchemeUsesTheAbsolutePath) {
  auto storage = Open("file://" + dir_.path() + "/elsewhere?COCKROACH_LOCALITY=default");
  ASSERT_TRUE(storage.ok()) << storage.status().ToString();
  ASSERT_TRUE(WriteSmallFile(**storage, "a/b", "x").ok());
  EXPECT_TRUE(std::filesystem::is_regular_file(dir_.path() + "/elsewhere/a/b"));
}

TEST_F(StorageFactoryTest, RefusesBadNodeIds) {
  Status s = OpenStatus("nodelocal://2/b");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("node 2, which does not exist"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("nodelocal://1/"), std::string::npos);
  EXPECT_EQ(OpenStatus("nodelocal:///b").code(), StatusCode::kInvalidArgument);
  EXPECT_NE(OpenStatus("nodelocal:///b").message().find("needs a node id"), std::string::npos);
  EXPECT_EQ(OpenStatus("nodelocal://localhost/b").code(), StatusCode::kInvalidArgument);
}

TEST_F(StorageFactoryTest, RefusesUnsafePaths) {
  for (const char* uri :
       {"nodelocal://1/../escape", "nodelocal://1/a/../../x", "nodelocal://1/a/./b",
        "nodelocal://1//a", "nodelocal://1/a//b", "file:///tmp/../etc", "file:///a//b"}) {
    SCOPED_TRACE(uri);
    Status s = OpenStatus(uri);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find(uri), std::string::npos) << s.message();
  }
}

TEST_F(StorageFactoryTest, FileSchemeRefusesHostsAndEmptyPaths) {
  EXPECT_EQ(OpenStatus("file://host/tmp/x").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenStatus("file://").code(), StatusCode::kInvalidArgument);
}

TEST_F(StorageFactoryTest, RefusesUnknownParametersButAcceptsLocality) {
  EXPECT_TRUE(Open("nodelocal://1/b?COCKROACH_LOCALITY=region%3Dus-east").ok());
  Status s = OpenStatus("nodelocal://1/b?AWS_SECRET_ACCESS_KEY=hunter2&FOO=1");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("AWS_SECRET_ACCESS_KEY"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find("hunter2"), std::string::npos) << s.message();
  EXPECT_EQ(OpenStatus("file:///tmp/x?FOO=1").code(), StatusCode::kInvalidArgument);
}

TEST_F(StorageFactoryTest, RefusesUnsupportedSchemesListingSupportedOnes) {
  for (const char* scheme : {"userfile", "gs", "abfss", "http", "https", "ftp"}) {
    SCOPED_TRACE(scheme);
    Status s = OpenStatus(std::string(scheme) + "://bucket/path?CREDENTIALS=topsecret");
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("unsupported storage scheme '" + std::string(scheme) + "'"),
              std::string::npos)
        << s.message();
    for (std::string_view supported : SupportedStorageSchemes()) {
      EXPECT_NE(s.message().find(supported), std::string::npos) << s.message();
    }
    EXPECT_EQ(s.message().find("topsecret"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("CREDENTIALS=redacted"), std::string::npos) << s.message();
  }
}

TEST_F(StorageFactoryTest, MalformedUriIsInvalidArgumentAndRedacted) {
  Status s = OpenStatus("not a uri?AWS_SECRET_ACCESS_KEY=hunter2");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().find("hunter2"), std::string::npos) << s.message();
  s = OpenStatus("nodelocal://1/b%zz?AWS_SECRET_ACCESS_KEY=hunter2");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().find("hunter2"), std::string::npos) << s.message();
}

TEST_F(StorageFactoryTest, NodelocalNeedsAnExternDir) {
  StorageContext empty;
  EXPECT_EQ(OpenExternalStorage("nodelocal://1/b", empty).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_TRUE(OpenExternalStorage("file://" + dir_.path(), empty).ok());
}

}  // namespace
}  // namespace cofre
