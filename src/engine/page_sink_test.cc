// WriteBehind against real files: the file is synced along the way by its own thread, a
// failed sync reaches the caller, and with drop_behind the synced pages leave the page cache.
#include "engine/page_sink.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "util/file_util.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

using ::testing::HasSubstr;

TEST(WriteBehindTest, SyncsTheFileWhileItIsWritten) {
  const std::string path = ::testing::TempDir() + "/write_behind_" + std::to_string(::getpid());
  auto fd = OpenFile(path, O_RDWR | O_CREAT | O_TRUNC, 0600, path);
  ASSERT_THAT(fd.status(), IsOk());
  const std::string chunk(16 << 10, 'x');
  {
    WriteBehind behind(
        fd->get(), {.interval = 32 << 10, .sync_interval = 64 << 10, .display = "the test file"});
    for (int i = 0; i < 64; ++i) {  // 1 MiB: 16 sync intervals
      ASSERT_THAT(PwriteFully(fd->get(), uint64_t(i) * chunk.size(), chunk.data(), chunk.size(),
                              "writing the test file"),
                  IsOk());
      behind.Wrote(chunk.size());
    }
    // Wake-ups that come while a sync runs are one sync.
    for (int i = 0; i < 500 && behind.syncs() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_THAT(behind.Stop(), IsOk());
    EXPECT_GE(behind.syncs(), 1u);
    EXPECT_LE(behind.syncs(), 16u);
    EXPECT_THAT(behind.Stop(), IsOk());  // a second Stop is harmless
  }
  ::unlink(path.c_str());
}

// Which pages of the file `fd` (of `bytes` bytes) are in the page cache, by mincore(2); empty
// when it cannot tell.
std::vector<bool> ResidentPages(int fd, size_t bytes) {
  void* map = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) return {};
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> in((bytes + page - 1) / page);
  std::vector<bool> resident;
  if (::mincore(map, bytes, in.data()) == 0) {
    for (unsigned char c : in) resident.push_back((c & 1) != 0);
  }
  ::munmap(map, bytes);
  return resident;
}

size_t Count(const std::vector<bool>& v, size_t from, size_t to) {
  size_t n = 0;
  for (size_t i = from; i < to; ++i) n += v[i];
  return n;
}

constexpr size_t kFileBytes = 8 << 20;

// Writes 8 MiB through a WriteBehind syncing every 1 MiB; returns which pages of the file are
// still cached after Stop, or nothing when the test cannot tell (a tmpfs has no disk to drop to).
std::vector<bool> CachedAfterWriting(bool drop_behind, uint64_t drop_from, uint64_t* drops) {
  const std::string path = ::testing::TempDir() + "/drop_behind_" + std::to_string(::getpid());
  auto fd = OpenFile(path, O_RDWR | O_CREAT | O_TRUNC, 0600, path);
  EXPECT_THAT(fd.status(), IsOk());
  if (!fd.ok()) return {};
  struct statfs fs;
  const bool tmpfs = ::fstatfs(fd->get(), &fs) == 0 && fs.f_type == TMPFS_MAGIC;
  const std::string chunk(64 << 10, 'x');
  WriteBehind behind(fd->get(), {.interval = 256 << 10,
                                 .sync_interval = 1 << 20,
                                 .drop_behind = drop_behind,
                                 .drop_from = drop_from,
                                 .display = "the test file"});
  for (size_t off = 0; off < kFileBytes; off += chunk.size()) {
    EXPECT_THAT(PwriteFully(fd->get(), off, chunk.data(), chunk.size(), "writing the test file"),
                IsOk());
    behind.Wrote(chunk.size());
    // Let the syncing thread keep up, as a restore's builders, busy computing, let it.
    if ((off + chunk.size()) % (1 << 20) == 0) {
      for (int i = 0; i < 500 && behind.syncs() < (off + chunk.size()) >> 20; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    }
  }
  EXPECT_THAT(behind.Stop(), IsOk());
  *drops = behind.drops();
  std::vector<bool> cached = tmpfs ? std::vector<bool>() : ResidentPages(fd->get(), kFileBytes);
  ::unlink(path.c_str());
  return cached;
}

TEST(WriteBehindTest, DropBehindLeavesOnlyTheUnsyncedTailInThePageCache) {
  uint64_t drops = 0;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const size_t pages = kFileBytes / page;
  const std::vector<bool> kept = CachedAfterWriting(/*drop_behind=*/false, 0, &drops);
  EXPECT_EQ(drops, 0u);
  const std::vector<bool> dropped = CachedAfterWriting(/*drop_behind=*/true, 0, &drops);
  if (kept.empty() || dropped.empty()) GTEST_SKIP() << "the test directory is a tmpfs";
  ASSERT_EQ(kept.size(), pages);
  ASSERT_EQ(dropped.size(), pages);
  EXPECT_GE(drops, 1u);
  // Without drop-behind the whole file stays cached; with it, at most the last sync interval
  // (written after the last sync) and the pages a sync was still writing back.
  EXPECT_EQ(Count(kept, 0, pages), pages);
  EXPECT_LE(Count(dropped, 0, pages), (2u << 20) / page) << "of " << pages << " pages";
}

// Appending to a live database: its own pages (before drop_from) stay cached for its readers.
TEST(WriteBehindTest, DropBehindKeepsThePagesBeforeDropFrom) {
  uint64_t drops = 0;
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const size_t pages = kFileBytes / page, half = pages / 2;
  const std::vector<bool> cached = CachedAfterWriting(/*drop_behind=*/true, kFileBytes / 2, &drops);
  if (cached.empty()) GTEST_SKIP() << "the test directory is a tmpfs";
  ASSERT_EQ(cached.size(), pages);
  EXPECT_GE(drops, 1u);
  EXPECT_EQ(Count(cached, 0, half), half);
  EXPECT_LE(Count(cached, half, pages), (2u << 20) / page) << "of " << pages - half << " pages";
}

TEST(WriteBehindTest, AFailedSyncIsReturnedByStop) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  {
    // fdatasync of a pipe fails (EINVAL), as a sync of a file whose writeback failed would.
    WriteBehind behind(p[1], {.sync_interval = 1, .display = "the pipe"});
    behind.Wrote(1);
    for (int i = 0; i < 500 && behind.syncs() == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_EQ(behind.syncs(), 1u);
    EXPECT_THAT(behind.Stop(), StatusIs(StatusCode::kInternal, HasSubstr("syncing the pipe")));
    EXPECT_FALSE(behind.Stop().ok());
  }
  ::close(p[0]);
  ::close(p[1]);
}

TEST(WriteBehindTest, WithoutASyncIntervalNothingIsSynced) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  {
    WriteBehind behind(p[1], {.display = "the pipe"});
    behind.Wrote(1 << 30);
    EXPECT_THAT(behind.Stop(), IsOk());
    EXPECT_EQ(behind.syncs(), 0u);
  }
  ::close(p[0]);
  ::close(p[1]);
}

}  // namespace
}  // namespace cofre
