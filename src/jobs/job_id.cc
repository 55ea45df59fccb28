#include "jobs/job_id.h"

#include <time.h>

#include <algorithm>
#include <cassert>
#include <utility>

namespace cofre {

JobIdGenerator::JobIdGenerator(int32_t node_id, WallClock clock)
    : node_id_(node_id & kMaxNodeId), clock_(std::move(clock)) {
  assert(node_id >= 1 && node_id <= kMaxNodeId);
}

int64_t JobIdGenerator::Next() {
  const int64_t since_epoch = std::max<int64_t>(clock_() - kEpochUnixNanos, 0);
  const uint64_t now_ticks = static_cast<uint64_t>(since_epoch / kTickNanos);
  uint64_t last = last_ticks_.load(std::memory_order_relaxed);
  uint64_t next;
  do {
    next = std::max(now_ticks, last + 1);
  } while (!last_ticks_.compare_exchange_weak(last, next, std::memory_order_relaxed));
  return static_cast<int64_t>((next << kNodeIdBits) | static_cast<uint64_t>(node_id_));
}

void JobIdGenerator::AdvancePast(int64_t id) {
  if (id <= 0) return;
  const uint64_t ticks = static_cast<uint64_t>(id) >> kNodeIdBits;
  uint64_t last = last_ticks_.load(std::memory_order_relaxed);
  while (last < ticks &&
         !last_ticks_.compare_exchange_weak(last, ticks, std::memory_order_relaxed)) {
  }
}

JobIdGenerator& JobIdGenerator::Default() {
  static JobIdGenerator* generator = new JobIdGenerator(1);
  return *generator;
}

int64_t JobIdGenerator::WallTimeNanosOf(int64_t id) {
  return (static_cast<int64_t>(static_cast<uint64_t>(id) >> kNodeIdBits)) * kTickNanos +
         kEpochUnixNanos;
}

int32_t JobIdGenerator::NodeIdOf(int64_t id) {
  return static_cast<int32_t>(static_cast<uint64_t>(id) & kMaxNodeId);
}

int64_t JobIdGenerator::SystemWallClockNanos() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

int64_t NextJobId() { return JobIdGenerator::Default().Next(); }

}  // namespace cofre
