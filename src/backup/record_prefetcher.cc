#include "backup/record_prefetcher.h"

#include <system_error>

#include "backup/data_file_format.h"
#include "backup/data_file_reader.h"
#include "util/thread_name.h"

namespace cofre {

void RecordBatch::Clear(size_t unit_index, size_t capacity) {
  unit_index_ = unit_index;
  unit_end_ = false;
  entries_.clear();
  values_.clear();
  bytes_.clear();
  // A batch that once held a huge record gives that memory back.
  if (bytes_.capacity() > 4 * capacity) bytes_.shrink_to_fit();
  bytes_.reserve(capacity);
}

RecordPrefetcher::Unit RecordPrefetcher::FileUnit(ExternalStorage& storage,
                                                  const proto::DataFile& file,
                                                  const ChainCrypto& crypto) {
  return Unit{file.path(), [&storage, &file, &crypto](const BodySink& emit) -> Status {
                ASSIGN_OR_RETURN(auto reader, DataFileReader::Open(storage, file, crypto));
                std::string_view body;
                while (true) {
                  ASSIGN_OR_RETURN(bool more, reader->NextBody(&body));
                  if (!more) return Status::OK();
                  RETURN_IF_ERROR(emit(body));
                }
              }};
}

StatusOr<std::unique_ptr<RecordPrefetcher>> RecordPrefetcher::Start(std::vector<Unit> units,
                                                                    Options options) {
  if (options.max_batches < 2) options.max_batches = 2;
  std::unique_ptr<RecordPrefetcher> p(new RecordPrefetcher(std::move(units), options));
  try {
    p->thread_ = std::thread([raw = p.get()] { raw->Run(); });
  } catch (const std::system_error& e) {
    return ResourceExhaustedError(std::string("cannot start a thread to read backup files: ") +
                                  e.what());
  }
  return p;
}

RecordPrefetcher::~RecordPrefetcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RecordPrefetcher::Run() {
  NameThisThread("cofre-records");
  Status st;
  for (size_t i = 0; i < units_.size() && st.ok(); ++i) st = RunUnit(i);
  {
    std::lock_guard<std::mutex> lock(mu_);
    finished_ = true;
    error_ = std::move(st);
  }
  changed_.notify_all();
}

std::unique_ptr<RecordBatch> RecordPrefetcher::TakeFree() {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return stop_ || !free_.empty() || allocated_ < options_.max_batches; });
  if (stop_) return nullptr;
  if (!free_.empty()) {
    auto batch = std::move(free_.back());
    free_.pop_back();
    return batch;
  }
  ++allocated_;
  return std::make_unique<RecordBatch>();
}

bool RecordPrefetcher::Publish(std::unique_ptr<RecordBatch> batch) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return false;
    ready_.push_back(std::move(batch));
  }
  changed_.notify_all();
  return true;
}

Status RecordPrefetcher::RunUnit(size_t index) {
  const Unit& unit = units_[index];
  const size_t capacity = options_.batch_bytes;
  auto cancelled = [] { return CancelledError("restore stopped reading backup files"); };
  std::unique_ptr<RecordBatch> batch = TakeFree();
  if (!batch) return cancelled();
  batch->Clear(index, capacity);
  rowcodec::Record rec;
  Status st = unit.run([&](std::string_view body) -> Status {
    if (batch->bytes_.size() + body.size() > batch->bytes_.capacity() && batch->size() > 0) {
      if (!Publish(std::move(batch))) return cancelled();
      batch = TakeFree();
      if (!batch) return cancelled();
      batch->Clear(index, capacity);
    }
    // Decoded values point into bytes_, which has room for this body (no reallocation).
    if (body.size() > batch->bytes_.capacity()) batch->bytes_.reserve(body.size());
    size_t start = batch->bytes_.size();
    batch->bytes_.append(body);
    Status st = rowcodec::DecodeRecord(std::string_view(batch->bytes_).substr(start), &rec);
    if (!st.ok()) return DataLossError("backup file " + unit.name + " is corrupt: " + st.message());
    if (rec.kind == data_file_format::kRecordEnd) {
      return DataLossError("backup file " + unit.name + " is corrupt: an end record too early");
    }
    RecordBatch::Entry e;
    e.kind = rec.kind;
    e.key_count = static_cast<uint32_t>(rec.key_values.size());
    e.value_count = static_cast<uint32_t>(rec.values.size());
    e.first = batch->values_.size();
    batch->values_.insert(batch->values_.end(), rec.key_values.begin(), rec.key_values.end());
    batch->values_.insert(batch->values_.end(), rec.values.begin(), rec.values.end());
    batch->entries_.push_back(e);
    return Status::OK();
  });
  RETURN_IF_ERROR(st);
  batch->unit_end_ = true;
  if (!Publish(std::move(batch))) return cancelled();
  return Status::OK();
}

StatusOr<const RecordBatch*> RecordPrefetcher::Next() {
  std::unique_lock<std::mutex> lock(mu_);
  if (current_) {
    free_.push_back(std::move(current_));
    changed_.notify_all();
  }
  changed_.wait(lock, [&] { return !ready_.empty() || finished_; });
  if (!ready_.empty()) {
    current_ = std::move(ready_.front());
    ready_.pop_front();
    return static_cast<const RecordBatch*>(current_.get());
  }
  if (!error_.ok()) return error_;
  return static_cast<const RecordBatch*>(nullptr);
}

}  // namespace cofre
