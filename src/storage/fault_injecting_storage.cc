#include "storage/fault_injecting_storage.h"

#include <algorithm>
#include <map>
#include <utility>

namespace cofre {

std::string_view StorageOpName(StorageOp op) {
  switch (op) {
    case StorageOp::kNewWriter:
      return "NewWriter";
    case StorageOp::kAppend:
      return "Append";
    case StorageOp::kClose:
      return "Close";
    case StorageOp::kNewReader:
      return "NewReader";
    case StorageOp::kRead:
      return "Read";
    case StorageOp::kSize:
      return "Size";
    case StorageOp::kList:
      return "List";
    case StorageOp::kDelete:
      return "Delete";
  }
  return "Unknown";
}

// Rules, corruptions and counters, shared by the storage, its readers and its
// writers.
class FaultInjectingStorage::State {
 public:
  // What readers of one path see: a size limit and bytes to flip (offset -> XOR
  // mask).
  struct ReadView {
    std::optional<uint64_t> truncate_to;
    std::map<uint64_t, uint8_t> flips;
  };

  // Counts an operation and decides whether it fails.
  std::optional<Injection> Check(StorageOp op, std::string_view path) {
    std::lock_guard<std::mutex> lock(mu_);
    ++counts_[static_cast<int>(op)];
    std::optional<Injection> result;
    for (RuleState& rs : rules_) {
      const FaultRule& r = rs.rule;
      if (r.op != op || path.find(r.path_contains) == std::string_view::npos) continue;
      ++rs.matched;
      if (result.has_value()) continue;
      if (r.max_failures != 0 && rs.failed >= r.max_failures) continue;
      bool fires = (r.nth == 0 && r.every == 0) || (r.nth != 0 && rs.matched == r.nth) ||
                   (r.every != 0 && rs.matched % r.every == 0);
      if (!fires) continue;
      ++rs.failed;
      ++injected_;
      result = Injection{r.error, r.after_effect};
    }
    return result;
  }

  ReadView ViewFor(std::string_view path) const {
    std::lock_guard<std::mutex> lock(mu_);
    ReadView view;
    for (const ReadCorruption& c : corruptions_) {
      if (path.find(c.path_contains) == std::string_view::npos) continue;
      if (c.truncate_to.has_value()) {
        view.truncate_to = std::min(view.truncate_to.value_or(*c.truncate_to), *c.truncate_to);
      }
      for (uint64_t off : c.flip_offsets) view.flips[off] ^= c.flip_mask;
    }
    return view;
  }

  void AddRule(FaultRule rule) {
    std::lock_guard<std::mutex> lock(mu_);
    rules_.push_back(RuleState{std::move(rule)});
  }

  void AddCorruption(ReadCorruption c) {
    std::lock_guard<std::mutex> lock(mu_);
    corruptions_.push_back(std::move(c));
  }

  void Clear() {
    std::lock_guard<std::mutex> lock(mu_);
    rules_.clear();
    corruptions_.clear();
  }

  uint64_t OpCount(StorageOp op) const {
    std::lock_guard<std::mutex> lock(mu_);
    return counts_[static_cast<int>(op)];
  }

  uint64_t InjectedCount() const {
    std::lock_guard<std::mutex> lock(mu_);
    return injected_;
  }

 private:
  struct RuleState {
    FaultRule rule;
    uint64_t matched = 0;
    uint64_t failed = 0;
  };

  mutable std::mutex mu_;
  std::vector<RuleState> rules_;
  std::vector<ReadCorruption> corruptions_;
  uint64_t counts_[kNumStorageOps] = {};
  uint64_t injected_ = 0;
};

namespace {

using State = FaultInjectingStorage::State;

// Forwards to a base writer unless a rule fires; sticky once failed.
class FaultInjectingWriter : public ByteSink {
 public:
  FaultInjectingWriter(std::shared_ptr<State> state, std::string path,
                       std::unique_ptr<ByteSink> base)
      : state_(std::move(state)), path_(std::move(path)), base_(std::move(base)) {}

