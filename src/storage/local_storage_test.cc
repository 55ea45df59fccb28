// LocalStorage specifics: temp files, atomic publish under concurrency and
// crashes, directory handling, and the mapping of disk-full and permission
// errors.
#include "storage/local_storage.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "storage/storage_test_helpers.h"

namespace cofre {
namespace {

namespace fs = std::filesystem;
using storage_testing::ListToStrings;
using storage_testing::PatternBytes;
using storage_testing::RunInChild;
using storage_testing::TempDir;

constexpr char kUri[] = "nodelocal://1/backups";

std::unique_ptr<LocalStorage> MustOpen(const std::string& root) {
  auto s = LocalStorage::New(root, kUri);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

// Every regular file under `root`, relative, sorted.
std::vector<std::string> FilesOnDisk(const std::string& root) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (it->is_regular_file()) out.push_back(fs::relative(it->path(), root).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(LocalStorageTest, NewRefusesRelativeOrDottedRoots) {
  EXPECT_EQ(LocalStorage::New("relative/dir", kUri).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(LocalStorage::New("", kUri).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(LocalStorage::New("/a/../b", kUri).status().code(), StatusCode::kInvalidArgument);
  auto ok = LocalStorage::New("/tmp/x///", kUri);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)->root(), "/tmp/x");
}

TEST(LocalStorageTest, WritesIntoTempFileAndRenamesOnClose) {
  TempDir dir;
  auto storage = MustOpen(dir.path());
  auto writer = storage->NewWriter("a/b/obj");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append(std::string(3 << 20, 'x')).ok());
  // Only the temp file exists, named "<name>.tmp-<16 hex digits>", and it is
  // never listed.
  std::vector<std::string> files = FilesOnDisk(dir.path());
  ASSERT_EQ(files.size(), 1u);
  EXPECT_TRUE(files[0].starts_with("a/b/obj.tmp-")) << files[0];
  EXPECT_TRUE(LocalStorage::IsTempFileName(files[0].substr(4)));
  EXPECT_TRUE(ListToStrings(*storage, "", "").empty());
  EXPECT_TRUE(ListToStrings(*storage, "", "/").empty());
  ASSERT_TRUE((*writer)->Close().ok());
  EXPECT_EQ(FilesOnDisk(dir.path()), std::vector<std::string>{"a/b/obj"});
  EXPECT_EQ(fs::file_size(dir.path() + "/a/b/obj"), uintmax_t{3} << 20);
}

TEST(LocalStorageTest, AbandonedWriterRemovesItsTempFile) {
  TempDir dir;
  auto storage = MustOpen(dir.path());
  ASSERT_TRUE(WriteSmallFile(*storage, "keep", "old").ok());
  {
    auto writer = storage->NewWriter("keep");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append(std::string(2 << 20, 'n')).ok());
    EXPECT_EQ(FilesOnDisk(dir.path()).size(), 2u);
  }
  EXPECT_EQ(FilesOnDisk(dir.path()), std::vector<std::string>{"keep"});
  auto got = ReadSmallFile(*storage, "keep");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "old");
}

TEST(LocalStorageTest, RefusesObjectNamesThatLookLikeTempFiles) {
  TempDir dir;
  auto storage = MustOpen(dir.path());
  auto w = storage->NewWriter("d/x.tmp-0123456789abcdef");
  EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(storage->NewWriter("d/x.tmp-0123").ok());
  EXPECT_TRUE(storage->NewWriter("d/x.tmp-0123456789ABCDEF").ok());
  EXPECT_TRUE(LocalStorage::IsTempFileName("x.tmp-0123456789abcdef"));
  EXPECT_FALSE(LocalStorage::IsTempFileName(".tmp-0123456789abcdef"));
  EXPECT_FALSE(LocalStorage::IsTempFileName("x.tmp-0123456789abcdeg"));
}

TEST(LocalStorageTest, StaleTempFilesAreNeverListed) {
  TempDir dir;
  auto storage = MustOpen(dir.path());
  ASSERT_TRUE(WriteSmallFile(*storage, "d/real", "r").ok());
  std::ofstream(dir.path() + "/d/real.tmp-00112233445566ff") << "stale";
  fs::create_directories(dir.path() + "/onlytemp");
  std::ofstream(dir.path() + "/onlytemp/x.tmp-00112233445566ff") << "stale";
  EXPECT_EQ(ListToStrings(*storage, "", ""), std::vector<std::string>{"d/real:1"});
  EXPECT_EQ(ListToStrings(*storage, "", "/"), std::vector<std::string>{"d/"});
}

TEST(LocalStorageTest, RemoveLeftoversTakesTempFilesAndEmptyDirectoriesOnly) {
  TempDir dir;
  auto storage = MustOpen(dir.path());
  ASSERT_TRUE(WriteSmallFile(*storage, "layer/kept/object", "o").ok());
  ASSERT_TRUE(WriteSmallFile(*storage, "other/object", "o").ok());
  std::ofstream(dir.path() + "/layer/kept/x.tmp-00112233445566ff") << "stale";
  fs::create_directories(dir.path() + "/layer/data/empty");
  std::ofstream(dir.path() + "/layer/data/1.cfd.tmp-00112233445566ff") << "stale";
  std::ofstream(dir.path() + "/layer/data/not-a-temp.tmp-1") << "kept";
  ASSERT_TRUE(storage->RemoveLeftovers("layer").ok());
  EXPECT_EQ(FilesOnDisk(dir.path()),
            (std::vector<std::string>{"layer/data/not-a-temp.tmp-1", "layer/kept/object",
                                      "other/object"}));
  EXPECT_FALSE(fs::exists(dir.path() + "/layer/data/empty"));
  // Once its objects are gone, the directory itself goes; its parent stays.
  ASSERT_TRUE(storage->Delete("layer/kept/object").ok());
  ASSERT_TRUE(storage->Delete("layer/data/not-a-temp.tmp-1").ok());
  ASSERT_TRUE(storage->RemoveLeftovers("layer").ok());
  EXPECT_FALSE(fs::exists(dir.path() + "/layer"));
  EXPECT_TRUE(fs::exists(dir.path() + "/other/object"));
  // Absent: fine.
  EXPECT_TRUE(storage->RemoveLeftovers("layer").ok());
  EXPECT_FALSE(storage->RemoveLeftovers("../x").ok());
}

TEST(LocalStorageTest, RemoveInterruptedWritesTakesOnlyThatObjectsTempFiles) {
  TempDir dir;
  auto storage = MustOpen(dir.path());
  ASSERT_TRUE(WriteSmallFile(*storage, "LATEST", "/x").ok());
  std::ofstream(dir.path() + "/LATEST.tmp-00112233445566ff") << "torn";
  std::ofstream(dir.path() + "/LATEST2.tmp-00112233445566ff") << "other";
  std::ofstream(dir.path() + "/XLATEST.tmp-00112233445566ff") << "other";
  ASSERT_TRUE(storage->RemoveInterruptedWrites("LATEST").ok());
  EXPECT_EQ(FilesOnDisk(dir.path()),
            (std::vector<std::string>{"LATEST", "LATEST2.tmp-00112233445566ff",
                                      "XLATEST.tmp-00112233445566ff"}));
  EXPECT_TRUE(storage->RemoveInterruptedWrites("absent/dir/LATEST").ok());
}

TEST(LocalStorageTest, EmptyDirectoriesAreNotListedAsPrefixes) {
  TempDir dir;
  auto storage = MustOpen(dir.path());
  fs::create_directories(dir.path() + "/empty/deeper");
  ASSERT_TRUE(WriteSmallFile(*storage, "full/deep/x", "1").ok());
  EXPECT_EQ(ListToStrings(*storage, "", "/"), std::vector<std::string>{"full/"});
  EXPECT_EQ(ListToStrings(*storage, "", ""), std::vector<std::string>{"full/deep/x:1"});
}

TEST(LocalStorageTest, MissingRootReadsAsEmptyAndIsCreatedOnWrite) {
  TempDir dir;
  const std::string root = dir.path() + "/not/yet/there";
  auto storage = MustOpen(root);
  EXPECT_TRUE(ListToStrings(*storage, "", "/").empty());
  EXPECT_TRUE(IsNotFound(storage->Size("x").status()));
  ASSERT_TRUE(WriteSmallFile(*storage, "x", "1").ok());
  EXPECT_TRUE(fs::is_regular_file(root + "/x"));
}

TEST(LocalStorageTest, DirectoryIsNotAnObject) {
  TempDir dir;
  auto storage = MustOpen(dir.path());
  ASSERT_TRUE(WriteSmallFile(*storage, "d/x", "1").ok());
  EXPECT_TRUE(IsNotFound(storage->NewReader("d").status()));
  EXPECT_TRUE(IsNotFound(storage->Size("d").status()));
  EXPECT_EQ(storage->Delete("d").code(), StatusCode::kFailedPrecondition);
  // A file where a directory is needed.
  auto w = storage->NewWriter("d/x/y");
  EXPECT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("'d/x' in nodelocal://1/backups"), std::string::npos)
      << w.status().message();
}

