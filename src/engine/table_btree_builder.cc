// TableBtreeBuilder: rows in rowid order packed into full table leaves; each finished leaf goes
// up to the interior levels with its largest rowid as the separator (table b-trees are B+trees).
// A part's leaves wait in a list until its builder appends them.
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

TableBtreeBuilder::TableBtreeBuilder(BulkFileWriter* writer, uint32_t root_page,
                                     TableBtreeBuilder* parent)
    : writer_(writer),
      root_page_(root_page),
      parent_(parent),
      sink_(writer->NewSink()),
      leaf_(BtreePageType::kTableLeaf, writer->page_size()),
      levels_(BtreePageType::kTableInterior, sink_.get(), root_page) {}

TableBtreeBuilder::~TableBtreeBuilder() {
  // A part left unappended keeps its builder's open_parts_ up: the builder cannot finish.
  if (!finished_ && parent_ == nullptr) {
    writer_->SetState(root_page_, BulkFileWriter::TreeState::kAbandoned);
  }
}

Status TableBtreeBuilder::Fail(Status s) {
  status_ = s;
  if (parent_ == nullptr) writer_->SetState(root_page_, BulkFileWriter::TreeState::kFailed);
  return s;
}

Status TableBtreeBuilder::WriteLeaf() {
  StatusOr<uint32_t> pgno = sink_->NewPage();
  if (!pgno.ok()) return pgno.status();
  RETURN_IF_ERROR(sink_->Write(*pgno, leaf_.Serialize(0)));
  leaf_.Clear();
  if (parent_ != nullptr) {
    const int64_t page_step = int64_t{*pgno} - int64_t{last_leaf_page_};
    AppendVarint((static_cast<uint64_t>(page_step) << 1) ^ static_cast<uint64_t>(page_step >> 63),
                 &leaves_);
    const uint64_t previous = last_leaf_page_ == 0 ? static_cast<uint64_t>(first_rowid_) - 1
                                                   : static_cast<uint64_t>(last_leaf_rowid_);
    AppendVarint(static_cast<uint64_t>(last_rowid_) - previous, &leaves_);
    last_leaf_page_ = *pgno;
    last_leaf_rowid_ = last_rowid_;
    return Status::OK();
  }
  std::string separator;
  AppendVarint(static_cast<uint64_t>(last_rowid_), &separator);
  return levels_.Add(0, *pgno, separator);
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
    if (Status s = WriteLeaf(); !s.ok()) return Fail(s);
  }
  leaf_.Append(cell_);
  if (rows_ == 0) first_rowid_ = rowid;
  last_rowid_ = rowid;
  ++rows_;
  return Status::OK();
}

std::unique_ptr<TableBtreeBuilder> TableBtreeBuilder::NewPart() {
  ++open_parts_;
  return std::unique_ptr<TableBtreeBuilder>(new TableBtreeBuilder(writer_, root_page_, this));
}

Status TableBtreeBuilder::AppendPart(TableBtreeBuilder& part) {
  if (!status_.ok()) return status_;
  if (part.parent_ != this || part.appended_ || finished_) {
    return FailedPreconditionError("not an open part of the table b-tree at root page " +
                                   std::to_string(root_page_));
  }
  if (!part.finished_) {
    return FailedPreconditionError("a part of the table b-tree at root page " +
                                   std::to_string(root_page_) + " is appended unfinished");
  }
  if (!part.status_.ok()) return Fail(part.status_);
  if (part.rows_ > 0) {
    if (rows_ > 0 && part.first_rowid_ <= last_rowid_) {
      return Fail(InvalidArgumentError("rowid " + std::to_string(part.first_rowid_) +
                                       " is not greater than the previous rowid " +
                                       std::to_string(last_rowid_) + Where() +
                                       "; rows must come in strictly increasing rowid order"));
    }
    if (rows_ > 0) {
      if (Status s = WriteLeaf(); !s.ok()) return Fail(s);
    }
    std::string separator;
    const auto* p = reinterpret_cast<const uint8_t*>(part.leaves_.data());
    size_t left = part.leaves_.size();
    uint32_t page = 0;
    uint64_t rowid = static_cast<uint64_t>(part.first_rowid_) - 1;
    while (left > 0) {
      uint64_t page_step, rowid_step;
      const size_t a = sqlite_varint::Get(p, left, &page_step);
      const size_t b = a == 0 ? 0 : sqlite_varint::Get(p + a, left - a, &rowid_step);
      if (b == 0) return Fail(InternalError("corrupt leaf list of a part" + Where()));
      p += a + b;
      left -= a + b;
      page += static_cast<uint32_t>((page_step >> 1) ^ (~(page_step & 1) + 1));
      rowid += rowid_step;
      separator.clear();
      AppendVarint(rowid, &separator);
      if (Status s = levels_.Add(0, page, separator); !s.ok()) return Fail(s);
    }
    std::swap(leaf_, part.leaf_);
    if (rows_ == 0) first_rowid_ = part.first_rowid_;
    last_rowid_ = part.last_rowid_;
    rows_ += part.rows_;
  }
  part.leaves_.clear();
  part.leaves_.shrink_to_fit();
  part.appended_ = true;
  --open_parts_;
  return Status::OK();
}

Status TableBtreeBuilder::Finish() {
  if (finished_) return status_;
  finished_ = true;
  if (!status_.ok()) return status_;
  if (open_parts_ > 0) {
    return Fail(FailedPreconditionError(std::to_string(open_parts_) + " part(s) of the tree" +
                                        Where() + " were never appended"));
  }
  Status s;
  if (parent_ != nullptr) {
    // The last leaf stays in memory for AppendPart.
  } else if (rows_ == 0) {
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
  // Its write buffer goes now: a finished part may wait for the parts before it to be appended.
  sink_.reset();
  if (parent_ == nullptr) writer_->SetState(root_page_, BulkFileWriter::TreeState::kFinished);
  return Status::OK();
}

}  // namespace cofre
