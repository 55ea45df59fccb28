// cofre_bench_gen: creates the benchmark dataset or applies its change script.
//
//   cofre_bench_gen --out FILE --size BYTES [--seed N]
//   cofre_bench_gen --change FILE [--fraction 0.01] [--seed N]
//
// The first form writes a deterministic SQLite database (WAL mode) of about
// BYTES (see dataset_generate.h); the second touches about FRACTION of the
// rows of every table (see dataset_change.h). A summary goes to stderr.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dataset_change.h"
#include "dataset_generate.h"
#include "size_arg.h"

namespace cofre::bench {
namespace {

constexpr char kUsage[] =
    "usage: cofre_bench_gen --out FILE --size BYTES [--seed N] [--data uniform|varied]\n"
    "       cofre_bench_gen --change FILE [--fraction 0.01] [--seed N]\n"
    "BYTES may use K, M, G suffixes (binary multiples), e.g. 256M or 1G.\n";

[[noreturn]] void Usage(const std::string& problem) {
  if (!problem.empty()) std::fprintf(stderr, "error: %s\n", problem.c_str());
  std::fputs(kUsage, stderr);
  std::exit(2);
}

struct Args {
  std::string out;
  std::string change;
  int64_t size = 0;
  double fraction = 0.01;
  uint64_t seed = 1;
  DataShape shape = DataShape::kUniform;
};

Args ParseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string_view flag = argv[i];
    if (flag == "--help" || flag == "-h") Usage("");
    if (i + 1 >= argc) Usage("missing value after " + std::string(flag));
    const std::string value = argv[++i];
    if (flag == "--out") {
      args.out = value;
    } else if (flag == "--change") {
      args.change = value;
    } else if (flag == "--size") {
      const auto bytes = ParseByteCount(value);
      if (!bytes) Usage("--size must be a positive byte count, got " + value);
      args.size = *bytes;
    } else if (flag == "--fraction") {
      char* end = nullptr;
      args.fraction = std::strtod(value.c_str(), &end);
      if (*end != '\0' || !(args.fraction > 0 && args.fraction <= 1)) {
        Usage("--fraction must be in (0, 1], got " + value);
      }
    } else if (flag == "--data") {
      if (value != "uniform" && value != "varied") Usage("--data is uniform or varied");
      args.shape = value == "varied" ? DataShape::kVaried : DataShape::kUniform;
    } else if (flag == "--seed") {
      char* end = nullptr;
      args.seed = std::strtoull(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0') Usage("--seed must be an integer");
    } else {
      Usage("unknown flag " + std::string(flag));
    }
  }
  if (args.out.empty() == args.change.empty()) {
    Usage("give exactly one of --out or --change");
  }
  if (!args.out.empty() && args.size == 0) Usage("--out needs --size");
  return args;
}

int RunGenerate(const Args& args) {
  const GenerateStats stats = Generate(args.out, args.size, args.seed, args.shape);
  std::fprintf(stderr,
               "generated %s: %lld bytes (target %lld) in %.2f s "
               "(indexes %.2f s), %.1f MB/s\n",
               args.out.c_str(), static_cast<long long>(stats.file_bytes),
               static_cast<long long>(args.size), stats.seconds, stats.index_seconds,
               stats.file_bytes / 1e6 / stats.seconds);
  for (int t = 0; t < kTableCount; ++t) {
    std::fprintf(stderr, "  %-12s %lld rows\n", std::string(Tables()[t].name).c_str(),
                 static_cast<long long>(stats.rows[t]));
  }
  return 0;
}

int RunChange(const Args& args) {
  const ChangeStats stats = ApplyChange(args.change, args.fraction, args.seed);
  std::fprintf(stderr, "changed %s in %.2f s\n", args.change.c_str(), stats.seconds);
  for (int t = 0; t < kTableCount; ++t) {
    std::fprintf(
        stderr,
        "  %-12s %lld rows: %lld updated, %lld inserted, "
        "%lld deleted\n",
        std::string(Tables()[t].name).c_str(), static_cast<long long>(stats.rows_before[t]),
        static_cast<long long>(stats.updated[t]), static_cast<long long>(stats.inserted[t]),
        static_cast<long long>(stats.deleted[t]));
  }
  return 0;
}

}  // namespace
}  // namespace cofre::bench

int main(int argc, char** argv) {
  const cofre::bench::Args args = cofre::bench::ParseArgs(argc, argv);
  return args.out.empty() ? cofre::bench::RunChange(args) : cofre::bench::RunGenerate(args);
}
