// FileReadAhead: local files come into the page cache in the order given, never more than the
// distance ahead of what the readers consumed (within a file too); remote storages are not read
// ahead; destroying the read-ahead stops it.
#include "backup/file_read_ahead.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "storage/local_storage.h"
#include "storage/memory_storage.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

namespace fs = std::filesystem;

constexpr size_t kFileBytes = 1 << 20;

// The fraction of the file's pages in the page cache (mincore(2)); -1 when it cannot tell.
double Resident(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return -1;
  double fraction = -1;
  void* map = ::mmap(nullptr, kFileBytes, PROT_READ, MAP_SHARED, fd, 0);
  if (map != MAP_FAILED) {
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    std::vector<unsigned char> in((kFileBytes + page - 1) / page);
    if (::mincore(map, kFileBytes, in.data()) == 0) {
      size_t n = 0;
      for (unsigned char c : in) n += c & 1;
      fraction = static_cast<double>(n) / static_cast<double>(in.size());
    }
    ::munmap(map, kFileBytes);
  }
  ::close(fd);
  return fraction;
}

// Drops the file's pages from the page cache; false when it cannot (a tmpfs keeps them).
bool Evict(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return false;
  struct statfs sfs;
  const bool tmpfs = ::fstatfs(fd, &sfs) == 0 && sfs.f_type == TMPFS_MAGIC;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
  return !tmpfs && Resident(path) == 0;
}

class FileReadAheadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("read_ahead_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto storage = LocalStorage::New(dir_.string(), "nodelocal://test");
    ASSERT_THAT(storage.status(), IsOk());
    storage_ = std::move(*storage);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes files f0..f(n-1) of kFileBytes and evicts them; false when they cannot be evicted.
  bool MakeFiles(int n) {
    const std::string bytes(kFileBytes, 'r');
    for (int i = 0; i < n; ++i) {
      EXPECT_THAT(WriteSmallFile(*storage_, Name(i), bytes), IsOk());
      if (!Evict(Path(i))) return false;
    }
    return true;
  }
  std::string Name(int i) const { return "f" + std::to_string(i); }
  std::string Path(int i) const { return (dir_ / Name(i)).string(); }

  // Waits (up to 10 s) until the read-ahead read `bytes`; then a moment more, to see it stop.
  static void AwaitRead(const FileReadAhead& ahead, uint64_t bytes) {
    for (int i = 0; i < 1000 && ahead.read_bytes() < bytes; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  fs::path dir_;
  std::unique_ptr<LocalStorage> storage_;
};

TEST_F(FileReadAheadTest, LocalFilesComeIntoThePageCacheNoFurtherThanTheDistanceAhead) {
  if (!MakeFiles(4)) GTEST_SKIP() << "the page cache cannot be dropped here (tmpfs)";
  std::vector<FileReadAhead::File> files;
  for (int i = 0; i < 4; ++i) files.push_back({storage_.get(), Name(i)});
  FileReadAhead ahead(std::move(files), {.distance = 2 * kFileBytes, .chunk_bytes = 64 << 10});
  EXPECT_EQ(ahead.files(), 4u);

  AwaitRead(ahead, 2 * kFileBytes);
  EXPECT_EQ(ahead.read_bytes(), 2 * kFileBytes);
  EXPECT_EQ(Resident(Path(0)), 1.0);
  EXPECT_EQ(Resident(Path(1)), 1.0);
  EXPECT_EQ(Resident(Path(2)), 0.0);  // beyond the distance: not read yet

  ahead.Consumed(kFileBytes);
  AwaitRead(ahead, 3 * kFileBytes);
  EXPECT_EQ(ahead.read_bytes(), 3 * kFileBytes);
  EXPECT_EQ(Resident(Path(2)), 1.0);
  EXPECT_EQ(Resident(Path(3)), 0.0);

  ahead.Consumed(10 * kFileBytes);
  AwaitRead(ahead, 4 * kFileBytes);
  EXPECT_EQ(ahead.read_bytes(), 4 * kFileBytes);
  EXPECT_EQ(Resident(Path(3)), 1.0);
}

TEST_F(FileReadAheadTest, AFileLargerThanTheDistanceIsReadNoFurther) {
  if (!MakeFiles(1)) GTEST_SKIP() << "the page cache cannot be dropped here (tmpfs)";
  FileReadAhead ahead({{storage_.get(), Name(0)}},
                      {.distance = 256 << 10, .chunk_bytes = 64 << 10});
  AwaitRead(ahead, 256 << 10);
  EXPECT_EQ(ahead.read_bytes(), uint64_t{256} << 10);
  ahead.Consumed(kFileBytes);
  AwaitRead(ahead, kFileBytes);
  EXPECT_EQ(ahead.read_bytes(), kFileBytes);
}

TEST_F(FileReadAheadTest, MissingFilesAreSkippedAndDestroyingStopsTheThread) {
  if (!MakeFiles(2)) GTEST_SKIP() << "the page cache cannot be dropped here (tmpfs)";
  std::vector<FileReadAhead::File> files = {
      {storage_.get(), "missing"}, {storage_.get(), Name(0)}, {storage_.get(), Name(1)}};
  {
    FileReadAhead ahead(files, {.distance = uint64_t{1} << 40, .chunk_bytes = 64 << 10});
    AwaitRead(ahead, 2 * kFileBytes);
    EXPECT_EQ(ahead.read_bytes(), 2 * kFileBytes);
  }
  ASSERT_TRUE(Evict(Path(0)));
  ASSERT_TRUE(Evict(Path(1)));
  // Destroyed before any room was made: it returns at once and reads nothing more.
  auto start = std::chrono::steady_clock::now();
  { FileReadAhead ahead(files, {.distance = 0, .chunk_bytes = 64 << 10}); }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(Resident(Path(0)), 0.0);
}

TEST_F(FileReadAheadTest, RemoteStoragesAreNotReadAhead) {
  MemoryStorage memory;
  ASSERT_THAT(WriteSmallFile(memory, "f", std::string(1000, 'm')), IsOk());
  ASSERT_FALSE(memory.ReadsAreCached());
  ASSERT_TRUE(storage_->ReadsAreCached());
  FileReadAhead ahead({{&memory, "f"}}, {});
  EXPECT_EQ(ahead.files(), 0u);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(ahead.read_bytes(), 0u);
}

}  // namespace
}  // namespace cofre
