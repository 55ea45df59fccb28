#include "backup/cell_digests.h"

#include <algorithm>
#include <limits>

namespace cofre {

namespace {

uint64_t NextId() {
  static std::atomic<uint64_t> next{1};
  return next++;
}

constexpr int64_t kMinRowid = std::numeric_limits<int64_t>::min();
constexpr int64_t kMaxRowid = std::numeric_limits<int64_t>::max();

}  // namespace

namespace cell_digests_internal {

// The previous layer's cell entries over some ranges, one ahead.
class PreviousCells {
 public:
  PreviousCells(const RowCache& cache, const RowCache::Table& cached,
                const std::vector<RowidRange>& ranges)
      : cells_(cache, cached, ranges, CacheList::kCells) {
    Advance();
  }
  // False once they could not be read.
  bool ok() const { return ok_; }
  // Whether there is a current entry (its rowid and cell digest).
  bool has() const { return has_; }
  const RowCacheEntry& cell() const { return cell_; }
  // Moves forward to the first entry at or past `rowid`.
  void SkipTo(int64_t rowid) {
    if (!ok_ || (has_ && cell_.rowid >= rowid)) return;
    cells_.SkipTo(rowid);
    Advance();
  }
  // Copies the cell entries through `last` to `out` (when given): how many. Whole segments are
  // referred to (or copied) without being read.
  size_t CopyThrough(int64_t last, RowCacheWriter::Rows* out) {
    if (!has_ || cell_.rowid > last) return 0;
    size_t n = 1;
    if (out) out->AddEntry(cell_);
    const std::optional<int64_t> limit =
        last == kMaxRowid ? std::nullopt : std::optional<int64_t>(last + 1);
    auto copied = cells_.CopyBelow(limit, out);
    if (!copied.ok()) {
      ok_ = has_ = false;
      return n;
    }
    n += *copied;
    if (limit) {
      Advance();
    } else {
      has_ = false;  // nothing is left past the largest rowid
    }
    return n;
  }
  void Advance() {
    auto more = cells_.NextEntry(&cell_);
    if (!more.ok()) {
      ok_ = has_ = false;
      return;
    }
    has_ = *more;
  }