TEST(LocalStorageTest, ReaderSeesOldOrNewObjectNeverAMix) {
  TempDir dir;
  auto storage = MustOpen(dir.path());
  const std::string v1 = PatternBytes(4 << 20, 11), v2 = PatternBytes(4 << 20, 22);
  ASSERT_TRUE(WriteSmallFile(*storage, "LATEST", v1).ok());
  std::atomic<bool> done{false};
  std::atomic<int> reads{0}, saw_v2{0}, bad{0};
  std::thread reader([&] {
    while (!done.load()) {
      auto got = ReadSmallFile(*storage, "LATEST");
      if (!got.ok() || (*got != v1 && *got != v2)) ++bad;
      if (got.ok() && *got == v2) ++saw_v2;
      ++reads;
    }
  });
  for (int round = 0; round < 6; ++round) {
    const std::string& v = round % 2 == 0 ? v2 : v1;
    auto writer = storage->NewWriter("LATEST");
    ASSERT_TRUE(writer.ok());
    for (size_t off = 0; off < v.size(); off += 100000) {
      ASSERT_TRUE((*writer)->Append(std::string_view(v).substr(off, 100000)).ok());
    }
    ASSERT_TRUE((*writer)->Close().ok());
  }
  // Let the reader observe the final state at least once.
  int before = reads.load();
  while (reads.load() < before + 2) std::this_thread::yield();
  done = true;
  reader.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(reads.load(), 2);
  auto final_value = ReadSmallFile(*storage, "LATEST");
  ASSERT_TRUE(final_value.ok());
  EXPECT_TRUE(*final_value == v1);
}

