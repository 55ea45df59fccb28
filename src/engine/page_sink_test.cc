// WriteBehind against real files: the file is synced along the way by its own thread, and a
// failed sync reaches the caller.
#include "engine/page_sink.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

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
    WriteBehind behind(fd->get(), 32 << 10, 64 << 10, "the test file");
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

TEST(WriteBehindTest, AFailedSyncIsReturnedByStop) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  {
    // fdatasync of a pipe fails (EINVAL), as a sync of a file whose writeback failed would.
    WriteBehind behind(p[1], 0, 1, "the pipe");
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
    WriteBehind behind(p[1], 0, 0, "the pipe");
    behind.Wrote(1 << 30);
    EXPECT_THAT(behind.Stop(), IsOk());
    EXPECT_EQ(behind.syncs(), 0u);
  }
  ::close(p[0]);
  ::close(p[1]);
}

}  // namespace
}  // namespace cofre
