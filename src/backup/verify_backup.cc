#include "backup/verify_backup.h"

#include <deque>
#include <memory>

#include "backup/data_file_format.h"
#include "backup/record_prefetcher.h"
#include "backup/row_codec.h"
#include "backup/short_rows.h"
#include "backup/span_prefetcher.h"
#include "backup/span_reader.h"

namespace cofre {

namespace fmt = data_file_format;

namespace {

// Spans read ahead of the one being checked: each has a thread of its own (storage, decryption,
// decompression, merge), so a few of them keep the cores busy.
constexpr size_t kSpansAhead = 2;
constexpr size_t kBlockBytes = 1 << 20;
constexpr size_t kBlocks = 3;

// Damage is reported and the check goes on; anything else (the storage is unreachable, access
// is denied) would fail the same way for every file.
bool IsDamage(const Status& st) {
  return st.code() == StatusCode::kDataLoss || st.code() == StatusCode::kFailedPrecondition ||
         st.code() == StatusCode::kNotFound;
}

class Verifier {
 public:
  explicit Verifier(const VerifyRequest& req) : req_(req) {
    for (const VerifyTarget& t : req.tables) total_ += t.table->logical_bytes();
  }

  StatusOr<VerifyResult> Run() {
    for (const VerifyTarget& t : req_.tables) RETURN_IF_ERROR(VerifyTable(t));
    if (problems_.empty()) return result_;
    std::string message = "backup verification found " + std::to_string(problems_.size()) +
                          (problems_.size() == 1 ? " problem" : " problems") + ": ";
    for (size_t i = 0; i < problems_.size() && i < req_.max_listed_problems; ++i) {
      message += (i ? "; " : "") + problems_[i];
    }
    if (problems_.size() > req_.max_listed_problems) {
      message += "; and " + std::to_string(problems_.size() - req_.max_listed_problems) + " more";
    }
    return DataLossError(message);
  }

 private:
  Status VerifyTable(const VerifyTarget& target) {
    const proto::Table& table = *target.table;
    const std::string name = target.database + "." + table.name();
    size_t key_columns = 0;
    for (const auto& c : table.columns()) key_columns += c.key_position() > 0;
    if (auto short_rows = ShortRowDefaults::ForTable(table); short_rows.ok()) {
      short_rows_ = std::move(*short_rows);
    } else {
      problems_.push_back("table " + name + ": " + short_rows.status().message());
      return Status::OK();
    }
    std::deque<std::unique_ptr<SpanPrefetcher>> ahead;
    int next = 0;
    auto start_next = [&] {
      const proto::Span* span = &table.spans(next++);
      ahead.push_back(std::make_unique<SpanPrefetcher>(
          [this, span] { return SpanReader::Open(req_.storage, *span, req_.crypto, KeyOrder()); },
          kBlockBytes, kBlocks));
    };
    uint64_t table_rows = 0;
    bool table_whole = true;
    for (int s = 0; s < table.spans_size(); ++s) {
      while (ahead.size() <= kSpansAhead && next < table.spans_size()) start_next();
      std::unique_ptr<SpanPrefetcher> rows = std::move(ahead.front());
      ahead.pop_front();
      const proto::Span& span = table.spans(s);
      uint64_t span_rows = 0;
      Status st = CheckMergedRows(*rows, table, name, key_columns,
                                  "span " + std::to_string(span.id()), &span_rows);
      if (!st.ok() && rows->out_of_order()) {
        // Keys a plain byte order does not sort (a WITHOUT ROWID key under a collation): read
        // the files one by one, as a restore through SQLite does, without the merge.
        rows.reset();
        span_rows = 0;
        st = CheckFiles(span, table, name, key_columns, kAllFiles);
        table_whole = false;
      } else if (st.ok() && span_rows != span.rows()) {
        st = DataLossError("the files of span " + std::to_string(span.id()) + " hold " +
                           std::to_string(span_rows) + " rows; the manifest says " +
                           std::to_string(span.rows()));
      }
      for (const auto& file : span.files()) {
        result_.logical_bytes += file.logical_bytes();
        done_ += file.logical_bytes();
      }
      result_.files += span.files_size();
      if (req_.progress && total_) {
        req_.progress(static_cast<double>(std::min(done_, total_)) / static_cast<double>(total_));
      }
      if (!st.ok()) {
        if (!IsDamage(st)) return st.Annotate("verifying table " + name);
        // The span stopped at the first damaged file it met; every damaged file is named.
        ASSIGN_OR_RETURN(std::vector<std::string> damaged,
                         DamagedFiles(span, table, name, key_columns));
        if (damaged.empty()) damaged.push_back(std::string(st.message()));
        for (const std::string& problem : damaged) {
          problems_.push_back("table " + name + ": " + problem);
        }
        table_whole = false;
        continue;
      }
      table_rows += span_rows;
    }
    if (table_whole && table_rows != table.rows()) {
      problems_.push_back("table " + name + ": its spans hold " + std::to_string(table_rows) +
                          " rows; the manifest says " + std::to_string(table.rows()));
    }
    return Status::OK();
  }

