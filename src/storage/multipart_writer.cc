#include "storage/multipart_writer.h"

#include <algorithm>

namespace cofre {

MultipartWriter::MultipartWriter(std::shared_ptr<PartUploader> uploader, size_t part_size,
                                 int max_parts_in_flight)
    : uploader_(std::move(uploader)),
      base_part_size_(part_size),
      max_in_flight_(std::max(1, max_parts_in_flight)) {}

MultipartWriter::~MultipartWriter() {
  if (!published_) AbortUpload();
}

size_t MultipartWriter::PartSize(size_t base, int number) {
  int doublings = (number - 1) / kPartsPerSizeStep;
  return base << std::min(doublings, 3);
}

Status MultipartWriter::Append(std::string_view data) {
  if (closed_) {
    return FailedPreconditionError("the writer of " + uploader_->Describe() + " is already closed");
  }
  if (!status_.ok()) return status_;
  while (!data.empty()) {
    size_t cap = PartSize(base_part_size_, next_part_);
    if (buffer_.size() == cap) {
      // Only flush once more data arrives, so an object of exactly one part is a single PUT.
      Status s = FlushPart();
      if (!s.ok()) return Fail(s);
      cap = PartSize(base_part_size_, next_part_);
    }
    size_t take = std::min(cap - buffer_.size(), data.size());
    buffer_.append(data.data(), take);
    appended_ += take;
    data.remove_prefix(take);
  }
  return Status::OK();
}

Status MultipartWriter::FlushPart() {
  if (!begun_) {
    RETURN_IF_ERROR(uploader_->Begin());
    begun_ = true;
  }
  if (next_part_ > uploader_->MaxParts()) {
    return ResourceExhaustedError(uploader_->Describe() + " needs more than " +
                                  std::to_string(uploader_->MaxParts()) +
                                  " parts; raise the part size");
  }
  while (static_cast<int>(in_flight_.size()) >= max_in_flight_) RETURN_IF_ERROR(WaitOldest());
  auto part = std::make_shared<std::string>(std::move(buffer_));
  buffer_ = std::string();
  buffer_.reserve(PartSize(base_part_size_, next_part_ + 1));
  const int number = next_part_++;
  InFlight f{number, std::async(std::launch::async, [uploader = uploader_, number, part] {
               return uploader->UploadPart(number, *part);
             })};
  in_flight_.push_back(std::move(f));
  return Status::OK();
}

Status MultipartWriter::WaitOldest() {
  InFlight f = std::move(in_flight_.front());
  in_flight_.pop_front();
  StatusOr<std::string> id = f.id.get();
  if (!id.ok()) return id.status();
  done_.push_back(UploadedPart{f.number, std::move(*id)});
  return Status::OK();
}

Status MultipartWriter::WaitAll() {
  Status first;
  while (!in_flight_.empty()) {
    Status s = WaitOldest();
    if (first.ok() && !s.ok()) first = s;
  }
  return first;
}

Status MultipartWriter::Close() {
  if (closed_) {
    return FailedPreconditionError("the writer of " + uploader_->Describe() + " is already closed");
  }
  closed_ = true;
  if (!status_.ok()) return status_;
  if (!begun_) {
    Status s = uploader_->PutWhole(buffer_);
    if (!s.ok()) return Fail(s);
  } else {
    Status s = buffer_.empty() ? Status::OK() : FlushPart();
    if (s.ok()) s = WaitAll();
    if (s.ok()) {
      std::sort(done_.begin(), done_.end(),
                [](const UploadedPart& a, const UploadedPart& b) { return a.number < b.number; });
      s = uploader_->Complete(done_, appended_);
    }
    if (!s.ok()) return Fail(s);
  }
  published_ = true;
  buffer_ = std::string();
  return Status::OK();
}

Status MultipartWriter::Fail(Status s) {
  status_ = s;
  AbortUpload();
  return s;
}

void MultipartWriter::AbortUpload() {
  WaitAll().IgnoreError();
  if (begun_) {
    uploader_->Abort();
    begun_ = false;
  }
}

}  // namespace cofre
