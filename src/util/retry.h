// Retry: runs an operation again after Unavailable errors, with exponential backoff and full
// jitter (sleep a uniformly random time in [0, min(max_backoff, initial_backoff * 2^n))).
//
// Only Unavailable is retried; every other code (and OK) ends the loop at once. The loop stops
// after `max_attempts` attempts or when the next sleep would pass `total_budget` since the first
// attempt; the last error is then returned, annotated with the attempt count.
// Thread-safety: RetrySettings is a value; RetryBackoff is single-threaded; Retry() is reentrant.
#ifndef COFRE_UTIL_RETRY_H_
#define COFRE_UTIL_RETRY_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <random>
#include <string_view>

#include "util/status.h"

namespace cofre {

struct RetrySettings {
  int max_attempts = 8;                             // including the first attempt
  std::chrono::milliseconds initial_backoff{100};   // cap of the first sleep
  std::chrono::milliseconds max_backoff{10'000};    // cap of any one sleep
  std::chrono::milliseconds total_budget{120'000};  // from first attempt to giving up

  // InvalidArgument when a field is out of range (attempts < 1, negative durations).
  Status Validate() const;
};

// Computes the successive sleeps of one retry loop.
class RetryBackoff {
 public:
  explicit RetryBackoff(const RetrySettings& settings, uint64_t seed);
  // The sleep before retry number `retry` (1 for the first retry): uniform in [0, cap], where
  // cap = min(max_backoff, initial_backoff * 2^(retry-1)).
  std::chrono::milliseconds Next(int retry);
  // The cap used by Next(retry), for tests and messages.
  std::chrono::milliseconds Cap(int retry) const;

 private:
  RetrySettings settings_;
  std::mt19937_64 rng_;
};

// Runs `attempt` (given the 1-based attempt number) until it returns anything but Unavailable,
// or the settings' limits are reached. `what` names the operation in the give-up message.
Status Retry(const RetrySettings& settings, std::string_view what,
             const std::function<Status(int attempt)>& attempt);

}  // namespace cofre

#endif  // COFRE_UTIL_RETRY_H_
