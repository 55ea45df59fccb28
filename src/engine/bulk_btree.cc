// BulkFileWriter: opening and checking the file, handing out builders, and the final header,
// freelist and fsync. The builders live in table_btree_builder.cc and index_btree_builder.cc.
#include "engine/bulk_btree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "engine/big_endian.h"
#include "engine/sqlite_file_header.h"

namespace cofre {
namespace {

using big_endian::Put32;

std::string TypeName(BtreePageType t) { return t == BtreePageType::kTableLeaf ? "table" : "index"; }

}  // namespace

StatusOr<std::unique_ptr<BulkFileWriter>> BulkFileWriter::Open(const std::string& path) {
  return Open(path, Options());
}

StatusOr<std::unique_ptr<BulkFileWriter>> BulkFileWriter::Open(const std::string& path,
                                                               const Options& options) {
  std::unique_ptr<BulkFileWriter> w(new BulkFileWriter());
  w->options_ = options;
  w->display_ = options.display.empty() ? "'" + path + "'" : options.display;
  const std::string& display = w->display_;

  struct stat st;
  if (::stat((path + "-wal").c_str(), &st) == 0) {
    return FailedPreconditionError(
        "cannot bulk-write " + display +
        ": it has a -wal file (a connection is open or the WAL was not checkpointed)");
  }
  if (::stat((path + "-journal").c_str(), &st) == 0 && st.st_size > 0) {
    return FailedPreconditionError("cannot bulk-write " + display +
                                   ": it has a hot -journal file (an unfinished transaction)");
  }
  ASSIGN_OR_RETURN(w->fd_, OpenFile(path, O_RDWR, 0, display));
  if (::fstat(w->fd_.get(), &st) != 0) return ErrnoToStatus(errno, "inspecting " + display);
  uint8_t header[sqlite_file_header::kSize] = {};
  ASSIGN_OR_RETURN(size_t got, PreadFully(w->fd_.get(), 0, reinterpret_cast<char*>(header),
                                          sizeof(header), display));
  (void)got;  // a short file fails the size check below
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  ASSIGN_OR_RETURN(sqlite_file_header::Info info,
                   options.append
                       ? sqlite_file_header::CheckForAppend(header, file_size, display)
                       : sqlite_file_header::CheckForBulkWrite(header, file_size, display));
  w->page_size_ = info.page_size;
  w->original_page_count_ = info.page_count;
  w->original_first_trunk_ = info.first_trunk;
  w->original_freelist_pages_ = info.freelist_pages;
  w->allocator_ =
      std::make_unique<PageAllocator>(info.page_count, info.page_size, options.pending_byte);
  const uint64_t sync_behind = options.durable ? options.sync_behind_bytes : 0;
  if (options.write_behind_bytes > 0 || sync_behind > 0) {
    WriteBehind::Options behind;
    behind.interval = options.write_behind_bytes;
    behind.sync_interval = sync_behind;
    behind.drop_behind = options.drop_behind;
    behind.drop_from = uint64_t{info.page_count} * info.page_size;
    behind.display = w->display_;
    w->write_behind_ = std::make_unique<WriteBehind>(w->fd_.get(), std::move(behind));
  }
  return w;
}

BulkFileWriter::~BulkFileWriter() = default;

Status BulkFileWriter::CheckRoot(uint32_t root_page, BtreePageType want) {
  const std::string what =
      TypeName(want) + " b-tree root page " + std::to_string(root_page) + " of " + display_;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) {
      return FailedPreconditionError("bulk write of " + display_ + " already finished");
    }
    // A root NewRoot made is the empty leaf it wrote; it is built once.
    if (auto it = new_roots_.find(root_page); it != new_roots_.end()) {
      if (it->second != want) {
        return InvalidArgumentError(what + " was made for " + TypeName(it->second) + " b-tree");
      }
      new_roots_.erase(it);
      trees_.emplace(root_page, TreeState::kBuilding);
      return Status::OK();
    }
    if (options_.append) {
      return InvalidArgumentError(what + " is not a root page this writer made (NewRoot)");
    }
  }
  if (root_page < 2 || root_page > original_page_count_) {
    return InvalidArgumentError(what + " is not a page of the file as SQLite created it (2.." +
                                std::to_string(original_page_count_) + ")");
  }
  uint8_t head[8];
  ASSIGN_OR_RETURN(size_t got, PreadFully(fd_.get(), uint64_t{root_page - 1} * page_size_,
                                          reinterpret_cast<char*>(head), sizeof(head), display_));
  const uint32_t cells = got == sizeof(head) ? (uint32_t{head[3]} << 8) | head[4] : 0;
  if (got != sizeof(head) || head[0] != static_cast<uint8_t>(want) || cells != 0) {
    return InvalidArgumentError(what + " is not an empty " + TypeName(want) + " leaf (page type " +
                                std::to_string(head[0]) + ", " + std::to_string(cells) + " cells)");
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return FailedPreconditionError("bulk write of " + display_ + " already finished");
  if (!trees_.emplace(root_page, TreeState::kBuilding).second) {
    return FailedPreconditionError("a builder for " + what + " already exists");
  }
  return Status::OK();
}

