// NodeKey: created once with mode 0600, reloaded identically, seals and opens only for the same
// purpose and key, refuses altered records and a key file others can read.
#include "jobs/node_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace cofre {
namespace {

class NodeKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("node-key-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(NodeKeyTest, CreatedWithMode0600AndReloaded) {
  auto key = NodeKey::LoadOrCreate(dir_.string());
  ASSERT_TRUE(key.ok()) << key.status().message();
  struct stat st {};
  ASSERT_EQ(::stat((dir_ / "node.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(st.st_size, 32);
  auto sealed = key->Seal("BACKUP INTO 'x' WITH encryption_passphrase = 'pw'", "purpose");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->find("pw'"), std::string::npos);
  auto again = NodeKey::LoadOrCreate(dir_.string());
  ASSERT_TRUE(again.ok());
  auto opened = again->Open(*sealed, "purpose");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "BACKUP INTO 'x' WITH encryption_passphrase = 'pw'");
  EXPECT_EQ(again->Open(*sealed, "other").status().code(), StatusCode::kDataLoss);
  std::string altered = *sealed;
  altered[15] ^= 1;
  EXPECT_EQ(again->Open(altered, "purpose").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(again->Open("short", "purpose").status().code(), StatusCode::kDataLoss);
}

TEST_F(NodeKeyTest, AnotherKeyCannotOpen) {
  auto key = NodeKey::LoadOrCreate(dir_.string());
  ASSERT_TRUE(key.ok());
  auto sealed = key->Seal("secret", "p");
  ASSERT_TRUE(sealed.ok());
  std::filesystem::remove(dir_ / "node.key");
  auto other = NodeKey::LoadOrCreate(dir_.string());
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->Open(*sealed, "p").status().code(), StatusCode::kDataLoss);
}

TEST_F(NodeKeyTest, RefusesAReadableOrTruncatedKey) {
  ASSERT_TRUE(NodeKey::LoadOrCreate(dir_.string()).ok());
  ::chmod((dir_ / "node.key").c_str(), 0644);
  EXPECT_EQ(NodeKey::LoadOrCreate(dir_.string()).status().code(), StatusCode::kPermissionDenied);
  ::chmod((dir_ / "node.key").c_str(), 0600);
  std::filesystem::resize_file(dir_ / "node.key", 10);
  EXPECT_EQ(NodeKey::LoadOrCreate(dir_.string()).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace cofre