  Status CheckRow(const rowcodec::Record& rec, const proto::Table& table, const std::string& name,
                  size_t key_columns, const std::string& where) {
    if (rec.kind != fmt::kRecordRow) {
      return DataLossError(where + " has a record of kind " + std::to_string(rec.kind) +
                           " where a row was expected");
    }
    const size_t keys = table.without_rowid() ? key_columns : 1;
    if (rec.key_values.size() != keys ||
        (!table.without_rowid() && rec.key_values[0].tag != fmt::kInteger)) {
      return DataLossError(where + " has a row whose key does not fit table " + name);
    }
    return short_rows_.CheckCount(rec.values.size(), where);
  }

  Status CheckMergedRows(SpanPrefetcher& rows, const proto::Table& table, const std::string& name,
                         size_t key_columns, const std::string& where, uint64_t* count) {
    std::string_view key, body;
    while (true) {
      ASSIGN_OR_RETURN(bool more, rows.Next(&key, &body));
      if (!more) return Status::OK();
      RETURN_IF_ERROR(rowcodec::DecodeRecord(body, &record_));
      RETURN_IF_ERROR(CheckRow(record_, table, name, key_columns, where));
      ++*count;
      ++result_.rows;
    }
  }

  // Reads the files of `span` one after another, without the merge, as a restore through SQLite
  // does: every row must fit the table and every file must hold the records its manifest entry
  // says. `only` is a file's index in the span, or kAllFiles. The first damage found is returned.
  static constexpr int kAllFiles = -1;
  Status CheckFiles(const proto::Span& span, const proto::Table& table, const std::string& name,
                    size_t key_columns, int only) {
    std::vector<int> indexes;
    std::vector<RecordPrefetcher::Unit> units;
    for (int i = 0; i < span.files_size(); ++i) {
      if (only != kAllFiles && i != only) continue;
      indexes.push_back(i);
      units.push_back(
          RecordPrefetcher::FileUnit(req_.storage.For(span.files(i)), span.files(i), req_.crypto));
    }
    ASSIGN_OR_RETURN(std::unique_ptr<RecordPrefetcher> records,
                     RecordPrefetcher::Start(std::move(units)));
    std::vector<uint64_t> counts(indexes.size(), 0);
    const size_t keys = table.without_rowid() ? key_columns : 1;
    while (true) {
      ASSIGN_OR_RETURN(const RecordBatch* batch, records->Next());
      if (!batch) break;
      const proto::DataFile& file = span.files(indexes[batch->unit_index()]);
      for (size_t r = 0; r < batch->size(); ++r) {
        const RecordBatch::Entry& e = batch->entry(r);
        ++counts[batch->unit_index()];
        if (e.kind == fmt::kRecordTombstone) continue;
        if (e.key_count != keys || !short_rows_.CheckCount(e.value_count, "").ok()) {
          return DataLossError("backup file " + file.path() +
                               " has a row that does not fit table " + name);
        }
        if (only == kAllFiles) ++result_.rows;
      }
    }
    for (size_t i = 0; i < indexes.size(); ++i) {
      const proto::DataFile& file = span.files(indexes[i]);
      if (counts[i] != file.rows()) {
        return DataLossError("backup file " + file.path() + " holds " + std::to_string(counts[i]) +
                             " records; the manifest says " + std::to_string(file.rows()));
      }
    }
    return Status::OK();
  }

  // After damage stopped a span: reads each of its files on its own, so that every damaged file
  // is named, not only the first one met. Empty when no single file is at fault (the files
  // disagree with each other or with the span's row count).
  StatusOr<std::vector<std::string>> DamagedFiles(const proto::Span& span,
                                                  const proto::Table& table,
                                                  const std::string& name, size_t key_columns) {
    std::vector<std::string> damaged;
    for (int i = 0; i < span.files_size(); ++i) {
      Status st = CheckFiles(span, table, name, key_columns, i);
      if (st.ok()) continue;
      if (!IsDamage(st)) return st.Annotate("verifying table " + name);
      damaged.push_back(std::string(st.message()));
    }
    return damaged;
  }

  const VerifyRequest& req_;
  VerifyResult result_;
  std::vector<std::string> problems_;
  rowcodec::Record record_;
  ShortRowDefaults short_rows_;  // of the table being verified
  uint64_t total_ = 0;
  uint64_t done_ = 0;
};

}  // namespace

StatusOr<VerifyResult> VerifyBackupData(const VerifyRequest& request) {
  return Verifier(request).Run();
}

}  // namespace cofre
