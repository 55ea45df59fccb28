#include "util/retry.h"

#include <algorithm>
#include <optional>
#include <random>
#include <string>
#include <thread>

namespace cofre {

Status RetrySettings::Validate() const {
  if (max_attempts < 1) {
    return InvalidArgumentError("retry max_attempts must be at least 1, got " +
                                std::to_string(max_attempts));
  }
  if (initial_backoff.count() < 0 || max_backoff.count() < 0 || total_budget.count() < 0) {
    return InvalidArgumentError("retry backoff durations and budget must not be negative");
  }
  return Status::OK();
}

RetryBackoff::RetryBackoff(const RetrySettings& settings, uint64_t seed)
    : settings_(settings), rng_(seed) {}

std::chrono::milliseconds RetryBackoff::Cap(int retry) const {
  int64_t cap = settings_.initial_backoff.count();
  const int64_t max = settings_.max_backoff.count();
  for (int i = 1; i < retry && cap < max; ++i) cap *= 2;
  return std::chrono::milliseconds(std::min(cap, max));
}

std::chrono::milliseconds RetryBackoff::Next(int retry) {
  int64_t cap = Cap(retry).count();
  if (cap <= 0) return std::chrono::milliseconds(0);
  std::uniform_int_distribution<int64_t> dist(0, cap);
  return std::chrono::milliseconds(dist(rng_));
}

Status Retry(const RetrySettings& settings, std::string_view what,
             const std::function<Status(int attempt)>& attempt) {
  RETURN_IF_ERROR(settings.Validate());
  const auto start = std::chrono::steady_clock::now();
  // Made at the first retry: most calls succeed at once, and a restore from S3 makes one call
  // per chunk it reads, where seeding a generator from std::random_device each time took about
  // 1% of the restore's CPU.
  std::optional<RetryBackoff> backoff;
  for (int n = 1;; ++n) {
    Status s = attempt(n);
    if (s.ok() || !IsUnavailable(s)) return s;
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    if (!backoff) backoff.emplace(settings, std::random_device{}());
    std::chrono::milliseconds sleep = backoff->Next(n);
    if (n >= settings.max_attempts || elapsed + sleep > settings.total_budget) {
      return UnavailableError(std::string(what) + " failed after " + std::to_string(n) +
                              (n == 1 ? " attempt" : " attempts") + " over " +
                              std::to_string(elapsed.count()) + " ms: " + s.message())
          .WithHint(s.hint());
    }
    std::this_thread::sleep_for(sleep);
  }
}

}  // namespace cofre
