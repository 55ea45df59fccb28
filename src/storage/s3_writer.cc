#include "storage/s3_writer.h"

#include <algorithm>

namespace cofre {

S3Writer::S3Writer(std::shared_ptr<S3Client> client, std::string key, std::string storage_class,
                   size_t part_size, int max_parts_in_flight)
    : client_(std::move(client)),
      key_(std::move(key)),
      storage_class_(std::move(storage_class)),
      base_part_size_(part_size),
      max_in_flight_(std::max(1, max_parts_in_flight)) {}

S3Writer::~S3Writer() {
  if (!published_) AbortUpload();
}

size_t S3Writer::PartSize(size_t base, int number) {
  int doublings = (number - 1) / kPartsPerSizeStep;
  return base << std::min(doublings, 3);
}

Status S3Writer::Append(std::string_view data) {
  if (closed_) {
    return FailedPreconditionError("the writer of " + client_->Describe(key_) +
                                   " is already closed");
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

Status S3Writer::FlushPart() {
  if (upload_id_.empty()) {
    ASSIGN_OR_RETURN(upload_id_, client_->CreateMultipartUpload(key_, storage_class_));
  }
  if (next_part_ > kMaxParts) {
    return ResourceExhaustedError(client_->Describe(key_) + " needs more than " +
                                  std::to_string(kMaxParts) +
                                  " multipart parts; raise the S3 part size");
  }
  while (static_cast<int>(in_flight_.size()) >= max_in_flight_) RETURN_IF_ERROR(WaitOldest());
  auto part = std::make_shared<std::string>(std::move(buffer_));
  buffer_ = std::string();
  buffer_.reserve(PartSize(base_part_size_, next_part_ + 1));
  const int number = next_part_++;
  InFlight f{number, std::async(std::launch::async,
                                [client = client_, key = key_, id = upload_id_, number, part] {
                                  return client->UploadPart(key, id, number, *part);
                                })};
  in_flight_.push_back(std::move(f));
  return Status::OK();
}

Status S3Writer::WaitOldest() {
  InFlight f = std::move(in_flight_.front());
  in_flight_.pop_front();
  StatusOr<std::string> etag = f.etag.get();
  if (!etag.ok()) return etag.status();
  done_.push_back(S3CompletedPart{f.number, std::move(*etag)});
  return Status::OK();
}

Status S3Writer::WaitAll() {
  Status first;
  while (!in_flight_.empty()) {
    Status s = WaitOldest();
    if (first.ok() && !s.ok()) first = s;
  }
  return first;
}

Status S3Writer::Close() {
  if (closed_) {
    return FailedPreconditionError("the writer of " + client_->Describe(key_) +
                                   " is already closed");
  }
  closed_ = true;
  if (!status_.ok()) return status_;
  if (upload_id_.empty()) {
    Status s = client_->PutObject(key_, buffer_, storage_class_);
    if (!s.ok()) return Fail(s);
  } else {
    Status s = buffer_.empty() ? Status::OK() : FlushPart();
    if (s.ok()) s = WaitAll();
    if (s.ok()) {
      std::sort(done_.begin(), done_.end(), [](const S3CompletedPart& a, const S3CompletedPart& b) {
        return a.number < b.number;
      });
      s = client_->CompleteMultipartUpload(key_, upload_id_, done_, appended_);
    }
    if (!s.ok()) return Fail(s);
  }
  published_ = true;
  buffer_ = std::string();
  return Status::OK();
}

Status S3Writer::Fail(Status s) {
  status_ = s;
  AbortUpload();
  return s;
}

void S3Writer::AbortUpload() {
  WaitAll().IgnoreError();
  if (!upload_id_.empty()) {
    client_->AbortMultipartUpload(key_, upload_id_).IgnoreError();
    upload_id_.clear();
  }
}

}  // namespace cofre
