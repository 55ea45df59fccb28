// IndexBtreeBuilder: entries in index order packed into full index leaves. Index b-trees are
// B-trees: the entry that does not fit a full leaf becomes the separator above it instead of
// going into a leaf. The full leaf is held back until the next leaf gets an entry, so that a
// trailing separator can be swapped with the held leaf's last entry at Finish (a leaf is never
// left empty).
#include "engine/btree_payload.h"
#include "engine/bulk_btree.h"
#include "engine/sqlite_record.h"
#include "engine/sqlite_varint.h"

namespace cofre {

IndexBtreeBuilder::IndexBtreeBuilder(BulkFileWriter* writer, uint32_t root_page)
    : writer_(writer),
      root_page_(root_page),
      sink_(writer->NewSink()),
      leaf_(BtreePageType::kIndexLeaf, writer->page_size()),
      held_(BtreePageType::kIndexLeaf, writer->page_size()),
      levels_(BtreePageType::kIndexInterior, sink_.get(), root_page) {}

IndexBtreeBuilder::~IndexBtreeBuilder() {
  if (!finished_) writer_->SetState(root_page_, BulkFileWriter::TreeState::kAbandoned);
}

Status IndexBtreeBuilder::Fail(Status s) {
  status_ = s;
  writer_->SetState(root_page_, BulkFileWriter::TreeState::kFailed);
  return s;
}

Status IndexBtreeBuilder::WriteLeaf(BtreePage& page, uint32_t* pgno) {
  ASSIGN_OR_RETURN(*pgno, sink_->NewPage());
  return sink_->Write(*pgno, page.Serialize(0));
}

Status IndexBtreeBuilder::Add(std::string_view record) {
  if (!status_.ok()) return status_;
  if (finished_) {
    return FailedPreconditionError("index b-tree at root page " + std::to_string(root_page_) +
                                   " is already finished");
  }
  if (Status s = sqlite_record::Validate(record); !s.ok()) {
    return Fail(InvalidArgumentError(
        "entry " + std::to_string(entries_ + 1) + " of the index b-tree at root page " +
        std::to_string(root_page_) + " of " + writer_->display_ + " is malformed: " + s.message()));
  }
  cell_.clear();
  uint8_t size[sqlite_varint::kMaxBytes];
  cell_.append(reinterpret_cast<const char*>(size), sqlite_varint::Put(record.size(), size));
  if (Status s = AppendPayload(record, PayloadKind::kIndex, sink_.get(), &cell_); !s.ok()) {
    return Fail(s);
  }
  ++entries_;
  if (has_held_) {
    // `leaf_` is empty and gets its first entry: the held leaf surely has a successor.
    leaf_.Append(cell_);
    has_held_ = false;
    uint32_t pgno;
    Status s = WriteLeaf(held_, &pgno);
    if (s.ok()) s = levels_.Add(0, pgno, held_separator_);
    if (!s.ok()) return Fail(s);
    held_.Clear();
    return Status::OK();
  }
  if (leaf_.Fits(cell_.size())) {
    leaf_.Append(cell_);
    return Status::OK();
  }
  std::swap(leaf_, held_);
  has_held_ = true;
  held_separator_ = cell_;
  return Status::OK();
}

Status IndexBtreeBuilder::Finish() {
  if (finished_) return status_;
  finished_ = true;
  if (!status_.ok()) return status_;
  Status s;
  if (has_held_) {
    // The last entry was to separate the held leaf from an empty one: it goes into that leaf
    // instead, and the held leaf's last entry (a full leaf holds at least four) separates them.
    std::string last = held_.TakeLast();
    uint32_t pgno;
    s = WriteLeaf(held_, &pgno);
    if (s.ok()) s = levels_.Add(0, pgno, last);
    leaf_.Append(held_separator_);
    has_held_ = false;
  }
  if (!s.ok()) {
    // Reported below.
  } else if (entries_ == 0) {
    // The root stays the empty leaf SQLite made.
  } else if (levels_.empty()) {
    s = sink_->Write(root_page_, leaf_.Serialize(0));
  } else {
    uint32_t pgno;
    s = WriteLeaf(leaf_, &pgno);
    if (s.ok()) s = levels_.Finish(0, pgno);
  }
  if (s.ok()) s = sink_->Finish();
  if (!s.ok()) return Fail(s);
  writer_->SetState(root_page_, BulkFileWriter::TreeState::kFinished);
  return Status::OK();
}

}  // namespace cofre
