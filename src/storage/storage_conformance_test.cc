// Behaviour every ExternalStorage must share, checked against LocalStorage
// (real files), MemoryStorage and AzureStorage on Azurite (1 MiB blocks, so large objects go
// through Put Block / Put Block List).
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "storage/azure_test_support.h"
#include "storage/local_storage.h"
#include "storage/memory_storage.h"
#include "storage/storage_test_helpers.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

using storage_testing::ListToStrings;
using storage_testing::PatternBytes;
using storage_testing::TempDir;

enum class Kind { kLocal, kMemory, kAzure };

class StorageConformanceTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    if (GetParam() == Kind::kLocal) {
      ASSERT_FALSE(dir_.path().empty());
      auto local = LocalStorage::New(dir_.path() + "/root", "nodelocal://1/conf");
      ASSERT_TRUE(local.ok()) << local.status().ToString();
      storage_ = std::move(*local);
    } else if (GetParam() == Kind::kMemory) {
      storage_ = std::make_unique<MemoryStorage>("mem://conf");
    } else {
      auto server = azure_testing::RequireAzurite();
      ASSERT_TRUE(server.has_value());
      storage_ = azure_testing::OpenAzureOrDie(
          azure_testing::AzureUri(*server, azure_testing::UniqueContainer("conf"), "base/dir"),
          azure_testing::FastAzureSettings());
      ASSERT_NE(storage_, nullptr);
    }
  }

  void Put(const std::string& path, std::string_view data) {
    Status s = WriteSmallFile(*storage_, path, data);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  TempDir dir_;
  std::unique_ptr<ExternalStorage> storage_;
};

TEST_P(StorageConformanceTest, RoundTripsLargeObjectWrittenInUnevenPieces) {
  const std::string data = PatternBytes(3 * 1024 * 1024 + 12345, 1);
  auto writer = storage_->NewWriter("data/1.cfd");
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  size_t off = 0;
  const size_t pieces[] = {1, 100, 70000, 2 * 1024 * 1024, 5, 1024 * 1024};
  for (size_t i = 0; off < data.size(); ++i) {
    size_t n = std::min(pieces[i % 6], data.size() - off);
    ASSERT_TRUE((*writer)->Append(std::string_view(data).substr(off, n)).ok());
    off += n;
  }
  EXPECT_EQ((*writer)->BytesAppended(), data.size());
  ASSERT_TRUE((*writer)->Close().ok());

  auto size = storage_->Size("data/1.cfd");
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, data.size());

  // Sequential reads in 64 KiB pieces.
  auto reader = storage_->NewReader("data/1.cfd");
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->Size(), data.size());
  std::string got;
  std::vector<char> buf(64 * 1024);
  while (true) {
    auto n = (*reader)->Read(buf.data(), buf.size());
    ASSERT_TRUE(n.ok());
    if (*n == 0) break;
    got.append(buf.data(), *n);
  }
  EXPECT_TRUE(got == data);

  // Ranged reads, including one that runs past the end and one beyond it.
  for (uint64_t at : {uint64_t{0}, uint64_t{65535}, uint64_t{1} << 20, data.size() - 10}) {
    auto n = (*reader)->ReadAt(at, buf.data(), 4096);
    ASSERT_TRUE(n.ok());
    size_t want = std::min<size_t>(4096, data.size() - at);
    ASSERT_EQ(*n, want);
    EXPECT_EQ(std::string(buf.data(), *n), data.substr(at, want));
  }
  auto past = (*reader)->ReadAt(data.size() + 5, buf.data(), 10);
  ASSERT_TRUE(past.ok());
  EXPECT_EQ(*past, 0u);

  auto small = ReadSmallFile(*storage_, "data/1.cfd");
  ASSERT_TRUE(small.ok());
  EXPECT_TRUE(*small == data);
}