TEST(LocalStorageTest, KilledWriterLeavesNothingVisible) {
  TempDir dir;
  auto storage = MustOpen(dir.path());
  std::string out = RunInChild([&] {
    auto writer = storage->NewWriter("data/1.cfd");
    if (!writer.ok()) return writer.status().ToString();
    for (int i = 0; i < 8; ++i) {
      if (!(*writer)->Append(std::string(1 << 20, 'k')).ok()) return std::string("append");
    }
    ::kill(::getpid(), SIGKILL);
    return std::string("not killed");
  });
  EXPECT_TRUE(out.starts_with("child failed")) << out;
  // The temp file survives the crash on disk but is invisible.
  EXPECT_EQ(FilesOnDisk(dir.path()).size(), 1u);
  EXPECT_TRUE(ListToStrings(*storage, "", "").empty());
  EXPECT_TRUE(ListToStrings(*storage, "", "/").empty());
  EXPECT_TRUE(IsNotFound(storage->Size("data/1.cfd").status()));
}

TEST(LocalStorageTest, ErrorsNameTheRelativePathNotTheRoot) {
  TempDir dir;
  auto storage = MustOpen(dir.path() + "/secret-root-name");
  auto r = storage->NewReader("dir/obj");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message().find("secret-root-name"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("'dir/obj' in nodelocal://1/backups"), std::string::npos);
}