 private:
  RowCacheCursor cells_;
  RowCacheEntry cell_;
  bool ok_ = true, has_ = false;
};

}  // namespace cell_digests_internal

using cell_digests_internal::PreviousCells;

struct CellCollector::Part {
  std::unique_ptr<RowCacheWriter::Rows> rows;  // this layer's cell entries, until closed
  bool closed = false;
  bool rows_taken = true;  // the entries were registered (or there were none to register)
  // Compare: the previous entries from the part's first leaf on (handed on to the next part the
  // thread maps: parts come in key order), where `then` was looked up last, the rowids of the
  // part's first and last leaves, and what may differ among them.
  std::unique_ptr<PreviousCells> before;
  size_t then_at = 0;
  int64_t first = 0, last = 0;
  std::vector<int64_t> differ;
  bool started = false;  // a leaf was seen
  // Unchanged leaves not yet passed over in `before`: their rowids and how many cells they hold.
  bool batched = false;
  int64_t batch_first = 0, batch_last = 0;
  size_t batch_cells = 0;
};

CellCollector::CellCollector() : id_(NextId()) {}

CellCollector::~CellCollector() = default;

uint64_t CellDigest(const RowDigestKey& key, const LeafCell& cell) {
  if (cell.overflow) return 0;
  const uint64_t d = key.Digest(cell.local);
  return d == 0 ? 1 : d;
}

std::unique_ptr<CellCollector> CellCollector::ToCache(std::shared_ptr<const RowDigestKey> key,
                                                      RowCacheWriter* writer, const std::string& db,
                                                      const std::string& table) {
  std::unique_ptr<CellCollector> c(new CellCollector());
  c->key_ = std::move(key);
  c->writer_ = writer;
  c->db_ = db;
  c->table_ = table;
  CellCollector* self = c.get();
  c->visitor_ = [self](size_t part, const LeafRange& leaf, const std::vector<LeafCell>& cells) {
    self->Visit(part, leaf, cells);
  };
  return c;
}

std::unique_ptr<CellCollector> CellCollector::Compare(
    std::shared_ptr<const RowDigestKey> key, const RowCache& cache, const RowCache::Table& cached,
    const std::vector<LeafRange>& then, RowCacheWriter* writer, const std::string& db,
    const std::string& table, std::atomic<int64_t>* budget) {
  std::unique_ptr<CellCollector> c = ToCache(std::move(key), writer, db, table);
  c->cache_ = &cache;
  c->cached_ = &cached;
  c->then_ = &then;
  c->budget_ = budget;
  return c;
}

CellCollector::Part& CellCollector::PartFor(size_t part) {
  thread_local uint64_t last_owner = 0;
  thread_local size_t last_part = 0;
  thread_local Part* last = nullptr;
  if (last_owner == id_ && last_part == part) return *last;
  std::lock_guard<std::mutex> lock(mu_);
  std::unique_ptr<Part>& p = parts_[part];
  if (!p) {
    p = std::make_unique<Part>();
    if (writer_) p->rows = writer_->NewRows(db_, table_, CacheList::kCells);
  }
  if (last_owner == id_) {
    if (last->before && !failed_) FlushBatch(*last);
    if (!p->started && part > last_part) p->before = std::move(last->before);
    Close(*last);
  }
  last_owner = id_;
  last_part = part;
  last = p.get();
  return *last;
}

void CellCollector::FlushBatch(Part& p) {
  if (!p.batched) return;
  p.batched = false;
  PreviousCells& before = *p.before;
  const size_t differ_before = p.differ.size();
  // Previous rows before the batch are gone (no leaf holds them); the batch's leaves hold exactly
  // the cached entries of their span, no more (a cached row between two of them is gone too: a
  // count that is off leaves the table to the row diff).
  while (before.has() && before.cell().rowid < p.batch_first) {
    p.differ.push_back(before.cell().rowid);
    before.Advance();
  }
  const bool starts = before.has() && before.cell().rowid == p.batch_first;
  if (!starts || before.CopyThrough(p.batch_last, p.rows.get()) != p.batch_cells || !before.ok()) {
    failed_ = true;
  }
  const auto added = static_cast<int64_t>(p.differ.size() - differ_before);
  if (added > 0 && budget_->fetch_sub(added) < added) failed_ = true;
}

void CellCollector::Close(Part& part) {
  if (part.closed) return;
  if (part.before && !failed_) FlushBatch(part);
  part.closed = true;
  part.before.reset();
  if (part.rows) part.rows_taken = part.rows->Finish();
  part.rows.reset();
}

void CellCollector::Visit(size_t part, const LeafRange& leaf, const std::vector<LeafCell>& cells) {
  cells_seen_ += cells.size();
  if (failed_) return;
  Part& p = PartFor(part);
  if (p.closed) {  // a part mapped in two goes: not what MapTableLeaves does
    failed_ = true;
    return;
  }
  if (!cache_) {
    if (!p.rows) return;
    for (const LeafCell& c : cells) p.rows->AddEntry({c.rowid, 0, CellDigest(*key_, c)});
    return;
  }
  if (!p.started) {
    p.started = true;
    p.first = leaf.first;
    if (p.before) {
      p.before->SkipTo(leaf.first);
    } else {
      p.before = std::make_unique<PreviousCells>(*cache_, *cached_,
                                                 std::vector<RowidRange>{{leaf.first, kMaxRowid}});
    }
    p.then_at = static_cast<size_t>(
        std::partition_point(then_->begin(), then_->end(),
                             [&](const LeafRange& l) { return l.first < leaf.first; }) -
        then_->begin());
  }
  PreviousCells& before = *p.before;
  const size_t differ_before = p.differ.size();
  // The leaves of a part come in key order: `then` is walked forward.
  while (p.then_at < then_->size() && (*then_)[p.then_at].first < leaf.first) ++p.then_at;
  if (p.then_at < then_->size() && (*then_)[p.then_at] == leaf) {
    // The same leaf holds the same rows: their cached cells stand. Consecutive such leaves are
    // passed over together (FlushBatch).
    if (!p.batched) {
      p.batched = true;
      p.batch_first = leaf.first;
      p.batch_cells = 0;
    }
    p.batch_last = leaf.last;
    p.batch_cells += cells.size();
    p.last = leaf.last;
    return;
  }
  FlushBatch(p);
  // Previous rows up to `last` (included) that no cell of this leaf is: gone.
  auto gone_through = [&](int64_t last) {
    while (before.has() && before.cell().rowid <= last) {
      p.differ.push_back(before.cell().rowid);
      before.Advance();
    }
  };
  if (leaf.first > kMinRowid) gone_through(leaf.first - 1);
  {
    for (const LeafCell& c : cells) {
      gone_through(c.rowid - 1);  // cells are in increasing rowid order: c.rowid > kMinRowid
      const uint64_t d = CellDigest(*key_, c);
      if (before.has() && before.cell().rowid == c.rowid) {
        if (d == 0 || d != before.cell().digest) p.differ.push_back(c.rowid);
        before.Advance();
      } else {
        p.differ.push_back(c.rowid);  // a new row
      }
      if (p.rows) p.rows->AddEntry({c.rowid, 0, d});
    }
    gone_through(leaf.last);
  }
  p.last = leaf.last;
  const auto added = static_cast<int64_t>(p.differ.size() - differ_before);
  if (!before.ok() || (added > 0 && budget_->fetch_sub(added) < added)) failed_ = true;
}

bool CellCollector::Finish(std::vector<int64_t>* differ) {
  std::lock_guard<std::mutex> lock(mu_);
  bool all = true;
  for (auto& [n, part] : parts_) {
    Close(*part);
    all = all && part->rows_taken;
  }
  if (failed_ || !all) return false;
  if (!cache_) return true;
  // The rowids outside every part's leaves (before the first, between two parts, after the
  // last): no row of this snapshot has one, so every previous row there is gone.
  std::vector<RowidRange> gaps;
  std::optional<int64_t> from = kMinRowid;
  for (const auto& [n, part] : parts_) {
    if (!part->started) continue;
    if (!from || part->first < *from) return false;  // parts out of order
    if (part->first > *from) gaps.emplace_back(*from, part->first - 1);
    from = part->last == kMaxRowid ? std::nullopt : std::optional<int64_t>(part->last + 1);
  }
  if (from) gaps.emplace_back(*from, kMaxRowid);
  std::vector<int64_t> gone;
  PreviousCells before(*cache_, *cached_, gaps);
  for (; before.has(); before.Advance()) {
    if (budget_->fetch_sub(1) < 1) return false;
    gone.push_back(before.cell().rowid);
  }
  if (!before.ok()) return false;
  differ->clear();
  auto g = gone.begin();
  for (const auto& [n, part] : parts_) {
    for (int64_t rowid : part->differ) {
      for (; g != gone.end() && *g < rowid; ++g) differ->push_back(*g);
      differ->push_back(rowid);
    }
  }
  differ->insert(differ->end(), g, gone.end());
  return true;
}

CellVisitors VisitorsOf(const CellCollectors& collectors) {
  return [&collectors](const std::string& table) -> const LeafCellVisitor* {
    auto it = collectors.find(table);
    return it == collectors.end() ? nullptr : &it->second->visitor();
  };
}

std::vector<RowidRange> RangesBetween(std::optional<int64_t> lo, std::optional<int64_t> hi,
                                      const std::vector<int64_t>& differ) {
  // The rowids of [lo, hi) outside the ranges of one rowid each that `differ` holds there.
  std::vector<RowidRange> points;
  auto d = lo ? std::lower_bound(differ.begin(), differ.end(), *lo) : differ.begin();
  for (; d != differ.end() && (!hi || *d < *hi); ++d) points.emplace_back(*d, *d);
  return ChangedRowidRanges(lo, hi, points);
}

bool KeepCachedCells(const RowCache& cache, const RowCache::Table& cached, RowCacheWriter* writer,
                     const std::string& db, const std::string& table) {
  SpanRowRecorder recorder(
      writer->NewRows(db, table, CacheList::kCells),
      std::make_unique<RowCacheCursor>(
          cache, cached, std::vector<RowidRange>{{kMinRowid, kMaxRowid}}, CacheList::kCells));
  return recorder.Finish();
}

}  // namespace cofre
