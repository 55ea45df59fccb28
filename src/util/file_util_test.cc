// File helpers against the real filesystem.
#include "util/file_util.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cofre {
namespace {

namespace fs = std::filesystem;

class FileUtilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = "/tmp/cofre-file-util-test-XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string Slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::string dir_;
};

TEST(ErrnoToStatusTest, MapsErrnoFamilies) {
  Status full = ErrnoToStatus(ENOSPC, "writing 'x' in nodelocal://1/b");
  EXPECT_EQ(full.code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(full.message().starts_with("disk full while writing 'x' in nodelocal://1/b: "))
      << full.message();
  EXPECT_EQ(ErrnoToStatus(EFBIG, "w").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoToStatus(EDQUOT, "w").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(ErrnoToStatus(EACCES, "w").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrnoToStatus(EROFS, "w").code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(ErrnoToStatus(ENOENT, "w").code(), StatusCode::kNotFound);
  EXPECT_EQ(ErrnoToStatus(EEXIST, "w").code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ErrnoToStatus(EAGAIN, "w").code(), StatusCode::kUnavailable);
  EXPECT_EQ(ErrnoToStatus(EIO, "w").code(), StatusCode::kDataLoss);
  EXPECT_EQ(ErrnoToStatus(EINVAL, "w").code(), StatusCode::kInternal);
  EXPECT_EQ(ErrnoToStatus(EACCES, "opening 'f'").message().substr(0, 19), "opening 'f' failed:");
}

TEST_F(FileUtilTest, CreateDirsMakesParentsAndToleratesExisting) {
  const std::string deep = dir_ + "/a/b/c";
  ASSERT_TRUE(CreateDirs(deep, "'a/b/c'").ok());
  EXPECT_TRUE(fs::is_directory(deep));
  EXPECT_TRUE(CreateDirs(deep, "'a/b/c'").ok());
  std::ofstream(dir_ + "/file") << "x";
  Status s = CreateDirs(dir_ + "/file/sub", "'file/sub'");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'file/sub'"), std::string::npos) << s.message();
  EXPECT_EQ(s.message().find(dir_), std::string::npos) << s.message();
}

TEST_F(FileUtilTest, WriteFileAtomicallyReplacesAndLeavesNoTemp) {
  const std::string path = dir_ + "/meta";
  ASSERT_TRUE(WriteFileAtomically(path, "first", "'meta'").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "second", "'meta'").ok());
  EXPECT_EQ(Slurp(path), "second");
  int entries = 0;
  for (const auto& e : fs::directory_iterator(dir_)) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
  Status s = WriteFileAtomically(dir_ + "/missing/meta", "x", "'missing/meta'");
  EXPECT_TRUE(IsNotFound(s)) << s.ToString();
}

TEST_F(FileUtilTest, WriteFullyAndPreadFullyRoundTrip) {
  const std::string path = dir_ + "/data";
  auto fd = OpenFile(path, O_RDWR | O_CREAT | O_EXCL, 0644, "'data'");
  ASSERT_TRUE(fd.ok());
  std::string data(300000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  ASSERT_TRUE(WriteFully(fd->get(), data.data(), data.size(), "'data'").ok());
  ASSERT_TRUE(SyncFd(fd->get(), "'data'").ok());
  std::string buf(1000, '\0');
  auto n = PreadFully(fd->get(), 299500, buf.data(), buf.size(), "'data'");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 500u);
  EXPECT_EQ(buf.substr(0, 500), data.substr(299500));
  ASSERT_TRUE(fd->Close("'data'").ok());
  EXPECT_FALSE(fd->valid());
  EXPECT_TRUE(fd->Close("'data'").ok());
  EXPECT_EQ(OpenFile(path, O_RDWR | O_CREAT | O_EXCL, 0644, "'data'").status().code(),
            StatusCode::kAlreadyExists);
}

TEST_F(FileUtilTest, RemoveRenameAndSync) {
  const std::string a = dir_ + "/a", b = dir_ + "/b";
  std::ofstream(a) << "A";
  ASSERT_TRUE(RenameFile(a, b, "'b'").ok());
  EXPECT_EQ(Slurp(b), "A");
  EXPECT_TRUE(IsNotFound(RenameFile(a, b, "'b'")));
  ASSERT_TRUE(SyncDir(dir_, "test dir").ok());
  EXPECT_TRUE(IsNotFound(SyncDir(dir_ + "/none", "missing dir")));
  ASSERT_TRUE(RemoveFileIfExists(b, "'b'").ok());
  ASSERT_TRUE(RemoveFileIfExists(b, "'b'").ok());
  EXPECT_FALSE(fs::exists(b));
}

TEST_F(FileUtilTest, ScopedFdMovesOwnership) {
  auto fd = OpenFile(dir_, O_RDONLY | O_DIRECTORY, 0, "dir");
  ASSERT_TRUE(fd.ok());
  int raw = fd->get();
  ScopedFd moved(std::move(*fd));
  EXPECT_EQ(moved.get(), raw);
  EXPECT_FALSE(fd->valid());
  ScopedFd other;
  other = std::move(moved);
  EXPECT_EQ(other.get(), raw);
  EXPECT_GE(::fcntl(raw, F_GETFD), 0);
}

TEST(RandomHexTest, ProducesDistinctLowerCaseHex) {
  auto a = RandomHex(8), b = RandomHex(8);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 16u);
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->find_first_not_of("0123456789abcdef"), std::string::npos);
}

}  // namespace
}  // namespace cofre
