// ExternalSorter: sorts byte strings (SQLite index records, or sort keys) by a SortOrder with
// bounded memory, for building index b-trees without SQLite.
//
// Records are appended to one buffer of about `memory_budget` bytes: record bytes from its front,
// 16-byte entries (a SortPrefix cache, offset and length) from its back. When the two meet, the
// entries are sorted (a radix sort of the prefixes, then the full comparison only among equal
// prefixes) and the records are written, in order, as a run to one temporary file in `temp_dir`,
// created on the first spill (O_TMPFILE, or mkstemp then unlink: it never has a name for long and
// disappears with the sorter, whatever happens). Finish() merges the runs with a heap, each run
// read through its own buffer; the buffers share the budget, and when there are more runs than the
// budget allows buffers for (each at least 16 KiB), intermediate passes merge the oldest runs into
// longer ones first (their disk space is released as they are consumed). Input that fits the budget
// is sorted in memory and never touches the disk.
//
// Memory: about `memory_budget` (at least 64 KiB), plus, until Finish(), a sorting scratch of 16
// bytes per record a full buffer holds, plus, only for a record larger than its share of the
// budget, that record's size. Equal records come out in no particular order.
// Errors: every failure is a Status naming the temporary directory; a full disk is
// ResourceExhausted ("disk full while ..."); errors are sticky. The sorter may be destroyed at any
// point, leaving nothing on disk.
// Thread-safety: a single-threaded object.
#ifndef COFRE_ENGINE_EXTERNAL_SORTER_H_
#define COFRE_ENGINE_EXTERNAL_SORTER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/index_record_order.h"
#include "util/file_util.h"
#include "util/status.h"

namespace cofre {

class ExternalSorter {
 public:
  // Sorts by `order` (not owned; must outlive the sorter) within about `memory_budget` bytes,
  // spilling to an unlinked temporary file in `temp_dir`.
  ExternalSorter(const SortOrder* order, size_t memory_budget, std::string temp_dir);
  ~ExternalSorter();
  ExternalSorter(const ExternalSorter&) = delete;
  ExternalSorter& operator=(const ExternalSorter&) = delete;

  // Copies `record` into the sorter. May spill (and fail with the spill's error).
  // REQUIRES: Finish() not called yet.
  Status Add(std::string_view record);

  // Ends the input: spills the last records when others were spilled and runs the intermediate
  // merge passes, if any. After it, Next() yields the records in order.
  Status Finish();

  // Sets `*record` to the next record in order (valid until the next call to Next() or the
  // sorter's destruction) and returns true, or returns false after the last one.
  // REQUIRES: Finish() returned OK.
  StatusOr<bool> Next(std::string_view* record);

  // Bytes written to the temporary file so far (runs and intermediate passes).
  uint64_t spilled_bytes() const { return spilled_bytes_; }
  // Sorted runs written from the input (0 when everything fit in memory).
  size_t spilled_runs() const { return spilled_runs_; }
  // Intermediate merges (each merges some runs into one) before the final merge.
  size_t intermediate_merges() const { return intermediate_merges_; }

 private:
  struct Entry {
    uint64_t prefix;
    uint32_t offset;
    uint32_t size;
  };
  struct Run {
    uint64_t offset;
    uint64_t bytes;
  };
  struct RunReader;
  class Merger;

  Entry* entries_begin() const;
  Status EnsureTempFile();
  // Sorts the buffered entries by prefix, then by the order.
  void SortEntries();
  // Sorts `n` entries by prefix alone (least significant byte first, a pass per byte the
  // prefixes do not all share), through `scratch`, room for n entries.
  static void RadixSortByPrefix(Entry* entries, size_t n, Entry* scratch);
  // Sorts the buffered entries and writes them as one run.
  Status SpillBuffer();
  // Writes one record that is larger than the buffer as a run of its own.
  Status SpillSingle(std::string_view record);
  // Buffered appends to the temporary file.
  Status AppendRecord(std::string_view record);
  Status FlushWrites();
  Status MergeOldestRuns(size_t count);
  // Records an error and returns it (errors are sticky).
  Status Fail(Status s);
  std::string Display() const;

  const SortOrder* order_;
  const bool bytewise_;  // order_->bytewise(), asked once
  size_t budget_;
  size_t write_buffer_size_;
  size_t max_fan_in_;
  std::string temp_dir_;
  Status status_;
  bool finished_ = false;

  // Input buffer: record bytes from the front, entries from the back.
  char* block_ = nullptr;
  size_t block_cap_ = 0;
  size_t arena_used_ = 0;
  size_t entries_ = 0;
  size_t next_entry_ = 0;  // Next() position when sorted in memory.
  // SortEntries' radix scratch, kept from one spill to the next and freed by Finish().
  std::unique_ptr<Entry[]> scratch_;
  size_t scratch_capacity_ = 0;

  ScopedFd fd_;
  uint64_t file_size_ = 0;
  std::unique_ptr<char[]> write_buf_;
  size_t write_len_ = 0;
  std::vector<Run> runs_;
  uint64_t spilled_bytes_ = 0;
  size_t spilled_runs_ = 0;
  size_t intermediate_merges_ = 0;

  std::unique_ptr<Merger> merger_;  // The final merge, when records were spilled.
};

}  // namespace cofre

#endif  // COFRE_ENGINE_EXTERNAL_SORTER_H_