std::unique_ptr<PageSink> BulkFileWriter::NewSink() {
  return std::make_unique<PageSink>(fd_.get(), page_size_, allocator_.get(), display_,
                                    options_.run_pages, write_behind_.get());
}

void BulkFileWriter::SetState(uint32_t root_page, TreeState state) {
  std::lock_guard<std::mutex> lock(mu_);
  TreeState& s = trees_[root_page];
  if (state == TreeState::kAbandoned && s != TreeState::kBuilding) return;
  s = state;
}

StatusOr<std::unique_ptr<TableBtreeBuilder>> BulkFileWriter::BuildTable(uint32_t root_page) {
  RETURN_IF_ERROR(CheckRoot(root_page, BtreePageType::kTableLeaf));
  return std::unique_ptr<TableBtreeBuilder>(new TableBtreeBuilder(this, root_page, nullptr));
}

StatusOr<std::unique_ptr<IndexBtreeBuilder>> BulkFileWriter::BuildIndex(uint32_t root_page) {
  RETURN_IF_ERROR(CheckRoot(root_page, BtreePageType::kIndexLeaf));
  return std::unique_ptr<IndexBtreeBuilder>(new IndexBtreeBuilder(this, root_page));
}

StatusOr<uint32_t> BulkFileWriter::NewRoot(BtreePageType type) {
  if (!options_.append) {
    return FailedPreconditionError("new root pages are only made when appending to " + display_);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) {
      return FailedPreconditionError("bulk write of " + display_ + " already finished");
    }
  }
  ASSIGN_OR_RETURN(PageAllocator::Run run, allocator_->Allocate(1));
  BtreePage empty(type, page_size_);
  RETURN_IF_ERROR(
      PwriteFully(fd_.get(), uint64_t{run.first - 1} * page_size_, empty.Serialize(0), page_size_,
                  "writing root page " + std::to_string(run.first) + " of " + display_));
  std::lock_guard<std::mutex> lock(mu_);
  new_roots_.emplace(run.first, type);
  return run.first;
}

Status BulkFileWriter::Finish() {
  std::lock_guard<std::mutex> lock(mu_);
  if (finished_) return FailedPreconditionError("bulk write of " + display_ + " already finished");
  for (const auto& [root, state] : trees_) {
    if (state == TreeState::kFinished) continue;
    const char* why = state == TreeState::kBuilding ? "is still being built"
                      : state == TreeState::kFailed ? "failed"
                                                    : "was abandoned unfinished";
    return FailedPreconditionError("cannot finish the bulk write of " + display_ +
                                   ": the b-tree at root page " + std::to_string(root) + " " + why +
                                   "; discard the file");
  }
  if (!new_roots_.empty()) {
    return FailedPreconditionError("cannot finish the bulk write of " + display_ + ": root page " +
                                   std::to_string(new_roots_.begin()->first) +
                                   " was made and never built; discard the file");
  }
  finished_ = true;

  uint32_t page_count;
  std::vector<uint32_t> unused;
  allocator_->Finalize(&page_count, &unused);

  // Unused pages go on the freelist: trunk pages (next trunk, leaf count, leaf page numbers)
  // taken from the free pages themselves, the last of them chained to the freelist the file
  // had. The last six slots of a trunk stay empty, as SQLite leaves them for the sake of
  // versions before 3.6.0.
  const size_t per_trunk = page_size_ / 4 - 8;
  std::vector<char> trunk(page_size_);
  for (size_t i = 0; i < unused.size();) {
    const size_t leaves = std::min(per_trunk, unused.size() - i - 1);
    const size_t next = i + 1 + leaves;
    std::fill(trunk.begin(), trunk.end(), 0);
    Put32(trunk.data(), next < unused.size() ? unused[next] : original_first_trunk_);
    Put32(trunk.data() + 4, static_cast<uint32_t>(leaves));
    for (size_t k = 0; k < leaves; ++k) Put32(trunk.data() + 8 + 4 * k, unused[i + 1 + k]);
    RETURN_IF_ERROR(
        PwriteFully(fd_.get(), uint64_t{unused[i] - 1} * page_size_, trunk.data(), trunk.size(),
                    "writing freelist page " + std::to_string(unused[i]) + " of " + display_));
    i = next;
  }

  if (::ftruncate(fd_.get(), static_cast<off_t>(uint64_t{page_count} * page_size_)) != 0) {
    return ErrnoToStatus(errno, "resizing " + display_);
  }
  uint8_t header[sqlite_file_header::kSize];
  ASSIGN_OR_RETURN(size_t got, PreadFully(fd_.get(), 0, reinterpret_cast<char*>(header),
                                          sizeof(header), display_));
  if (got != sizeof(header)) return DataLossError("the header of " + display_ + " vanished");
  sqlite_file_header::UpdateAfterBulkWrite(
      header, page_count, unused.empty() ? original_first_trunk_ : unused[0],
      original_freelist_pages_ + static_cast<uint32_t>(unused.size()));
  RETURN_IF_ERROR(PwriteFully(fd_.get(), 0, reinterpret_cast<const char*>(header), sizeof(header),
                              "writing the header of " + display_));
  if (write_behind_) RETURN_IF_ERROR(write_behind_->Stop());
  if (options_.durable) RETURN_IF_ERROR(SyncFd(fd_.get(), display_));
  return fd_.Close(display_);
}

}  // namespace cofre
