#include "storage/memory_storage.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "storage/object_path.h"

namespace cofre {
namespace {

// Accumulates bytes and publishes them into the map on Close().
class MemoryWriter : public ByteSink {
 public:
  MemoryWriter(std::shared_ptr<MemoryStorage::State> state, std::string path, std::string display)
      : state_(std::move(state)), path_(std::move(path)), display_(std::move(display)) {
    std::lock_guard<std::mutex> lock(state_->mu);
    ++state_->open_writers;
  }

  ~MemoryWriter() override {
    if (!closed_) {
      std::lock_guard<std::mutex> lock(state_->mu);
      --state_->open_writers;
    }
  }

  Status Append(std::string_view data) override {
    if (closed_) return FailedPreconditionError("append to " + display_ + " after Close()");
    data_.append(data);
    appended_ += data.size();
    return Status::OK();
  }

  Status Close() override {
    if (closed_) return FailedPreconditionError("writer for " + display_ + " closed twice");
    closed_ = true;
    auto object = std::make_shared<const std::string>(std::move(data_));
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->objects[path_] = std::move(object);
    --state_->open_writers;
    return Status::OK();
  }

  uint64_t BytesAppended() const override { return appended_; }

 private:
  std::shared_ptr<MemoryStorage::State> state_;
  const std::string path_;
  const std::string display_;
  std::string data_;
  uint64_t appended_ = 0;
  bool closed_ = false;
};

// Reads a snapshot of one object.
class MemoryReader : public RandomAccessSource {
 public:
  explicit MemoryReader(std::shared_ptr<const std::string> data) : data_(std::move(data)) {}

  uint64_t Size() const override { return data_->size(); }

  StatusOr<size_t> Read(char* buf, size_t n) override {
    ASSIGN_OR_RETURN(size_t k, ReadAt(pos_, buf, n));
    pos_ += k;
    return k;
  }

  StatusOr<size_t> ReadAt(uint64_t offset, char* buf, size_t n) override {
    if (offset >= data_->size()) return size_t{0};
    size_t k = std::min<uint64_t>(n, data_->size() - offset);
    std::memcpy(buf, data_->data() + offset, k);
    return k;
  }

 private:
  std::shared_ptr<const std::string> data_;
  uint64_t pos_ = 0;
};

}  // namespace

MemoryStorage::MemoryStorage(std::string uri)
    : uri_(std::move(uri)), state_(std::make_shared<State>()) {}

StatusOr<std::unique_ptr<ByteSink>> MemoryStorage::NewWriter(const std::string& path) {
  RETURN_IF_ERROR(ValidateObjectPath(path, uri_));
  return std::unique_ptr<ByteSink>(new MemoryWriter(state_, path, DescribeObject(path, uri_)));
}

// The size is known however options.expected_size is set: looking it up costs nothing.
StatusOr<std::unique_ptr<RandomAccessSource>> MemoryStorage::NewReader(
    const std::string& path, const ReaderOptions& /*options*/) {
  RETURN_IF_ERROR(ValidateObjectPath(path, uri_));
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->objects.find(path);
  if (it == state_->objects.end()) {
    return NotFoundError(DescribeObject(path, uri_) + " does not exist");
  }
  return std::unique_ptr<RandomAccessSource>(new MemoryReader(it->second));
}

StatusOr<uint64_t> MemoryStorage::Size(const std::string& path) {
  RETURN_IF_ERROR(ValidateObjectPath(path, uri_));
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->objects.find(path);
  if (it == state_->objects.end()) {
    return NotFoundError(DescribeObject(path, uri_) + " does not exist");
  }
  return static_cast<uint64_t>(it->second->size());
}

Status MemoryStorage::List(const std::string& prefix, const std::string& delimiter,
                           const std::function<Status(const ListEntry&)>& fn) {
  RETURN_IF_ERROR(ValidateListPrefix(prefix, uri_));
  // Snapshot first so that the callback may call back into this storage.
  std::vector<std::pair<std::string, uint64_t>> matches;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    for (auto it = state_->objects.lower_bound(prefix);
         it != state_->objects.end() && it->first.starts_with(prefix); ++it) {
      matches.emplace_back(it->first, it->second->size());
    }
  }
  ListRollup rollup(prefix, delimiter, fn);
  for (const auto& [path, size] : matches) RETURN_IF_ERROR(rollup.AddObject(path, size));
  return Status::OK();
}

Status MemoryStorage::Delete(const std::string& path) {
  RETURN_IF_ERROR(ValidateObjectPath(path, uri_));
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->objects.erase(path);
  return Status::OK();
}

StatusOr<std::string> MemoryStorage::GetRaw(const std::string& path) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  auto it = state_->objects.find(path);
  if (it == state_->objects.end()) {
    return NotFoundError(DescribeObject(path, uri_) + " does not exist");
  }
  return *it->second;
}

void MemoryStorage::PutRaw(const std::string& path, std::string data) {
  auto object = std::make_shared<const std::string>(std::move(data));
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->objects[path] = std::move(object);
}

std::vector<std::string> MemoryStorage::ObjectPaths() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::vector<std::string> paths;
  paths.reserve(state_->objects.size());
  for (const auto& [path, data] : state_->objects) paths.push_back(path);
  return paths;
}

size_t MemoryStorage::ObjectCount() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->objects.size();
}

uint64_t MemoryStorage::TotalBytes() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  uint64_t total = 0;
  for (const auto& [path, data] : state_->objects) total += data->size();
  return total;
}

int MemoryStorage::OpenWriterCount() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->open_writers;
}

}  // namespace cofre
