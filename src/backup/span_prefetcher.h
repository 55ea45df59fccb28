// SpanPrefetcher: runs a SpanReader on a thread of its own and hands its rows to the caller
// through a bounded queue of blocks, so that reading a span's previous state (storage reads,
// decryption, decompression, the merge) overlaps with the caller's work (an incremental backup's
// SQLite scan of the same key range). Memory is bounded by the block size times the queue depth
// (plus the reader's own buffers), whatever the span's size.
//
// Rows come out exactly as SpanReader::Next() yields them, or, when the prefetcher is given a
// Transform, as that function rewrote each of them on the prefetcher's thread (a restore encodes
// its SQLite records there, off its loading thread). An error of the reader (opening it
// included) or of the transform comes out of Next() after the rows read before it, with
// out_of_order() as the reader reported it. Destroying the prefetcher stops the thread and waits
// for it. A block is handed over once its rows reach `block_bytes` (the last row included); the
// consumer hands the blocks it finished back to a BlockPool, from which the producer takes the
// blocks it fills: spans of any size are read through the same few buffers instead of allocating
// (and page-faulting in) one per block. Prefetchers of consecutive spans may share one pool.
// Thread-safety: the public methods are for one consumer thread; the views Next() returns are
// valid until the next call.
#ifndef COFRE_BACKUP_SPAN_PREFETCHER_H_
#define COFRE_BACKUP_SPAN_PREFETCHER_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "backup/span_reader.h"
#include "util/byte_buffer.h"

namespace cofre {

class SpanPrefetcher {
  struct Block;

 public:
  using Opener = std::function<StatusOr<std::unique_ptr<SpanReader>>()>;
  // Rewrites a row (`key`, `body` as SpanReader::Next() gives them) by appending it to `*out`,
  // which may hold earlier rows (it writes straight into a block); Next() then yields what it
  // appended as the body, and an empty key. On error, what it appended is discarded. Runs on the
  // prefetcher's thread; an error ends the rows there.
  using Transform =
      std::function<Status(std::string_view key, std::string_view body, ByteBuffer* out)>;

  // Emptied blocks, kept for reuse (at most `max_blocks` of them, none larger than twice the
  // block size). Thread-safe; shared by the prefetchers given it.
  class BlockPool {
   public:
    explicit BlockPool(size_t max_blocks) : max_blocks_(max_blocks) {}
    ~BlockPool();

   private:
    friend class SpanPrefetcher;
    std::mutex mu_;
    const size_t max_blocks_;
    std::vector<Block> blocks_;
  };

  // Starts a thread that calls `open` and then reads rows in blocks of about `block_bytes`,
  // keeping at most `max_blocks` ready blocks. `open` runs on that thread. Blocks are recycled
  // through `pool` (a pool of its own when null). Rows go through `transform` when it is set.
  // With `max_blocks` 0 the prefetcher opens its reader (which sends its files' first storage
  // requests), then holds until SetMaxBlocks raises the limit: a span opened ahead at the cost
  // of its reader's buffers, no block.
  SpanPrefetcher(Opener open, size_t block_bytes = 1 << 20, size_t max_blocks = 4,
                 std::shared_ptr<BlockPool> pool = nullptr, Transform transform = nullptr);
  ~SpanPrefetcher();
  SpanPrefetcher(const SpanPrefetcher&) = delete;
  SpanPrefetcher& operator=(const SpanPrefetcher&) = delete;

  // Sets how many ready blocks the producer may keep (see the constructor).
  void SetMaxBlocks(size_t max_blocks);
  // The next row: false at the end.
  StatusOr<bool> Next(std::string_view* key, std::string_view* body);
  // True when Next() failed because a file's keys were out of order (SpanReader).
  bool out_of_order() const { return out_of_order_; }

 private:
  struct Row {
    size_t offset;    // of the body in Block::bytes
    size_t size;      // of the body
    size_t key_size;  // the key is body[1, 1 + key_size)
  };
  struct Block {
    ByteBuffer bytes;
    std::vector<Row> rows;
  };

  void Produce(Opener open, Transform transform);
  // A block is reserved with this fraction of block_bytes_ beyond it, for the row that reaches
  // block_bytes_ (rows are written into the block before their size is known).
  static constexpr size_t kRowSlackDivisor = 4;

  // An empty block with room for block_bytes_ and the slack: a pooled one when there is one.
  Block TakeSpare();
  // Empties `block` and keeps it in the pool when there is room.
  void GiveBack(Block&& block);

  const size_t block_bytes_;

  std::mutex mu_;
  size_t max_blocks_;              // guarded by mu_
  std::condition_variable ready_;  // a block, or the end, is available
  std::condition_variable room_;   // the queue has room, or the consumer left
  std::deque<Block> queue_;
  std::shared_ptr<BlockPool> pool_;
  bool finished_ = false;  // the producer queued its last block
  Status final_status_;    // the producer's outcome, once finished_
  bool reader_out_of_order_ = false;
  bool stop_ = false;  // the consumer is gone

  Block current_;  // consumer side
  size_t next_row_ = 0;
  bool out_of_order_ = false;
  std::thread thread_;
};

}  // namespace cofre

#endif  // COFRE_BACKUP_SPAN_PREFETCHER_H_
