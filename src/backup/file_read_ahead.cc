#include "backup/file_read_ahead.h"

#include <algorithm>
#include <utility>

#include "util/thread_name.h"

namespace cofre {
namespace {

std::vector<FileReadAhead::File> CachedOnly(std::vector<FileReadAhead::File> files) {
  std::erase_if(files, [](const FileReadAhead::File& f) {
    return f.storage == nullptr || !f.storage->ReadsAreCached();
  });
  return files;
}

}  // namespace

FileReadAhead::FileReadAhead(std::vector<File> files, Options options)
    : files_(CachedOnly(std::move(files))), options_(options) {
  if (!files_.empty()) thread_ = std::thread([this] { Run(); });
}

FileReadAhead::~FileReadAhead() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FileReadAhead::Consumed(uint64_t bytes) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    consumed_ += bytes;
  }
  changed_.notify_all();
}

uint64_t FileReadAhead::read_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return read_;
}

bool FileReadAhead::WaitForRoom() {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return stop_ || read_ < consumed_ + options_.distance; });
  return !stop_;
}

void FileReadAhead::Run() {
  NameThisThread("cofre-readahead");
  std::string buffer(std::max<size_t>(options_.chunk_bytes, 4096), '\0');
  for (const File& file : files_) {
    if (!WaitForRoom()) return;
    StatusOr<std::unique_ptr<RandomAccessSource>> reader = file.storage->NewReader(file.path);
    if (!reader.ok()) continue;
    while (true) {
      StatusOr<size_t> got = (*reader)->Read(buffer.data(), buffer.size());
      if (!got.ok() || *got == 0) break;
      {
        std::lock_guard<std::mutex> lock(mu_);
        read_ += *got;
      }
      if (!WaitForRoom()) return;  // a large file, too, stays within the distance
    }
  }
}

}  // namespace cofre
