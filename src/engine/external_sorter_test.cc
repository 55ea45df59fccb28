// ExternalSorter: output equal to std::sort's under the same IndexRecordOrder for budgets that
// keep everything in memory, spill once, spill many times, and force intermediate merge passes;
// records larger than the budget; the temporary directory stays empty throughout; a missing
// directory and a full disk (RLIMIT_FSIZE, the kernel's EFBIG) come out as clear errors.
#include "engine/external_sorter.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "engine/sqlite_record.h"

namespace cofre {
namespace {

using sqlite_record::Type;
using sqlite_record::Value;

class SpillDir {
 public:
  SpillDir() {
    std::string tmpl = ::testing::TempDir() + "sorter-XXXXXX";
    const char* p = mkdtemp(tmpl.data());
    EXPECT_NE(p, nullptr);
    path_ = tmpl;
  }
  ~SpillDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  size_t Entries() const {
    size_t n = 0;
    for (auto it = std::filesystem::directory_iterator(path_);
         it != std::filesystem::directory_iterator(); ++it) {
      ++n;
    }
    return n;
  }

 private:
  std::string path_;
};

// An index record (text key, integer key, rowid) of about 20-40 bytes, with many duplicate keys
// differing only in case or trailing spaces; the rowid keeps records distinct.
std::string RandomRecord(std::mt19937_64& rng, int64_t rowid) {
  static const char kChars[] = "aAbBcC  ";
  std::string text;
  for (size_t n = 3 + rng() % 12; n > 0; --n) text += kChars[rng() % (sizeof(kChars) - 1)];
  Value values[3];
  values[0] = rng() % 10 == 0 ? Value{} : Value{Type::kText, 0, 0, text};
  values[1] = rng() % 3 == 0 ? Value{Type::kReal, 0, static_cast<double>(rng() % 50) / 4, {}}
                             : Value{Type::kInteger, static_cast<int64_t>(rng() % 40) - 20, 0, {}};
  values[2] = Value{Type::kInteger, rowid, 0, {}};
  std::string out;
  sqlite_record::Append(values, &out);
  return out;
}

const IndexRecordOrder& Order() {
  static const IndexRecordOrder* order =
      new IndexRecordOrder({{Collation::kNoCase, false}, {Collation::kBinary, true}});
  return *order;
}

std::vector<std::string> RandomRecords(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> records;
  for (size_t i = 0; i < n; ++i) records.push_back(RandomRecord(rng, static_cast<int64_t>(i)));
  std::shuffle(records.begin(), records.end(), rng);
  return records;
}

std::vector<std::string> StdSorted(std::vector<std::string> records) {
  std::sort(records.begin(), records.end(),
            [](const std::string& a, const std::string& b) { return Order().Compare(a, b) < 0; });
  return records;
}

// Every record `sorter` yields after Finish(), in order (a failed Next fails the test).
void Drain(ExternalSorter& sorter, std::vector<std::string>* out) {
  std::string_view rec;
  while (true) {
    StatusOr<bool> more = sorter.Next(&rec);
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    if (!*more) break;
    out->emplace_back(rec);
  }
}

// Sorts `records` with `budget`, checks the output against std::sort and the directory against
// emptiness, and returns the sorter's counters through the out-parameters.
void SortAndCheck(const std::vector<std::string>& records, size_t budget, size_t* runs,
                  size_t* merges, uint64_t* spilled) {
  SpillDir dir;
  ExternalSorter sorter(&Order(), budget, dir.path());
  for (const std::string& r : records) ASSERT_TRUE(sorter.Add(r).ok());
  ASSERT_TRUE(sorter.Finish().ok());
  EXPECT_EQ(dir.Entries(), 0u);  // The spill file has no name.
  std::vector<std::string> out;
  ASSERT_NO_FATAL_FAILURE(Drain(sorter, &out));
  std::string_view rec;
  StatusOr<bool> again = sorter.Next(&rec);
  ASSERT_TRUE(again.ok() && !*again);
  ASSERT_EQ(out.size(), records.size());
  ASSERT_TRUE(out == StdSorted(records));
  *runs = sorter.spilled_runs();
  *merges = sorter.intermediate_merges();
  *spilled = sorter.spilled_bytes();
}

TEST(ExternalSorterTest, FitsInMemoryWithoutTouchingDisk) {
  const auto records = RandomRecords(20000, 1);
  size_t runs, merges;
  uint64_t spilled;
  SortAndCheck(records, 16 << 20, &runs, &merges, &spilled);
  EXPECT_EQ(runs, 0u);
  EXPECT_EQ(spilled, 0u);
}

TEST(ExternalSorterTest, OneSpill) {
  // A 1 MiB budget holds ~20k of these records with their entries.
  const auto records = RandomRecords(30000, 2);
  size_t runs, merges;
  uint64_t spilled;
  SortAndCheck(records, 1 << 20, &runs, &merges, &spilled);
  EXPECT_EQ(runs, 2u);  // One spill while adding, the rest at Finish.
  EXPECT_EQ(merges, 0u);
  EXPECT_GT(spilled, 0u);
}

TEST(ExternalSorterTest, ManySpillsOneMerge) {
  const auto records = RandomRecords(200000, 3);
  size_t runs, merges;
  uint64_t spilled;
  SortAndCheck(records, 1 << 20, &runs, &merges, &spilled);
  EXPECT_GE(runs, 5u);
  EXPECT_EQ(merges, 0u);
}

TEST(ExternalSorterTest, IntermediateMergePasses) {
  const auto records = RandomRecords(200000, 4);
  size_t runs, merges;
  uint64_t spilled;
  SortAndCheck(records, 128 << 10, &runs, &merges, &spilled);
  EXPECT_GT(runs, 7u);  // More than the 128 KiB budget's fan-in.
  EXPECT_GE(merges, 1u);

  // The smallest budget: a fan-in of 3 and many passes.
  SortAndCheck(RandomRecords(40000, 5), 1, &runs, &merges, &spilled);
  EXPECT_GT(runs, 10u);
  EXPECT_GT(merges, 5u);
}

TEST(ExternalSorterTest, DuplicatesAndEmptyRecords) {
  // Equal keys (NOCASE) and identical records; order among equals is free, so compare sorted-ness
  // and the multiset.
  std::mt19937_64 rng(6);
  std::vector<std::string> records;
  for (int i = 0; i < 50000; ++i) {
    std::string r = RandomRecord(rng, i % 7);
    records.push_back(i % 1000 == 0 ? std::string() : r);
  }
  SpillDir dir;
  ExternalSorter sorter(&Order(), 256 << 10, dir.path());
  for (const std::string& r : records) ASSERT_TRUE(sorter.Add(r).ok());
  ASSERT_TRUE(sorter.Finish().ok());
  EXPECT_GT(sorter.spilled_runs(), 1u);
  std::vector<std::string> out;
  std::string_view rec;
  while (*sorter.Next(&rec)) out.emplace_back(rec);
  ASSERT_EQ(out.size(), records.size());
  for (size_t k = 1; k < out.size(); ++k) ASSERT_LE(Order().Compare(out[k - 1], out[k]), 0);
  std::sort(out.begin(), out.end());
  std::sort(records.begin(), records.end());
  EXPECT_TRUE(out == records);
}

TEST(ExternalSorterTest, RecordsLargerThanTheBudget) {
  std::mt19937_64 rng(7);
  std::vector<std::string> records;
  for (int i = 0; i < 300; ++i) {
    const size_t len = i % 10 == 0 ? (100 << 10) + rng() % (200 << 10) : rng() % 3000;
    std::string text(len, 'x');
    for (char& c : text) c = "abAB"[rng() % 4];
    Value values[2] = {{Type::kText, 0, 0, text}, {Type::kInteger, i, 0, {}}};
    std::string r;
    sqlite_record::Append(values, &r);
    records.push_back(r);
  }
  size_t runs, merges;
  uint64_t spilled;
  SortAndCheck(records, 64 << 10, &runs, &merges, &spilled);
  EXPECT_GT(runs, 30u);
}

TEST(ExternalSorterTest, BytewiseOrderSortsAsMemcmpThroughSpillsAndMerges) {
  // Sort keys sharing long prefixes (as an index's leading text values do), of every length
  // around the 8-byte words CompareBytes reads, with bytes above 0x7f.
  std::mt19937_64 rng(7);
  std::vector<std::string> keys;
  const std::string shared[] = {"", "page_view", "page_view\x01\x80", "checkout_started_at"};
  for (int i = 0; i < 20000; ++i) {
    std::string k = shared[rng() % 4];
    const size_t extra = rng() % 20;
    for (size_t j = 0; j < extra; ++j)
      k.push_back(static_cast<char>(rng() % 4 == 0 ? 0xff : rng() % 3));
    keys.push_back(k);
  }
  for (size_t i = 0; i < 2000; ++i) {
    const std::string& a = keys[rng() % keys.size()];
    const std::string& b = keys[rng() % keys.size()];
    const int want = a.compare(b);
    EXPECT_EQ(BytewiseOrder::CompareBytes(a, b), (want > 0) - (want < 0)) << i;
  }
  BytewiseOrder order;
  SpillDir dir;
  ExternalSorter sorter(&order, 64 << 10, dir.path());
  for (const std::string& k : keys) ASSERT_TRUE(sorter.Add(k).ok());
  ASSERT_TRUE(sorter.Finish().ok());
  EXPECT_GT(sorter.spilled_runs(), 1u);
  std::vector<std::string> out;
  ASSERT_NO_FATAL_FAILURE(Drain(sorter, &out));
  std::sort(keys.begin(), keys.end());
  EXPECT_TRUE(out == keys);
}

TEST(ExternalSorterTest, RadixPassesKeepTheByteOrderOfLongSharedPrefixes) {
  // Tens of thousands of keys in one buffer take the radix passes, word by word through long
  // runs of equal 8-byte words: shared prefixes ending before, at and after the word boundaries
  // and past the last word the passes read, zero bytes (which pad a shorter key's last word),
  // keys that are prefixes of others, and duplicates.
  std::mt19937_64 rng(11);
  std::vector<std::string> shared;
  for (size_t len : {0, 7, 8, 9, 16, 23, 24, 31, 32, 40}) {
    std::string p;
    for (size_t i = 0; i < len; ++i) p.push_back(static_cast<char>('a' + i % 26));
    shared.push_back(p);
  }
  shared.push_back(std::string(8, '\0'));
  std::vector<std::string> keys;
  for (int i = 0; i < 60000; ++i) {
    std::string k = shared[rng() % shared.size()];
    const size_t extra = rng() % 12;
    for (size_t j = 0; j < extra; ++j) {
      const uint64_t r = rng() % 4;
      k.push_back(static_cast<char>(r == 0 ? 0 : r == 1 ? 0xff : rng() % 256));
    }
    keys.push_back(k);
  }
  std::vector<std::string> want = keys;
  std::sort(want.begin(), want.end());
  BytewiseOrder order;
  for (size_t budget : {size_t{16} << 20, size_t{256} << 10}) {
    SCOPED_TRACE(budget);
    SpillDir dir;
    ExternalSorter sorter(&order, budget, dir.path());
    for (const std::string& k : keys) ASSERT_TRUE(sorter.Add(k).ok());
    ASSERT_TRUE(sorter.Finish().ok());
    EXPECT_EQ(sorter.spilled_runs() > 0, budget < (1 << 20));
    std::vector<std::string> out;
    ASSERT_NO_FATAL_FAILURE(Drain(sorter, &out));
    EXPECT_TRUE(out == want);
  }
}

TEST(ExternalSorterTest, EmptyInputAndMisuse) {
  SpillDir dir;
  ExternalSorter sorter(&Order(), 1 << 20, dir.path());
  std::string_view rec;
  EXPECT_EQ(sorter.Next(&rec).status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(sorter.Finish().ok());
  StatusOr<bool> more = sorter.Next(&rec);
  ASSERT_TRUE(more.ok());
  EXPECT_FALSE(*more);
  EXPECT_EQ(sorter.Add("x").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(sorter.Finish().code(), StatusCode::kFailedPrecondition);
}

TEST(ExternalSorterTest, DestroyedAtAnyPointLeavesNothing) {
  const auto records = RandomRecords(100000, 8);
  SpillDir dir;
  for (int stop = 0; stop < 3; ++stop) {
    ExternalSorter sorter(&Order(), 256 << 10, dir.path());
    for (const std::string& r : records) ASSERT_TRUE(sorter.Add(r).ok());
    EXPECT_GT(sorter.spilled_bytes(), 0u);
    if (stop == 0) continue;  // Destroyed while adding.
    ASSERT_TRUE(sorter.Finish().ok());
    if (stop == 1) continue;  // Destroyed before reading.
    std::string_view rec;
    for (int k = 0; k < 1000; ++k) ASSERT_TRUE(*sorter.Next(&rec));  // Destroyed mid-way.
  }
  EXPECT_EQ(dir.Entries(), 0u);
}

TEST(ExternalSorterTest, MissingTempDirIsAClearError) {
  SpillDir dir;
  const std::string missing = dir.path() + "/no-such-dir";
  ExternalSorter sorter(&Order(), 64 << 10, missing);
  std::mt19937_64 rng(9);
  Status s;
  for (int i = 0; i < 100000 && s.ok(); ++i) s = sorter.Add(RandomRecord(rng, i));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_NE(s.message().find("temporary sort file in '" + missing + "'"), std::string::npos)
      << s.message();
  // Sticky.
  EXPECT_EQ(sorter.Add("x").code(), StatusCode::kNotFound);
  EXPECT_EQ(sorter.Finish().code(), StatusCode::kNotFound);
}

// A file-size limit makes write(2) fail with EFBIG, which the sorter must report as a full disk
// (ResourceExhausted), whether the spill fails while adding or during Finish's merge passes.
TEST(ExternalSorterTest, FullDiskIsResourceExhausted) {
  struct rlimit old;
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
  sighandler_t old_handler = signal(SIGXFSZ, SIG_IGN);
  const auto records = RandomRecords(200000, 10);
  for (rlim_t limit : {rlim_t{64 << 10}, rlim_t{8 << 20}}) {
    SCOPED_TRACE(limit);
    SpillDir dir;
    Status s;
    bool failed_in_add = false;
    {
      ExternalSorter sorter(&Order(), 64 << 10, dir.path());  // fan-in 3: many passes
      struct rlimit small = old;
      small.rlim_cur = limit;
      ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
      for (const std::string& r : records) {
        s = sorter.Add(r);
        if (!s.ok()) break;
      }
      failed_in_add = !s.ok();
      if (s.ok()) s = sorter.Finish();
      std::string_view rec;
      while (s.ok()) {
        StatusOr<bool> more = sorter.Next(&rec);
        if (!more.ok()) s = more.status();
        if (!more.ok() || !*more) break;
      }
      ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
    }
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), StatusCode::kResourceExhausted) << s.ToString();
    EXPECT_NE(s.message().find("disk full"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(dir.path()), std::string::npos) << s.message();
    EXPECT_EQ(dir.Entries(), 0u);
    // The small limit fails a first spill, the larger one the merge passes of Finish.
    EXPECT_EQ(failed_in_add, limit < (1 << 20));
  }
  signal(SIGXFSZ, old_handler);
}

}  // namespace
}  // namespace cofre
