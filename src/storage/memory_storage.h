// MemoryStorage: an in-memory ExternalStorage for unit tests of the layers
// above storage.
//
// Objects live in a map guarded by a mutex. Semantics match the other
// storages: paths are validated (InvalidArgument); a writer publishes its
// whole object on Close() and nothing when destroyed without Close(); a reader
// reads the object as it was when opened (a later overwrite does not change
// it); List is lexicographic with delimiter roll-up; deleting an absent object
// succeeds. Writers and readers may outlive the MemoryStorage.
//
// Test helpers read and overwrite raw object bytes (tamper tests) and count
// objects and open writers.
//
// Thread-safety: every method may be called from several threads at once;
// readers and writers are single-threaded objects.
#ifndef COFRE_STORAGE_MEMORY_STORAGE_H_
#define COFRE_STORAGE_MEMORY_STORAGE_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "storage/external_storage.h"

namespace cofre {

class MemoryStorage : public ExternalStorage {
 public:
  // `uri` names the storage in messages and RedactedUri(), e.g.
  // "mem://backups".
  explicit MemoryStorage(std::string uri = "mem://test");

  std::string RedactedUri() const override { return uri_; }
  StatusOr<std::unique_ptr<ByteSink>> NewWriter(const std::string& path) override;
  using ExternalStorage::NewReader;
  StatusOr<std::unique_ptr<RandomAccessSource>> NewReader(const std::string& path,
                                                          const ReaderOptions& options) override;
  StatusOr<uint64_t> Size(const std::string& path) override;
  Status List(const std::string& prefix, const std::string& delimiter,
              const std::function<Status(const ListEntry&)>& fn) override;
  Status Delete(const std::string& path) override;

  // --- Test helpers ---
  // The raw bytes of `path`; NotFound when absent.
  StatusOr<std::string> GetRaw(const std::string& path) const;
  // Creates or overwrites `path` with `data`, bypassing writers (to plant or
  // tamper with objects). The path is not validated, so tests may plant objects
  // no writer could create.
  void PutRaw(const std::string& path, std::string data);
  // All object paths, in lexicographic order.
  std::vector<std::string> ObjectPaths() const;
  size_t ObjectCount() const;
  uint64_t TotalBytes() const;
  // Writers opened and neither closed nor destroyed yet.
  int OpenWriterCount() const;

  // Shared by the storage, its writers and its readers.
  struct State {
    mutable std::mutex mu;
    std::map<std::string, std::shared_ptr<const std::string>> objects;  // guarded by mu
    int open_writers = 0;                                               // guarded by mu
  };

 private:
  const std::string uri_;
  const std::shared_ptr<State> state_;
};

}  // namespace cofre

#endif  // COFRE_STORAGE_MEMORY_STORAGE_H_
