// index_sort: throughput and peak memory of the bulk restore's index-entry sort
// (engine/external_sorter.h).
//
//   cofre_index_sort_bench [--records N] [--budget-mib M] [--temp DIR] [--unique-keys K]
//                          [--verify 0|1]
//
// Generates N SQLite index records (a NOCASE text key of 12-24 characters, an integer key and the
// rowid: ~30 bytes, as an index on (name COLLATE NOCASE, amount) of a restored table), feeds
// them in random key order to an ExternalSorter with an M MiB budget spilling to DIR, reads
// them all back (with --verify 1, checking their order and count: the check's comparisons then
// count in the timings). Prints one line of figures: entries/s and MB/s of record bytes for the
// whole sort (add + finish + read back, minus the time generating the input takes alone), the
// phases, bytes spilled, runs and the process's peak RSS.
#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "engine/external_sorter.h"
#include "engine/sqlite_record.h"
#include "rng.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

int Fail(const cofre::Status& s) {
  std::fprintf(stderr, "index_sort: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t records = 5'000'000;
  size_t budget_mib = 16;
  std::string temp = "/tmp";
  uint64_t unique_keys = 1'000'000;
  bool verify = false;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--records")) {
      records = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (!std::strcmp(argv[i], "--budget-mib")) {
      budget_mib = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (!std::strcmp(argv[i], "--temp")) {
      temp = argv[i + 1];
    } else if (!std::strcmp(argv[i], "--verify")) {
      verify = std::strcmp(argv[i + 1], "0") != 0;
    } else if (!std::strcmp(argv[i], "--unique-keys")) {
      unique_keys = std::strtoull(argv[i + 1], nullptr, 10);
    } else {
      std::fprintf(stderr,
                   "usage: %s [--records N] [--budget-mib M] [--temp DIR] [--unique-keys K] "
                   "[--verify 0|1]\n",
                   argv[0]);
      return 2;
    }
  }
  using cofre::sqlite_record::Type;
  using cofre::sqlite_record::Value;
  const cofre::IndexRecordOrder order(
      {{cofre::Collation::kNoCase, false}, {cofre::Collation::kBinary, false}});
  cofre::ExternalSorter sorter(&order, budget_mib << 20, temp);
  char name[32];
  // Record i of the input, drawn from `rng`. The text key comes from `unique_keys` names, so equal
  // keys (and prefixes) recur, as in real indexes.
  auto make = [&](cofre::bench::Rng& rng, uint64_t i, std::string* record) {
    cofre::bench::Rng key_rng(rng.Below(unique_keys));
    const size_t len = 12 + key_rng.Below(13);
    for (size_t k = 0; k < len; ++k) {
      name[k] = "aAbBcCdDeEfFgGhHiIjJkKlLmMnNoOpP"[key_rng.Below(32)];
    }
    const Value values[3] = {{Type::kText, 0, 0, std::string_view(name, len)},
                             {Type::kInteger, static_cast<int64_t>(rng.Below(100000)), 0, {}},
                             {Type::kInteger, static_cast<int64_t>(i + 1), 0, {}}};
    record->clear();
    cofre::sqlite_record::Append(values, record);
  };
  std::string record;
  // Generating the input alone, timed to subtract it from the sort's figures.
  uint64_t bytes = 0;
  const auto gen_start = std::chrono::steady_clock::now();
  {
    cofre::bench::Rng rng(42);
    for (uint64_t i = 0; i < records; ++i) {
      make(rng, i, &record);
      bytes += record.size();
    }
  }
  const double gen_s = Seconds(gen_start);
  struct rusage gen_usage;
  getrusage(RUSAGE_SELF, &gen_usage);
  const double gen_cpu_s = gen_usage.ru_utime.tv_sec + gen_usage.ru_utime.tv_usec / 1e6 +
                           gen_usage.ru_stime.tv_sec + gen_usage.ru_stime.tv_usec / 1e6;

  cofre::bench::Rng rng(42);
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < records; ++i) {
    make(rng, i, &record);
    cofre::Status s = sorter.Add(record);
    if (!s.ok()) return Fail(s);
  }
  const double add_s = Seconds(start);
  const auto finish_start = std::chrono::steady_clock::now();
  cofre::Status s = sorter.Finish();
  if (!s.ok()) return Fail(s);
  const double finish_s = Seconds(finish_start);
  const auto read_start = std::chrono::steady_clock::now();
  std::string previous;
  uint64_t out = 0;
  std::string_view rec;
  while (true) {
    cofre::StatusOr<bool> more = sorter.Next(&rec);
    if (!more.ok()) return Fail(more.status());
    if (!*more) break;
    if (verify && out > 0 && order.Compare(previous, rec) > 0) {
      std::fprintf(stderr, "index_sort: output out of order at record %llu\n",
                   static_cast<unsigned long long>(out));
      return 1;
    }
    if (verify) previous.assign(rec);
    ++out;
  }
  const double read_s = Seconds(read_start);
  const double total = Seconds(start);
  if (out != records) {
    std::fprintf(stderr, "index_sort: %llu records out of %llu\n",
                 static_cast<unsigned long long>(out), static_cast<unsigned long long>(records));
    return 1;
  }
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  // Both the timing pass and the sort pass generate the input: subtract it once from the sort
  // pass's wall time and twice from the process's CPU time.
  const double sort_s = total - gen_s;
  const double cpu_s = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
                       usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6 - 2 * gen_cpu_s;
  std::printf(
      "records=%llu avg_bytes=%.1f budget=%zuMiB sort: %.2fs (cpu %.2fs) entries/s=%.0f MB/s=%.1f "
      "(add+spill=%.2fs finish=%.2fs read=%.2fs, minus input generation %.2fs) spilled=%.1fMB "
      "runs=%zu intermediate_merges=%zu peak_rss=%.1fMiB\n",
      static_cast<unsigned long long>(records), static_cast<double>(bytes) / records, budget_mib,
      sort_s, cpu_s, records / sort_s, bytes / sort_s / 1e6, add_s, finish_s, read_s, gen_s,
      sorter.spilled_bytes() / 1e6, sorter.spilled_runs(), sorter.intermediate_merges(),
      usage.ru_maxrss / 1024.0);
  return 0;
}