TEST_P(StorageConformanceTest, SmallSequentialReadsCrossChunkBoundaries) {
  const std::string data = PatternBytes(LocalStorage::kReadChunkSize * 2 + 77, 2);
  Put("f", data);
  auto reader = storage_->NewReader("f");
  ASSERT_TRUE(reader.ok());
  std::string got;
  char buf[7];
  while (true) {
    auto n = (*reader)->Read(buf, 1 + got.size() % 7);
    ASSERT_TRUE(n.ok());
    if (*n == 0) break;
    got.append(buf, *n);
  }
  EXPECT_TRUE(got == data);
}

TEST_P(StorageConformanceTest, ObjectIsInvisibleUntilClose) {
  auto writer = storage_->NewWriter("dir/obj");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Append(PatternBytes(2 << 20, 3)).ok());
  EXPECT_TRUE(IsNotFound(storage_->NewReader("dir/obj").status()));
  EXPECT_TRUE(IsNotFound(storage_->Size("dir/obj").status()));
  EXPECT_TRUE(ListToStrings(*storage_, "", "").empty());
  ASSERT_TRUE((*writer)->Close().ok());
  EXPECT_EQ(ListToStrings(*storage_, "", ""),
            std::vector<std::string>{"dir/obj:" + std::to_string(2 << 20)});
}

TEST_P(StorageConformanceTest, AbandonedWriterPublishesNothing) {
  {
    auto writer = storage_->NewWriter("a/b/c");
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->Append("partial").ok());
  }
  EXPECT_TRUE(ListToStrings(*storage_, "", "").empty());
  EXPECT_TRUE(ListToStrings(*storage_, "", "/").empty());
  EXPECT_TRUE(IsNotFound(storage_->Size("a/b/c").status()));
}

TEST_P(StorageConformanceTest, OverwriteReplacesWholeObject) {
  Put("LATEST", "2026/11/28-145137.12");
  Put("LATEST", "x");
  auto got = ReadSmallFile(*storage_, "LATEST");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "x");
}

TEST_P(StorageConformanceTest, EmptyObject) {
  Put("empty", "");
  auto size = storage_->Size("empty");
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 0u);
  auto got = ReadSmallFile(*storage_, "empty");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, "");
}

TEST_P(StorageConformanceTest, WriterMisuseIsFailedPrecondition) {
  auto writer = storage_->NewWriter("w");
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->Close().ok());
  EXPECT_EQ((*writer)->Append("x").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*writer)->Close().code(), StatusCode::kFailedPrecondition);
}

TEST_P(StorageConformanceTest, ListIsLexicographicOverFullPaths) {
  for (const std::string& p : storage_testing::TreePaths()) Put(p, p);
  std::vector<std::string> want;
  for (std::string p : storage_testing::TreePaths())
    want.push_back(p + ":" + std::to_string(p.size()));
  std::sort(want.begin(), want.end());
  EXPECT_EQ(ListToStrings(*storage_, "", ""), want);
}

TEST_P(StorageConformanceTest, ListRollsUpByDelimiter) {
  for (const std::string& p : storage_testing::TreePaths()) Put(p, "");
  EXPECT_EQ(ListToStrings(*storage_, "", "/"),
            (std::vector<std::string>{"2026/", "data/", "w:0", "x-1:0", "x.d/", "x/", "x0:0"}));
  EXPECT_EQ(ListToStrings(*storage_, "x/", "/"),
            (std::vector<std::string>{"x/y-z:0", "x/y.z:0", "x/y/", "x/yz:0"}));
  EXPECT_EQ(ListToStrings(*storage_, "x/y", "/"),
            (std::vector<std::string>{"x/y-z:0", "x/y.z:0", "x/y/", "x/yz:0"}));
  EXPECT_EQ(ListToStrings(*storage_, "x", "/"),
            (std::vector<std::string>{"x-1:0", "x.d/", "x/", "x0:0"}));
  EXPECT_EQ(ListToStrings(*storage_, "2026/", "/"), (std::vector<std::string>{"2026/11/"}));
  EXPECT_EQ(ListToStrings(*storage_, "2026/11/", "/"),
            (std::vector<std::string>{"2026/11/28-145137.12/", "2026/11/29-000000.00/"}));
  EXPECT_EQ(ListToStrings(*storage_, "2026/11/28-145137.12/", ""),
            (std::vector<std::string>{"2026/11/28-145137.12/BACKUP_MANIFEST:0",
                                      "2026/11/28-145137.12/data/1.cfd:0"}));
  EXPECT_EQ(ListToStrings(*storage_, "data/1", ""),
            (std::vector<std::string>{"data/1.cfd:0", "data/10.cfd:0"}));
  EXPECT_TRUE(ListToStrings(*storage_, "nope/", "/").empty());
  EXPECT_TRUE(ListToStrings(*storage_, "data/3", "").empty());
  // A multi-character delimiter.
  EXPECT_EQ(ListToStrings(*storage_, "2026/11/", ".12/"),
            (std::vector<std::string>{"2026/11/28-145137.12/",
                                      "2026/11/29-000000.00/BACKUP_MANIFEST:0"}));
}

