// FileReadAhead: reads the files a restore is about to read, in the order it will read them and
// at most a bounded distance ahead of it, so that its loading threads find them in the page
// cache instead of waiting for the disk (docs/performance.md, "Read-ahead of the backup's
// files"). A restore from a cold page cache otherwise waits on each span's reads, which share
// the device with the restore's writes.
//
// Only files of storages whose reads are cached (ExternalStorage::ReadsAreCached: local files)
// are read: for a remote storage the bytes would travel twice. The bytes read go through one
// buffer of Options::chunk_bytes and are dropped; the page cache keeps them. The distance keeps
// a restore larger than the page cache from evicting what it is about to read. A file that
// cannot be read is skipped: the restore's own read reports the error.
// Thread-safety: Consumed() from any thread; the destructor stops the reading thread (within one
// chunk's read) and waits for it.
#ifndef COFRE_BACKUP_FILE_READ_AHEAD_H_
#define COFRE_BACKUP_FILE_READ_AHEAD_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/external_storage.h"

namespace cofre {

class FileReadAhead {
 public:
  struct File {
    ExternalStorage* storage = nullptr;  // must outlive the read-ahead
    std::string path;
  };
  struct Options {
    // Bytes read ahead of those the readers said they consumed, at most: a chunk is read only
    // while the bytes read so far are below consumed + distance.
    uint64_t distance = 256 << 20;
    // Bytes per read.
    size_t chunk_bytes = 256 << 10;
  };

  // Starts a thread that reads `files` in order (those of storages whose reads are not cached
  // are left out). With no file left, no thread is started.
  FileReadAhead(std::vector<File> files, Options options);
  ~FileReadAhead();
  FileReadAhead(const FileReadAhead&) = delete;
  FileReadAhead& operator=(const FileReadAhead&) = delete;

  // The readers are done with `bytes` more bytes of the files (about in the order given).
  void Consumed(uint64_t bytes);
  // Bytes read ahead so far.
  uint64_t read_bytes() const;
  // Files the thread will read or has read (those whose storages cache reads).
  size_t files() const { return files_.size(); }

 private:
  void Run();
  // Waits until the thread may read on (true) or is stopped (false).
  bool WaitForRoom();

  const std::vector<File> files_;
  const Options options_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  uint64_t read_ = 0;      // guarded by mu_
  uint64_t consumed_ = 0;  // guarded by mu_
  bool stop_ = false;      // guarded by mu_
  std::thread thread_;
};

}  // namespace cofre

#endif  // COFRE_BACKUP_FILE_READ_AHEAD_H_