  Status Append(std::string_view data) override {
    if (!status_.ok()) return status_;
    std::optional<FaultInjectingStorage::Injection> inj = state_->Check(StorageOp::kAppend, path_);
    if (inj && !inj->after_effect) return Fail(inj->error);
    Status s = base_->Append(data);
    if (!s.ok()) return Fail(s);
    appended_ += data.size();
    if (inj) return Fail(inj->error);
    return Status::OK();
  }

  Status Close() override {
    if (!status_.ok()) return status_;
    std::optional<FaultInjectingStorage::Injection> inj = state_->Check(StorageOp::kClose, path_);
    if (inj && !inj->after_effect) return Fail(inj->error);
    Status s = base_->Close();
    if (!s.ok()) return Fail(s);
    if (inj) return Fail(inj->error);
    return Status::OK();
  }

  uint64_t BytesAppended() const override { return appended_; }

 private:
  // Records a sticky failure and abandons the base writer (it publishes
  // nothing).
  Status Fail(Status s) {
    status_ = s;
    base_.reset();
    return s;
  }

  std::shared_ptr<State> state_;
  const std::string path_;
  std::unique_ptr<ByteSink> base_;
  uint64_t appended_ = 0;
  Status status_;
};

// Forwards to a base reader, failing reads by rule and truncating or flipping
// bytes.
class FaultInjectingReader : public RandomAccessSource {
 public:
  FaultInjectingReader(std::shared_ptr<State> state, std::string path,
                       std::unique_ptr<RandomAccessSource> base, State::ReadView view)
      : state_(std::move(state)),
        path_(std::move(path)),
        base_(std::move(base)),
        view_(std::move(view)) {}

  uint64_t Size() const override {
    uint64_t size = base_->Size();
    return view_.truncate_to ? std::min(size, *view_.truncate_to) : size;
  }

  StatusOr<size_t> Read(char* buf, size_t n) override {
    std::optional<FaultInjectingStorage::Injection> inj = state_->Check(StorageOp::kRead, path_);
    if (inj && !inj->after_effect) return inj->error;
    n = Clip(pos_, n);
    size_t got = 0;
    if (n > 0) {
      ASSIGN_OR_RETURN(got, base_->Read(buf, n));
    }
    Corrupt(pos_, buf, got);
    pos_ += got;
    if (inj) return inj->error;
    return got;
  }

  StatusOr<size_t> ReadAt(uint64_t offset, char* buf, size_t n) override {
    std::optional<FaultInjectingStorage::Injection> inj = state_->Check(StorageOp::kRead, path_);
    if (inj && !inj->after_effect) return inj->error;
    n = Clip(offset, n);
    size_t got = 0;
    if (n > 0) {
      ASSIGN_OR_RETURN(got, base_->ReadAt(offset, buf, n));
    }
    Corrupt(offset, buf, got);
    if (inj) return inj->error;
    return got;
  }

 private:
  size_t Clip(uint64_t offset, size_t n) const {
    if (!view_.truncate_to) return n;
    if (offset >= *view_.truncate_to) return 0;
    return static_cast<size_t>(std::min<uint64_t>(n, *view_.truncate_to - offset));
  }

  void Corrupt(uint64_t offset, char* buf, size_t n) const {
    for (auto it = view_.flips.lower_bound(offset);
         it != view_.flips.end() && it->first < offset + n; ++it) {
      buf[it->first - offset] = static_cast<char>(buf[it->first - offset] ^ it->second);
    }
  }