// Writes until the volume is full and checks the error, the cleanup and that
// space comes back.
std::string FillAndCheck(const std::string& root, const std::string& expect_errno_word) {
  auto storage_or = LocalStorage::New(root, "file:///tiny");
  if (!storage_or.ok()) return "open: " + storage_or.status().ToString();
  LocalStorage& storage = **storage_or;
  auto writer = storage.NewWriter("big/file.cfd");
  if (!writer.ok()) return "new writer: " + writer.status().ToString();
  Status s;
  const std::string chunk(64 * 1024, 'z');
  for (int i = 0; i < 64 && s.ok(); ++i) s = (*writer)->Append(chunk);  // 4 MiB
  if (s.ok()) s = (*writer)->Close();
  if (s.ok()) return "writing 4 MiB unexpectedly succeeded";
  if (s.code() != StatusCode::kResourceExhausted) return "wrong code: " + s.ToString();
  if (s.message().find("disk full while writing 'big/file.cfd' in file:///tiny") ==
      std::string::npos) {
    return "wrong message: " + s.message();
  }
  if (s.message().find(expect_errno_word) == std::string::npos) {
    return "message lacks '" + expect_errno_word + "': " + s.message();
  }
  // Sticky.
  if ((*writer)->Append("x").code() != StatusCode::kResourceExhausted) return "not sticky";
  if ((*writer)->Close().code() != StatusCode::kResourceExhausted) return "close not sticky";
  // Nothing visible, the temp file is gone, and a small write fits again.
  std::vector<std::string> files = FilesOnDisk(root);
  if (!files.empty()) return "left files behind: " + files[0];
  Status small = WriteSmallFile(storage, "big/small", std::string(100 * 1024, 's'));
  if (!small.ok()) return "small write after cleanup: " + small.ToString();
  return "ok";
}

TEST(LocalStorageTest, DiskFullIsResourceExhaustedAndCleansUp) {
  TempDir dir;
  const std::string mnt = dir.path() + "/tiny";
  fs::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=1m") == 0) {
    std::string result = FillAndCheck(mnt + "/root", "No space left on device");
    ::umount2(mnt.c_str(), MNT_DETACH);
    EXPECT_EQ(result, "ok");
  } else {
    // No permission to mount here: a file-size limit makes write() fail with
    // EFBIG instead.
    std::string result = RunInChild([&] {
      struct rlimit lim = {1 << 20, 1 << 20};
      ::signal(SIGXFSZ, SIG_IGN);
      if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) return std::string("setrlimit failed");
      return FillAndCheck(mnt + "/root", "File too large");
    });
    EXPECT_EQ(result, "ok");
  }
}

TEST(LocalStorageTest, FileSizeLimitIsResourceExhausted) {
  TempDir dir;
  std::string result = RunInChild([&] {
    struct rlimit lim = {1 << 20, 1 << 20};
    ::signal(SIGXFSZ, SIG_IGN);
    if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) return std::string("setrlimit failed");
    return FillAndCheck(dir.path() + "/root", "File too large");
  });
  EXPECT_EQ(result, "ok");
}

TEST(LocalStorageTest, PermissionErrorsArePermissionDenied) {
  TempDir dir;
  auto storage = MustOpen(dir.path() + "/locked");
  ASSERT_TRUE(WriteSmallFile(*storage, "d/secret", "s").ok());
  ::chmod((dir.path() + "/locked/d/secret").c_str(), 0600);
  ::chmod(dir.path().c_str(), 0755);
  std::string result = RunInChild([&] {
    // Drop root so that permission bits apply (nobody:nogroup).
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) return std::string("setuid failed");
    std::string out;
    auto w = storage->NewWriter("d/new");
    out += StatusCodeName(w.status().code());
    out += w.ok() ? "" : (w.status().message().find("'d/new'") != std::string::npos ? "+name" : "");
    auto w2 = storage->NewWriter("newdir/x");
    out += std::string(" ") + std::string(StatusCodeName(w2.status().code()));
    auto r = storage->NewReader("d/secret");
    out += std::string(" ") + std::string(StatusCodeName(r.status().code()));
    return out;
  });
  EXPECT_EQ(result, "PERMISSION_DENIED+name PERMISSION_DENIED PERMISSION_DENIED");
}

}  // namespace
}  // namespace cofre

