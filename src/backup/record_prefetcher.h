// RecordPrefetcher: produces the records of a sequence of units (a unit is typically one data
// file, read through DataFileReader) on a background thread - fetching, verifying, decrypting,
// decompressing and decoding them - and hands them to one consumer thread in decoded batches, so
// that the consumer (restore's SQLite inserts) only binds values.
//
// Units run in the order given, each once. Batches never span units; the last batch of a unit
// has unit_end set and is delivered only after the unit finished successfully (for a file: its
// end record, size and checksum were verified). Memory is bounded:
// at most `max_batches` batches of about `batch_bytes` record bytes (plus their decoded value
// references) exist at once, whatever the size of the files. The first error stops reading and
// is returned by Next() after the batches read before it.
// Thread-safety: Next() and the destructor from one consumer thread; what the units use must
// stay valid (and usable from another thread) until the destructor, which stops the background
// thread and waits for it.
#ifndef COFRE_BACKUP_RECORD_PREFETCHER_H_
#define COFRE_BACKUP_RECORD_PREFETCHER_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "backup/row_codec.h"
#include "backup/stored_file.h"
#include "proto/backup_manifest.pb.h"

namespace cofre {

// Decoded records of one unit; values point into the batch's own buffer.
class RecordBatch {
 public:
  struct Entry {
    uint8_t kind = 0;  // data_file_format::kRecordRow or kRecordTombstone
    uint32_t key_count = 0;
    uint32_t value_count = 0;  // 0 for tombstones
    size_t first = 0;          // index of the first key value in values_
  };

  size_t unit_index() const { return unit_index_; }
  bool unit_end() const { return unit_end_; }
  size_t size() const { return entries_.size(); }
  const Entry& entry(size_t i) const { return entries_[i]; }
  const rowcodec::ValueRef* key_values(size_t i) const { return &values_[entries_[i].first]; }
  const rowcodec::ValueRef* values(size_t i) const {
    return &values_[entries_[i].first + entries_[i].key_count];
  }

 private:
  friend class RecordPrefetcher;
  void Clear(size_t unit_index, size_t capacity);

  size_t unit_index_ = 0;
  bool unit_end_ = false;
  std::string bytes_;  // record bodies; never reallocated while values_ point into it
  std::vector<Entry> entries_;
  std::vector<rowcodec::ValueRef> values_;
};

class RecordPrefetcher {
 public:
  // Receives one record body (kind, key, values as a data file stores it), valid only during
  // the call; an error stops the unit.
  using BodySink = std::function<Status(std::string_view body)>;
  // Emits the record bodies of one unit, in order, from the background thread. `name` is what
  // a corrupt record's error names (the file's path).
  struct Unit {
    std::string name;
    std::function<Status(const BodySink& emit)> run;
  };
  // A unit that reads the records of data file `file` (every check of DataFileReader applies).
  // `storage`, `file` and `crypto` must outlive the prefetcher.
  static Unit FileUnit(ExternalStorage& storage, const proto::DataFile& file,
                       const ChainCrypto& crypto);
  struct Options {
    size_t batch_bytes = 256 << 10;  // record bytes per batch (a bigger record gets its own)
    size_t max_batches = 6;          // batches in existence: queued, being filled, being used
  };

  // Starts running `units` in order on a new thread. ResourceExhausted when no thread can be
  // started.
  static StatusOr<std::unique_ptr<RecordPrefetcher>> Start(std::vector<Unit> units,
                                                           Options options);
  static StatusOr<std::unique_ptr<RecordPrefetcher>> Start(std::vector<Unit> units) {
    return Start(std::move(units), Options());
  }
  // Stops reading (if still running) and waits for the thread.
  ~RecordPrefetcher();
  RecordPrefetcher(const RecordPrefetcher&) = delete;
  RecordPrefetcher& operator=(const RecordPrefetcher&) = delete;

  // The next batch, valid until the next call; nullptr once every unit finished. An error
  // (DataLoss naming the file, storage errors) once a unit failed.
  StatusOr<const RecordBatch*> Next();

 private:
  RecordPrefetcher(std::vector<Unit> units, Options options)
      : units_(std::move(units)), options_(options) {}
  void Run();
  Status RunUnit(size_t index);
  // Waits for a free batch; nullptr when stopped.
  std::unique_ptr<RecordBatch> TakeFree();
  // Queues a filled batch; false when stopped.
  bool Publish(std::unique_ptr<RecordBatch> batch);

  const std::vector<Unit> units_;
  const Options options_;

  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::unique_ptr<RecordBatch>> ready_;  // filled, in order
  std::vector<std::unique_ptr<RecordBatch>> free_;
  size_t allocated_ = 0;
  bool stop_ = false;
  bool finished_ = false;
  Status error_;
  std::unique_ptr<RecordBatch> current_;  // handed to the consumer
  std::thread thread_;
};

}  // namespace cofre

#endif  // COFRE_BACKUP_RECORD_PREFETCHER_H_