TEST_P(StorageConformanceTest, ListStopsAtCallbackError) {
  for (const std::string& p : storage_testing::TreePaths()) Put(p, "");
  int calls = 0;
  Status s = storage_->List("", "", [&](const ListEntry&) {
    return ++calls == 3 ? Status(CancelledError("stop")) : Status::OK();
  });
  EXPECT_EQ(s.code(), StatusCode::kCancelled);
  EXPECT_EQ(calls, 3);
}

TEST_P(StorageConformanceTest, RefusesInvalidPaths) {
  for (const std::string& bad :
       std::vector<std::string>{"", "/abs", "a/../b", "..", "../x", "a//b", "a/", "./a", "a/.",
                                std::string("a\0b", 3)}) {
    SCOPED_TRACE(bad);
    auto w = storage_->NewWriter(bad);
    ASSERT_FALSE(w.ok());
    EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(w.status().message().find(storage_->RedactedUri()), std::string::npos)
        << w.status().message();
    EXPECT_EQ(storage_->NewReader(bad).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(storage_->Size(bad).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(storage_->Delete(bad).code(), StatusCode::kInvalidArgument);
  }
  auto w = storage_->NewWriter("a/../b");
  EXPECT_NE(w.status().message().find("'a/../b'"), std::string::npos) << w.status().message();
  for (const std::string& bad : std::vector<std::string>{"/x", "../", "a//", "a/../b/", "./"}) {
    SCOPED_TRACE(bad);
    Status s;
    ListToStrings(*storage_, bad, "/", &s);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  }
  // A partial last segment only filters names.
  Put(".hidden", "h");
  EXPECT_EQ(ListToStrings(*storage_, ".", ""), std::vector<std::string>{".hidden:1"});
}

TEST_P(StorageConformanceTest, DeleteRemovesAndIsIdempotent) {
  Put("d/one", "1");
  Put("d/two", "22");
  ASSERT_TRUE(storage_->Delete("d/one").ok());
  ASSERT_TRUE(storage_->Delete("d/one").ok());
  ASSERT_TRUE(storage_->Delete("never/was").ok());
  EXPECT_TRUE(IsNotFound(storage_->Size("d/one").status()));
  EXPECT_EQ(ListToStrings(*storage_, "", ""), std::vector<std::string>{"d/two:2"});
  ASSERT_TRUE(storage_->Delete("d/two").ok());
  // No objects left: no common prefix either.
  EXPECT_TRUE(ListToStrings(*storage_, "", "/").empty());
}

TEST_P(StorageConformanceTest, MissingObjectIsNotFoundNamingThePath) {
  auto r = storage_->NewReader("no/such");
  ASSERT_TRUE(IsNotFound(r.status()));
  EXPECT_NE(r.status().message().find("'no/such' in " + storage_->RedactedUri()), std::string::npos)
      << r.status().message();
  EXPECT_TRUE(IsNotFound(ReadSmallFile(*storage_, "no/such").status()));
}

TEST_P(StorageConformanceTest, ReadSmallFileRefusesOversizedObject) {
  Put("big", std::string(1000, 'b'));
  auto got = ReadSmallFile(*storage_, "big", 999);
  EXPECT_EQ(got.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(got.status().message().find("'big'"), std::string::npos);
  auto ok = ReadSmallFile(*storage_, "big", 1000);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 1000u);
}

TEST_P(StorageConformanceTest, ConcurrentWritersAndListers) {
  constexpr int kThreads = 4, kPerThread = 25;
  std::vector<std::thread> threads;
  std::vector<Status> errors(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string path = "t" + std::to_string(t) + "/sub/" + std::to_string(i);
        Status s = WriteSmallFile(*storage_, path, PatternBytes(1000 + i, t));
        if (s.ok()) {
          s = storage_->List("t" + std::to_string(t) + "/", "/",
                             [](const ListEntry&) { return Status::OK(); });
        }
        if (!s.ok()) {
          errors[t] = s;
          return;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const Status& s : errors) EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(ListToStrings(*storage_, "", "").size(), size_t{kThreads * kPerThread});
  auto got = ReadSmallFile(*storage_, "t2/sub/7");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*got == PatternBytes(1007, 2));
}

// A reader opened with the size its caller expects (ReaderOptions): the object's bytes when the
// size is right. When it is not, a store that looks sizes up (local files, memory) reports the
// actual size at the open, for the caller to compare; an object store (Azure) makes no lookup,
// and its reads fail with kWrongObjectSize. A missing object is NotFound, at the open or at the
// first read.
TEST_P(StorageConformanceTest, ReaderOpenedWithTheSizeItsCallerExpects) {
  const bool looks_up = GetParam() != Kind::kAzure;
  const std::string data = PatternBytes(300001, 4);
  Put("sized", data);
  ReaderOptions right;
  right.expected_size = data.size();
  ASSERT_OK_AND_ASSIGN(auto reader, storage_->NewReader("sized", right));
  EXPECT_EQ(reader->Size(), data.size());
  std::string got(data.size() + 10, '\0');
  ASSERT_OK_AND_ASSIGN(size_t n, ReadFully(*reader, got.data(), got.size()));
  got.resize(n);
  EXPECT_TRUE(got == data);
  ASSERT_OK_AND_ASSIGN(n, ReadFullyAt(*reader, 1000, got.data(), 100));
  EXPECT_EQ(got.substr(0, n), data.substr(1000, 100));

  for (uint64_t wrong : {data.size() - 1, data.size() + 1, 2 * data.size()}) {
    SCOPED_TRACE(wrong);
    ReaderOptions options;
    options.expected_size = wrong;
    ASSERT_OK_AND_ASSIGN(auto sequential, storage_->NewReader("sized", options));
    if (looks_up) {
      EXPECT_EQ(sequential->Size(), data.size());
      continue;
    }
    EXPECT_EQ(sequential->Size(), wrong);
    std::vector<char> buf(2 * data.size());
    EXPECT_EQ(ReadFully(*sequential, buf.data(), buf.size()).status().detail(),
              ErrorDetail::kWrongObjectSize);
    // A ranged read near the end expected: inside the object or past its end.
    ASSERT_OK_AND_ASSIGN(auto ranged, storage_->NewReader("sized", options));
    StatusOr<size_t> at_end = ranged->ReadAt(wrong - 1, buf.data(), 1);
    EXPECT_THAT(at_end, StatusIs(StatusCode::kDataLoss));
    EXPECT_EQ(at_end.status().detail(), ErrorDetail::kWrongObjectSize);
  }

  ReaderOptions options;
  options.expected_size = 10;
  auto missing = storage_->NewReader("no/such", options);
  if (looks_up) {
    EXPECT_TRUE(IsNotFound(missing.status())) << missing.status().ToString();
  } else {
    ASSERT_THAT(missing, IsOk());
    char buf[10];
    EXPECT_THAT((*missing)->Read(buf, sizeof(buf)), StatusIs(StatusCode::kNotFound));
  }
}

INSTANTIATE_TEST_SUITE_P(AllStorages, StorageConformanceTest,
                         ::testing::Values(Kind::kLocal, Kind::kMemory, Kind::kAzure),
                         [](const ::testing::TestParamInfo<Kind>& info) {
                           return info.param == Kind::kLocal    ? "Local"
                                  : info.param == Kind::kMemory ? "Memory"
                                                                : "Azure";
                         });

}  // namespace
}  // namespace cofre