namespace cofre {
namespace {

// Issue 13 §4: a symlinked directory or file inside a collection must not redirect cofre's
// reads or writes outside it.
class LocalStorageSymlinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.path() + "/coll";
    elsewhere_ = tmp_.path() + "/elsewhere";
    fs::create_directories(root_);
    fs::create_directories(elsewhere_);
    storage_ = MustOpen(root_);
    ASSERT_NE(storage_, nullptr);
  }

  void Write(const std::string& path, const std::string& data) {
    std::ofstream(path, std::ios::binary) << data;
  }

  TempDir tmp_;
  std::string root_, elsewhere_;
  std::unique_ptr<LocalStorage> storage_;
};

TEST_F(LocalStorageSymlinkTest, WritesThroughALinkedDirectoryAreRefused) {
  fs::create_directory_symlink(elsewhere_, root_ + "/incrementals");
  auto w = storage_->NewWriter("incrementals/2026/x/BACKUP_MANIFEST");
  EXPECT_EQ(w.status().code(), StatusCode::kFailedPrecondition) << w.status().ToString();
  EXPECT_NE(w.status().message().find("symbolic link"), std::string::npos);
  EXPECT_TRUE(fs::is_empty(elsewhere_));
}

TEST_F(LocalStorageSymlinkTest, ALinkedFileIsNeitherReadNorReplaced) {
  Write(elsewhere_ + "/secret", "not yours");
  fs::create_directories(root_ + "/data");
  fs::create_symlink(elsewhere_ + "/secret", root_ + "/data/1.cfd");
  EXPECT_EQ(storage_->NewReader("data/1.cfd").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(storage_->Size("data/1.cfd").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(storage_->NewWriter("data/1.cfd").status().code(), StatusCode::kFailedPrecondition);
  std::vector<std::string> seen;
  Status listed = storage_->List("data/", "", [&](const ListEntry& e) {
    seen.push_back(e.path);
    return Status::OK();
  });
  EXPECT_EQ(listed.code(), StatusCode::kFailedPrecondition) << listed.ToString();
  EXPECT_TRUE(storage_->Delete("data/1.cfd").ok());  // removes the link, not its target
  std::ifstream in(elsewhere_ + "/secret");
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "not yours");
}

TEST_F(LocalStorageSymlinkTest, ReadsListsAndDeletesThroughALinkedDirectoryAreRefused) {
  Write(elsewhere_ + "/BACKUP_MANIFEST", "forged");
  fs::create_directory_symlink(elsewhere_, root_ + "/layer");
  EXPECT_EQ(storage_->NewReader("layer/BACKUP_MANIFEST").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(storage_->Size("layer/BACKUP_MANIFEST").status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(storage_->Delete("layer/BACKUP_MANIFEST").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(storage_->List("layer/", "", [](const ListEntry&) { return Status::OK(); }).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(storage_->List("", "", [](const ListEntry&) { return Status::OK(); }).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(storage_->RemoveLeftovers("layer").code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(fs::exists(elsewhere_ + "/BACKUP_MANIFEST"));
}

TEST_F(LocalStorageSymlinkTest, TheRootItselfMayBeALink) {
  // What the user configured is trusted: only links below the root are refused.
  fs::create_directory_symlink(elsewhere_, tmp_.path() + "/alias");
  auto storage = MustOpen(tmp_.path() + "/alias");
  ASSERT_NE(storage, nullptr);
  ASSERT_TRUE(WriteSmallFile(*storage, "a/b", "data").ok());
  EXPECT_TRUE(fs::exists(elsewhere_ + "/a/b"));
  auto r = ReadSmallFile(*storage, "a/b", 100);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "data");
}

}  // namespace
}  // namespace cofre
