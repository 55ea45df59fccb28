#include "backup/span_prefetcher.h"

#include "util/thread_name.h"

namespace cofre {

SpanPrefetcher::BlockPool::~BlockPool() = default;

SpanPrefetcher::SpanPrefetcher(Opener open, size_t block_bytes, size_t max_blocks,
                               std::shared_ptr<BlockPool> pool, Transform transform)
    : block_bytes_(block_bytes),
      max_blocks_(max_blocks),
      pool_(pool ? std::move(pool) : std::make_shared<BlockPool>(2)) {
  thread_ = std::thread([this, open = std::move(open), transform = std::move(transform)]() mutable {
    Produce(std::move(open), std::move(transform));
  });
}

SpanPrefetcher::~SpanPrefetcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  room_.notify_all();
  thread_.join();
  // The next span's prefetcher (when it shares the pool) refills these.
  for (Block& block : queue_) GiveBack(std::move(block));
  GiveBack(std::move(current_));
}

void SpanPrefetcher::SetMaxBlocks(size_t max_blocks) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    max_blocks_ = max_blocks;
  }
  room_.notify_all();
}

SpanPrefetcher::Block SpanPrefetcher::TakeSpare() {
  Block block;
  {
    std::lock_guard<std::mutex> lock(pool_->mu_);
    if (!pool_->blocks_.empty()) {
      block = std::move(pool_->blocks_.back());
      pool_->blocks_.pop_back();
    }
  }
  // The row that reaches block_bytes_ fits without growing the buffer, up to the slack.
  block.bytes.reserve(block_bytes_ + block_bytes_ / kRowSlackDivisor);
  return block;
}

void SpanPrefetcher::GiveBack(Block&& block) {
  // A block a large row made outgrow the block size is freed: the pool's memory stays bounded.
  if (block.bytes.capacity() > 2 * block_bytes_) return;
  block.bytes.clear();
  block.rows.clear();
  std::lock_guard<std::mutex> lock(pool_->mu_);
  if (pool_->blocks_.size() < pool_->max_blocks_) pool_->blocks_.push_back(std::move(block));
}

void SpanPrefetcher::Produce(Opener open, Transform transform) {
  NameThisThread("cofre-span");
  Status status;
  bool out_of_order = false;
  // Hands a block over; false when the consumer is gone.
  auto push = [this](Block block) {
    std::unique_lock<std::mutex> lock(mu_);
    room_.wait(lock, [this] { return stop_ || queue_.size() < max_blocks_; });
    if (stop_) return false;
    queue_.push_back(std::move(block));
    lock.unlock();
    ready_.notify_one();
    return true;
  };
  auto reader = open();
  {
    // Opened ahead: hold, the files' first requests sent, until this span is the one loading.
    std::unique_lock<std::mutex> lock(mu_);
    room_.wait(lock, [this] { return stop_ || max_blocks_ > 0; });
  }
  if (!reader.ok()) {
    status = reader.status();
  } else {
    Block block = TakeSpare();
    std::string_view key, body;
    bool consumer_left = false;
    while (true) {
      auto more = (*reader)->Next(&key, &body);
      if (!more.ok()) {
        status = more.status();
        out_of_order = (*reader)->out_of_order();
        break;
      }
      if (!*more) break;
      const size_t offset = block.bytes.size();
      size_t key_size = key.size();
      if (transform) {
        // Written straight into the block: the transform's output is not copied again.
        status = transform(key, body, &block.bytes);
        if (!status.ok()) {
          block.bytes.Truncate(offset);
          break;
        }
        key_size = 0;
      } else {
        block.bytes.Append(body);
      }
      block.rows.push_back(Row{offset, block.bytes.size() - offset, key_size});
      // Handed over once it holds block_bytes_, the row that reached it included.
      if (block.bytes.size() >= block_bytes_) {
        if (!push(std::move(block))) {
          consumer_left = true;
          break;
        }
        block = TakeSpare();
      }
    }
    if (!consumer_left && !block.rows.empty()) push(std::move(block));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
    final_status_ = std::move(status);
    reader_out_of_order_ = out_of_order;
  }
  ready_.notify_one();
}

StatusOr<bool> SpanPrefetcher::Next(std::string_view* key, std::string_view* body) {
  while (next_row_ == current_.rows.size()) {
    std::unique_lock<std::mutex> lock(mu_);
    ready_.wait(lock, [this] { return !queue_.empty() || finished_; });
    if (queue_.empty()) {
      out_of_order_ = reader_out_of_order_;
      if (!final_status_.ok()) return final_status_;
      return false;
    }
    GiveBack(std::move(current_));
    current_ = std::move(queue_.front());
    queue_.pop_front();
    next_row_ = 0;
    lock.unlock();
    room_.notify_one();
  }
  const Row& row = current_.rows[next_row_++];
  *body = current_.bytes.view().substr(row.offset, row.size);
  *key = row.key_size == 0 ? std::string_view() : body->substr(1, row.key_size);
  return true;
}

}  // namespace cofre
