#include "backup/bulk_index_sort.h"

#include <algorithm>
#include <cstring>
#include <span>
#include <string_view>

#include "backup/row_codec.h"
#include "engine/index_sort_key.h"
#include "engine/sqlite_record.h"

namespace cofre::bulk_sort {

namespace {

sqlite_record::Value IntegerValue(int64_t i) {
  sqlite_record::Value out;
  out.type = sqlite_record::Type::kInteger;
  out.i = i;
  return out;
}

// Appends to `*out` the sorter entry of the row (`values`, the values of its projected record,
// and `rowid`) in index `build`. `entry_values` is scratch. FailedPrecondition when a value has no
// byte-comparable sort key (the caller then loads through SQLite).
Status AppendIndexEntry(const IndexBuild& build, const std::string& table,
                        std::span<const sqlite_record::Value> values, int64_t rowid,
                        std::vector<sqlite_record::Value>* entry_values, std::string* out) {
  entry_values->clear();
  for (int source : build.batch_sources) {
    entry_values->push_back(source < 0 ? IntegerValue(rowid) : values[source]);
  }
  entry_values->push_back(IntegerValue(rowid));
  out->clear();
  if (!index_sort_key::Append(*entry_values, build.plan->order, out)) {
    return FailedPreconditionError("index " + build.plan->name + " of table " + table +
                                   " has a value only SQLite can order");
  }
  const uint32_t key_size = static_cast<uint32_t>(out->size());
  sqlite_record::Append(*entry_values, out);
  out->append(reinterpret_cast<const char*>(&key_size), 4);
  return Status::OK();
}

}  // namespace

IndexBuild::IndexBuild(const BulkIndexPlan* p, size_t budget, const std::string& temp_dir)
    : plan(p), order(p->order) {
  sorter = std::make_unique<ExternalSorter>(&bytewise, budget, temp_dir);
}

Status WriteIndex(BulkFileWriter& writer, const std::string& table, IndexBuild& build) {
  auto annotate = [&](Status st) {
    return st.Annotate("building index " + build.plan->name + " of table " + table);
  };
  if (Status st = build.sorter->Finish(); !st.ok()) return annotate(st);
  StatusOr<std::unique_ptr<IndexBtreeBuilder>> index = writer.BuildIndex(build.plan->root_page);
  if (!index.ok()) return annotate(index.status());
  const size_t key_fields = build.plan->sources.size();
  std::string previous;
  bool have_previous = false;
  std::string_view entry;
  while (true) {
    StatusOr<bool> more = build.sorter->Next(&entry);
    if (!more.ok()) return annotate(more.status());
    if (!*more) break;
    uint32_t key_size = 0;
    if (entry.size() >= 4) std::memcpy(&key_size, entry.data() + entry.size() - 4, 4);
    if (entry.size() < 4 || key_size > entry.size() - 4) {
      return annotate(InternalError("corrupt sorted index entry"));
    }
    entry = entry.substr(key_size, entry.size() - 4 - key_size);
    if (build.plan->unique) {
      bool has_null = false;
      for (size_t i = 0; i < key_fields && !has_null; ++i) {
        has_null = IndexRecordOrder::FieldIsNull(entry, i);
      }
      if (!has_null && have_previous &&
          build.order.ComparePrefix(previous, entry, key_fields) == 0) {
        return DataLossError("the backup holds two rows of table " + table +
                             " with the same key of UNIQUE index " + build.plan->name);
      }
      previous.assign(entry);
      have_previous = true;
    }
    if (Status st = (*index)->Add(entry); !st.ok()) return annotate(st);
  }
  if (Status st = (*index)->Finish(); !st.ok()) return annotate(st);
  build.sorter.reset();  // frees its buffers and spilled runs now
  return Status::OK();
}

SortingThreads::SortingThreads(size_t n) {
  for (size_t i = 0; i < std::max<size_t>(1, n); ++i) {
    // One pending task per thread beside the one running: with two threads per core (the
    // restore's count), as many batches wait per core as with two pending on one thread each.
    threads_.push_back(std::make_unique<TaskThread>(1, "cofre-sort"));
  }
}

bool SortingThreads::failed() {
  for (auto& t : threads_) {
    if (t->failed()) return true;
  }
  return false;
}

std::string SortingThreads::TakeBatch() {
  std::lock_guard<std::mutex> lock(spare_mu_);
  if (spare_.empty()) return std::string();
  std::string batch = std::move(spare_.back());
  spare_.pop_back();
  return batch;
}

void SortingThreads::ReturnBatch(std::string&& batch) {
  batch.clear();
  std::lock_guard<std::mutex> lock(spare_mu_);
  if (spare_.size() < kSpareBatches && batch.capacity() <= kEntryBatchBytes * 2) {
    spare_.push_back(std::move(batch));
  }
}

Status SortingThreads::SortRows(RowBatch& batch, const std::string& table) {
  Status st;
  std::vector<sqlite_record::Value> values, entry_values;
  std::string entry;
  std::string_view in = batch.rows;
  size_t pos = 0;
  while (st.ok() && pos < in.size()) {
    int64_t rowid;
    uint64_t size;
    if (in.size() - pos < 8) {
      st = InternalError("corrupt row batch");
      break;
    }
    std::memcpy(&rowid, in.data() + pos, 8);
    pos += 8;
    if (!rowcodec::GetVarint(in, &pos, &size) || size > in.size() - pos) {
      st = InternalError("corrupt row batch");
      break;
    }
    st = sqlite_record::Parse(in.substr(pos, size), &values);
    pos += size;
    for (IndexBuild* index : batch.indexes) {
      if (!st.ok()) break;
      st = AppendIndexEntry(*index, table, values, rowid, &entry_values, &entry);
      if (st.ok()) st = index->sorter->Add(entry);
    }
  }
  ReturnBatch(std::move(batch.rows));
  return st;
}

Status SortingThreads::FirstFailure() {
  for (auto& t : threads_) {
    if (Status st = t->first_failure(); !st.ok()) return st;
  }
  return Status::OK();
}

Status SortingThreads::Wait() {
  Status first;
  for (auto& t : threads_) {
    Status st = t->Wait();
    if (first.ok() && !st.ok()) first = st;
  }
  return first;
}

}  // namespace cofre::bulk_sort