  std::shared_ptr<State> state_;
  const std::string path_;
  std::unique_ptr<RandomAccessSource> base_;
  const State::ReadView view_;
  uint64_t pos_ = 0;
};

}  // namespace

FaultInjectingStorage::FaultInjectingStorage(ExternalStorage* base)
    : base_(base), state_(std::make_shared<State>()) {}

FaultInjectingStorage::FaultInjectingStorage(std::unique_ptr<ExternalStorage> base)
    : owned_(std::move(base)), base_(owned_.get()), state_(std::make_shared<State>()) {}

void FaultInjectingStorage::AddRule(FaultRule rule) { state_->AddRule(std::move(rule)); }

void FaultInjectingStorage::AddCorruption(ReadCorruption corruption) {
  state_->AddCorruption(std::move(corruption));
}

void FaultInjectingStorage::ClearFaults() { state_->Clear(); }

uint64_t FaultInjectingStorage::OpCount(StorageOp op) const { return state_->OpCount(op); }

uint64_t FaultInjectingStorage::InjectedFailureCount() const { return state_->InjectedCount(); }

std::string FaultInjectingStorage::RedactedUri() const { return base_->RedactedUri(); }

StatusOr<std::unique_ptr<ByteSink>> FaultInjectingStorage::NewWriter(const std::string& path) {
  std::optional<Injection> inj = state_->Check(StorageOp::kNewWriter, path);
  if (inj && !inj->after_effect) return inj->error;
  ASSIGN_OR_RETURN(std::unique_ptr<ByteSink> base, base_->NewWriter(path));
  if (inj) return inj->error;  // the base writer is abandoned
  return std::unique_ptr<ByteSink>(new FaultInjectingWriter(state_, path, std::move(base)));
}

StatusOr<std::unique_ptr<RandomAccessSource>> FaultInjectingStorage::NewReader(
    const std::string& path, const ReaderOptions& options) {
  std::optional<Injection> inj = state_->Check(StorageOp::kNewReader, path);
  if (inj && !inj->after_effect) return inj->error;
  ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessSource> base, base_->NewReader(path, options));
  if (inj) return inj->error;
  return std::unique_ptr<RandomAccessSource>(
      new FaultInjectingReader(state_, path, std::move(base), state_->ViewFor(path)));
}

StatusOr<uint64_t> FaultInjectingStorage::Size(const std::string& path) {
  std::optional<Injection> inj = state_->Check(StorageOp::kSize, path);
  if (inj && !inj->after_effect) return inj->error;
  ASSIGN_OR_RETURN(uint64_t size, base_->Size(path));
  if (inj) return inj->error;
  State::ReadView view = state_->ViewFor(path);
  return view.truncate_to ? std::min(size, *view.truncate_to) : size;
}

Status FaultInjectingStorage::List(const std::string& prefix, const std::string& delimiter,
                                   const std::function<Status(const ListEntry&)>& fn) {
  std::optional<Injection> inj = state_->Check(StorageOp::kList, prefix);
  if (inj && !inj->after_effect) return inj->error;
  RETURN_IF_ERROR(base_->List(prefix, delimiter, [&](const ListEntry& entry) {
    if (entry.is_prefix) return fn(entry);
    State::ReadView view = state_->ViewFor(entry.path);
    if (!view.truncate_to || *view.truncate_to >= entry.size) return fn(entry);
    ListEntry truncated = entry;
    truncated.size = *view.truncate_to;
    return fn(truncated);
  }));
  if (inj) return inj->error;
  return Status::OK();
}

Status FaultInjectingStorage::Delete(const std::string& path) {
  std::optional<Injection> inj = state_->Check(StorageOp::kDelete, path);
  if (inj && !inj->after_effect) return inj->error;
  RETURN_IF_ERROR(base_->Delete(path));
  if (inj) return inj->error;
  return Status::OK();
}

Status FaultInjectingStorage::RemoveLeftovers(const std::string& dir) {
  return base_->RemoveLeftovers(dir);
}

Status FaultInjectingStorage::RemoveInterruptedWrites(const std::string& path) {
  return base_->RemoveInterruptedWrites(path);
}

}  // namespace cofre
