// FaultInjectingStorage: wraps any ExternalStorage and injects failures by
// policy, for tests of retry, cleanup and corruption handling in the layers
// above storage.
//
// Every operation is counted by kind (StorageOp). A FaultRule makes matching
// operations fail with a chosen Status: the nth one, every nth one, or all of
// them (optionally only on paths containing a substring, optionally at most k
// times). By default the failing operation has no effect; with `after_effect`
// it takes effect first and then reports the error (a lost acknowledgement:
// e.g. Close publishes the object yet returns the error).
//
// A writer that saw an injected failure is failed for good (sticky) and
// abandons its underlying writer, so nothing is published. Read failures are
// not sticky: a failed Read consumes nothing (unless `after_effect`, which
// consumes and loses the bytes).
//
// A ReadCorruption makes readers of matching paths see truncated data (Size()
// and List report the truncated size too) and/or flipped bits at chosen
// offsets, without touching the stored object.
//
// Thread-safety: all methods may be called from several threads at once;
// readers and writers are single-threaded objects. A wrapped storage passed by
// pointer must outlive this object and everything it returns; one passed by
// unique_ptr is owned.
#ifndef COFRE_STORAGE_FAULT_INJECTING_STORAGE_H_
#define COFRE_STORAGE_FAULT_INJECTING_STORAGE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/external_storage.h"

namespace cofre {

// Kinds of storage operations. kRead covers both Read and ReadAt.
enum class StorageOp : int {
  kNewWriter = 0,
  kAppend = 1,
  kClose = 2,
  kNewReader = 3,
  kRead = 4,
  kSize = 5,
  kList = 6,
  kDelete = 7,
};
inline constexpr int kNumStorageOps = 8;

std::string_view StorageOpName(StorageOp op);

struct FaultRule {
  StorageOp op = StorageOp::kAppend;
  // Which of the operations this rule matches fail, counting from 1: exactly
  // the `nth`, or every `every`th (every, 2*every, ...). With both 0, every
  // matching operation fails.
  uint64_t nth = 0;
  uint64_t every = 0;
  // Stop failing after this many injected failures (0: no limit).
  uint64_t max_failures = 0;
  // Only operations whose object path (for List: the prefix) contains this;
  // empty matches all.
  std::string path_contains;
  // The injected error. REQUIRES: not OK.
  Status error = UnavailableError("injected storage failure");
  // Perform the operation, then report `error`.
  bool after_effect = false;
};

struct ReadCorruption {
  // Readers of paths containing this (empty: all paths) are affected.
  std::string path_contains;
  // Readers see at most this many bytes.
  std::optional<uint64_t> truncate_to;
  // Byte offsets whose value is XORed with `flip_mask` as it is read.
  std::vector<uint64_t> flip_offsets;
  uint8_t flip_mask = 0x01;
};

class FaultInjectingStorage : public ExternalStorage {
 public:
  // Wraps `base`, which is not owned. REQUIRES: `base` outlives this object and
  // its readers and writers.
  explicit FaultInjectingStorage(ExternalStorage* base);
  // Wraps and owns `base`.
  explicit FaultInjectingStorage(std::unique_ptr<ExternalStorage> base);

  // Adds a rule; rules are checked in the order added and the first that fires
  // wins.
  void AddRule(FaultRule rule);
  // Adds a corruption for readers opened from now on.
  void AddCorruption(ReadCorruption corruption);
  // Removes all rules and corruptions (counters are kept).
  void ClearFaults();
  // Operations of kind `op` attempted so far (including failed ones).
  uint64_t OpCount(StorageOp op) const;
  // Failures injected so far, over all rules.
  uint64_t InjectedFailureCount() const;

  std::string RedactedUri() const override;
  StatusOr<std::unique_ptr<ByteSink>> NewWriter(const std::string& path) override;
  using ExternalStorage::NewReader;
  StatusOr<std::unique_ptr<RandomAccessSource>> NewReader(const std::string& path,
                                                          const ReaderOptions& options) override;
  StatusOr<uint64_t> Size(const std::string& path) override;
  Status List(const std::string& prefix, const std::string& delimiter,
              const std::function<Status(const ListEntry&)>& fn) override;
  Status Delete(const std::string& path) override;
  // Forwarded to the wrapped storage (no faults are injected there).
  Status RemoveLeftovers(const std::string& dir) override;
  Status RemoveInterruptedWrites(const std::string& path) override;

  // Implementation details shared with the readers and writers this storage
  // returns. What a failing operation must do.
  struct Injection {
    Status error;
    bool after_effect = false;
  };
  // Rules, corruptions and counters (defined in the .cc file).
  class State;

 private:
  std::unique_ptr<ExternalStorage> owned_;
  ExternalStorage* const base_;
  const std::shared_ptr<State> state_;
};

}  // namespace cofre

#endif  // COFRE_STORAGE_FAULT_INJECTING_STORAGE_H_
