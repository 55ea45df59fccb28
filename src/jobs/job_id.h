// JobIdGenerator: 64-bit job ids, unique and time-ordered like CockroachDB's
// unique_rowid().
//
// Layout (as CockroachDB's GenerateUniqueInt): id = (ticks << 15) | node_id,
// where ticks is the wall time since 2015-01-01 00:00:00 UTC in units of 10
// microseconds and node_id occupies the low 15 bits (cofre is node 1). Ids are
// positive int64 values (SQL INT8) until about 2103.
//
// A generator never returns the same id twice and its ids strictly increase:
// when the clock stalls or goes back, the next id uses the last tick plus one,
// so ids run slightly ahead of the clock until it catches up. Separate
// generators do not coordinate: use one per process (Default() / NextJobId()).
// Ids from different processes sharing a node id can collide; the caller must
// insert them under a uniqueness constraint and, on a conflict, call
// AdvancePast() and retry.
//
// Thread-safety: Next() and AdvancePast() may be called from several threads
// at once (lock-free).
#ifndef COFRE_JOBS_JOB_ID_H_
#define COFRE_JOBS_JOB_ID_H_

#include <atomic>
#include <cstdint>
#include <functional>

namespace cofre {

class JobIdGenerator {
 public:
  // Returns the wall time in nanoseconds since the Unix epoch.
  using WallClock = std::function<int64_t()>;

  static constexpr int kNodeIdBits = 15;
  static constexpr int32_t kMaxNodeId = (1 << kNodeIdBits) - 1;
  // 2015-01-01 00:00:00 UTC in nanoseconds since the Unix epoch.
  static constexpr int64_t kEpochUnixNanos = 1420070400LL * 1000000000LL;
  static constexpr int64_t kTickNanos = 10 * 1000;

  // REQUIRES: 1 <= node_id <= kMaxNodeId. `clock` defaults to the system's
  // real-time clock.
  explicit JobIdGenerator(int32_t node_id = 1, WallClock clock = SystemWallClockNanos);
  JobIdGenerator(const JobIdGenerator&) = delete;
  JobIdGenerator& operator=(const JobIdGenerator&) = delete;

  // Returns a new id, greater than every id this generator returned or was
  // advanced past.
  int64_t Next();

  // Makes later ids greater than `id` (e.g. the largest id already stored, or
  // one that collided). No effect when the generator is already past it.
  void AdvancePast(int64_t id);

  // The process-wide generator for node 1 on the system clock.
  static JobIdGenerator& Default();

  // The wall time (ns since the Unix epoch, 10 us resolution) at which `id` was
  // made; for ids made while the clock lagged, slightly later than the real
  // time.
  static int64_t WallTimeNanosOf(int64_t id);
  // The node id stored in `id`.
  static int32_t NodeIdOf(int64_t id);

  // clock_gettime(CLOCK_REALTIME) in nanoseconds.
  static int64_t SystemWallClockNanos();

 private:
  const int32_t node_id_;
  const WallClock clock_;
  std::atomic<uint64_t> last_ticks_{0};
};

// JobIdGenerator::Default().Next().
int64_t NextJobId();

}  // namespace cofre

#endif  // COFRE_JOBS_JOB_ID_H_
