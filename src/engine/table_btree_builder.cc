// TableBtreeBuilder: rows in rowid order packed into full table leaves; each finished leaf goes
// up to the interior levels with its largest rowid as the separator (table b-trees are B+trees).
#include "engine/btree_payload.h"
#include "engine/bulk_btree.h"
#include "engine/sqlite_record.h"
#include "engine/sqlite_varint.h"

namespace cofre {
namespace {

void AppendVarint(uint64_t v, std::string* out) {
  uint8_t buf[sqlite_varint::kMaxBytes];
  out->append(reinterpret_cast<const char*>(buf), sqlite_varint::Put(v, buf));
}

}  // namespace

TableBtreeBuilder::TableBtreeBuilder(BulkFileWriter* writer, uint32_t root_page)
    : writer_(writer),
      root_page_(root_page),
      sink_(writer->NewSink()),
      leaf_(BtreePageType::kTableLeaf, writer->page_size()),
      levels_(BtreePageType::kTableInterior, sink_.get(), root_page) {}

TableBtreeBuilder::~TableBtreeBuilder() {
  if (!finished_) writer_->SetState(root_page_, BulkFileWriter::TreeState::kAbandoned);
}

Status TableBtreeBuilder::Fail(Status s) {
  status_ = s;
  writer_->SetState(root_page_, BulkFileWriter::TreeState::kFailed);
  return s;
}

std::string TableBtreeBuilder::Where() const {
  return " (table b-tree at root page " + std::to_string(root_page_) + " of " + writer_->display_ +
         ")";
}

Status TableBtreeBuilder::Add(int64_t rowid, std::string_view record) {
  if (!status_.ok()) return status_;
  if (finished_) {
    return FailedPreconditionError("table b-tree at root page " + std::to_string(root_page_) +
                                   " is already finished");
  }
  if (rows_ > 0 && rowid <= last_rowid_) {
    return Fail(InvalidArgumentError("rowid " + std::to_string(rowid) +
                                     " is not greater than the previous rowid " +
                                     std::to_string(last_rowid_) + Where() +
                                     "; rows must come in strictly increasing rowid order"));
  }
  if (Status s = sqlite_record::Validate(record); !s.ok()) {
    return Fail(InvalidArgumentError("the record of rowid " + std::to_string(rowid) + Where() +
                                     " is malformed: " + s.message()));
  }
  cell_.clear();
  AppendVarint(record.size(), &cell_);
  AppendVarint(static_cast<uint64_t>(rowid), &cell_);
  if (Status s = AppendPayload(record, PayloadKind::kTableLeaf, sink_.get(), &cell_); !s.ok()) {
    return Fail(s);
  }
  if (!leaf_.Fits(cell_.size())) {
    Status s;
    StatusOr<uint32_t> pgno = sink_->NewPage();
    if (!pgno.ok()) return Fail(pgno.status());
    s = sink_->Write(*pgno, leaf_.Serialize(0));
    if (s.ok()) {
      std::string separator;
      AppendVarint(static_cast<uint64_t>(last_rowid_), &separator);
      s = levels_.Add(0, *pgno, separator);
    }
    if (!s.ok()) return Fail(s);
    leaf_.Clear();
  }
  leaf_.Append(cell_);
  last_rowid_ = rowid;
  ++rows_;
  return Status::OK();
}

Status TableBtreeBuilder::Finish() {
  if (finished_) return status_;
  finished_ = true;
  if (!status_.ok()) return status_;
  Status s;
  if (rows_ == 0) {
    // The root stays the empty leaf SQLite made.
  } else if (levels_.empty()) {
    s = sink_->Write(root_page_, leaf_.Serialize(0));
  } else {
    StatusOr<uint32_t> pgno = sink_->NewPage();
    s = pgno.status();
    if (s.ok()) s = sink_->Write(*pgno, leaf_.Serialize(0));
    if (s.ok()) s = levels_.Finish(0, *pgno);
  }
  if (s.ok()) s = sink_->Finish();
  if (!s.ok()) return Fail(s);
  writer_->SetState(root_page_, BulkFileWriter::TreeState::kFinished);
  return Status::OK();
}

}  // namespace cofre
