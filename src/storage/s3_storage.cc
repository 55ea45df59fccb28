#include "storage/s3_storage.h"

#include <algorithm>

#include "storage/multipart_writer.h"
#include "storage/object_path.h"
#include "storage/ranged_reader.h"
#include "util/ascii.h"

namespace cofre {
namespace {

constexpr size_t kMinPartSize = 5 << 20;
constexpr size_t kMaxPartSize = size_t{5} << 30;

// True when the endpoint's host is an IP literal or localhost (no virtual-hosted buckets there).
bool IsIpOrLocalhost(std::string_view endpoint) {
  if (size_t p = endpoint.find("://"); p != std::string_view::npos) endpoint.remove_prefix(p + 3);
  endpoint = endpoint.substr(0, endpoint.find('/'));
  if (endpoint.starts_with('[')) return true;  // IPv6 literal
  std::string_view host = endpoint.substr(0, endpoint.rfind(':'));
  if (AsciiLower(host) == "localhost") return true;
  return !host.empty() && host.find_first_not_of("0123456789.") == std::string_view::npos;
}

// One object's S3 multipart upload (at most 10 000 parts).
class S3PartUploader : public PartUploader {
 public:
  S3PartUploader(std::shared_ptr<S3Client> client, std::string key, std::string storage_class)
      : client_(std::move(client)),
        key_(std::move(key)),
        storage_class_(std::move(storage_class)) {}

  std::string Describe() const override { return client_->Describe(key_); }
  int MaxParts() const override { return 10'000; }
  Status PutWhole(std::string_view body) override {
    return client_->PutObject(key_, body, storage_class_);
  }
  Status Begin() override {
    ASSIGN_OR_RETURN(upload_id_, client_->CreateMultipartUpload(key_, storage_class_));
    return Status::OK();
  }
  StatusOr<std::string> UploadPart(int number, std::string_view body) override {
    return client_->UploadPart(key_, upload_id_, number, body);
  }
  Status Complete(const std::vector<UploadedPart>& parts, uint64_t total_size) override {
    std::vector<S3CompletedPart> completed;
    completed.reserve(parts.size());
    for (const UploadedPart& p : parts) completed.push_back(S3CompletedPart{p.number, p.id});
    return client_->CompleteMultipartUpload(key_, upload_id_, completed, total_size);
  }
  void Abort() override {
    if (!upload_id_.empty()) client_->AbortMultipartUpload(key_, upload_id_).IgnoreError();
  }

 private:
  std::shared_ptr<S3Client> client_;
  const std::string key_;
  const std::string storage_class_;
  std::string upload_id_;  // set by Begin(), before any UploadPart
};

}  // namespace

const std::vector<std::string_view>& S3UriParams() {
  static const std::vector<std::string_view> kParams = {"AWS_ACCESS_KEY_ID",
                                                        "AWS_SECRET_ACCESS_KEY",
                                                        "AWS_SESSION_TOKEN",
                                                        "AWS_REGION",
                                                        "AWS_ENDPOINT",
                                                        "AWS_USE_PATH_STYLE",
                                                        "AUTH",
                                                        "S3_STORAGE_CLASS",
                                                        "COCKROACH_LOCALITY"};
  return kParams;
}

Status S3Settings::Validate() const {
  if (part_size < kMinPartSize || part_size > kMaxPartSize) {
    return InvalidArgumentError("S3 part size must be between 5 MiB and 5 GiB, got " +
                                std::to_string(part_size) + " bytes");
  }
  if (max_parts_in_flight < 1 || max_parts_in_flight > 64) {
    return InvalidArgumentError("S3 max parts in flight must be between 1 and 64, got " +
                                std::to_string(max_parts_in_flight));
  }
  if (list_page_size < 1 || list_page_size > 1000) {
    return InvalidArgumentError("S3 list page size must be between 1 and 1000, got " +
                                std::to_string(list_page_size));
  }
  return retry.Validate();
}

S3Storage::S3Storage(std::shared_ptr<S3Client> client, std::string base_prefix,
                     std::string storage_class, S3Settings settings, std::string redacted_uri)
    : client_(std::move(client)),
      base_prefix_(std::move(base_prefix)),
      storage_class_(std::move(storage_class)),
      settings_(std::move(settings)),
      redacted_uri_(std::move(redacted_uri)) {}

StatusOr<std::string> S3Storage::KeyFor(const std::string& path) const {
  RETURN_IF_ERROR(ValidateObjectPath(path, redacted_uri_));
  return base_prefix_ + path;
}

StatusOr<std::unique_ptr<ByteSink>> S3Storage::NewWriter(const std::string& path) {
  ASSIGN_OR_RETURN(std::string key, KeyFor(path));
  return std::unique_ptr<ByteSink>(
      new MultipartWriter(std::make_shared<S3PartUploader>(client_, std::move(key), storage_class_),
                          settings_.part_size, settings_.max_parts_in_flight));
}

StatusOr<std::unique_ptr<RandomAccessSource>> S3Storage::NewReader(const std::string& path,
                                                                   const ReaderOptions& options) {
  ASSIGN_OR_RETURN(std::string key, KeyFor(path));
  auto pin = std::make_shared<ObjectPin>();
  if (options.expected_size) {
    pin->size = *options.expected_size;  // no HEAD: the first GET checks it (ReaderOptions)
  } else {
    ASSIGN_OR_RETURN(S3ObjectInfo info, client_->HeadObject(key));
    pin->etag = info.etag;
    pin->size = info.size;
  }
  const uint64_t size = pin->size;
  RangeFetch fetch = [client = client_, key, pin](uint64_t offset, size_t n, char* out) {
    return client->GetRange(key, offset, n, pin, out);
  };
  RangeOpen open = [client = client_, key, pin](uint64_t offset) {
    return client->OpenRange(key, offset, pin->size - std::min(offset, pin->size), pin);
  };
  return std::unique_ptr<RandomAccessSource>(
      new RangedReader(std::move(fetch), std::move(open), client_->Describe(key), size));
}

StatusOr<std::string> S3Storage::ReadSmall(const std::string& path, size_t max_bytes) {
  ASSIGN_OR_RETURN(std::string key, KeyFor(path));
  StatusOr<std::string> body = client_->GetObject(key, max_bytes);
  if (body.status().code() == StatusCode::kResourceExhausted) {
    return SmallFileTooLargeError(DescribeObject(path, redacted_uri_), std::nullopt, max_bytes);
  }
  return body;
}

StatusOr<uint64_t> S3Storage::Size(const std::string& path) {
  ASSIGN_OR_RETURN(std::string key, KeyFor(path));
  ASSIGN_OR_RETURN(S3ObjectInfo info, client_->HeadObject(key));
  return info.size;
}

Status S3Storage::List(const std::string& prefix, const std::string& delimiter,
                       const std::function<Status(const ListEntry&)>& fn) {
  RETURN_IF_ERROR(ValidateListPrefix(prefix, redacted_uri_));
  const std::string full_prefix = base_prefix_ + prefix;
  std::string token;
  while (true) {
    ASSIGN_OR_RETURN(S3ListPage page, client_->ListObjectsV2(full_prefix, delimiter, token,
                                                             settings_.list_page_size));
    // S3 returns a page's objects and common prefixes in two sorted lists; merge them.
    size_t oi = 0, pi = 0;
    while (oi < page.objects.size() || pi < page.common_prefixes.size()) {
      bool take_object =
          pi == page.common_prefixes.size() ||
          (oi < page.objects.size() && page.objects[oi].key < page.common_prefixes[pi]);
      ListEntry e;
      const std::string& key = take_object ? page.objects[oi].key : page.common_prefixes[pi];
      if (take_object) {
        e.size = page.objects[oi++].size;
      } else {
        e.is_prefix = true;
        ++pi;
      }
      // Skip anything outside the base path, and a "directory marker" object for the base.
      if (!key.starts_with(base_prefix_) || key.size() == base_prefix_.size()) continue;
      e.path = key.substr(base_prefix_.size());
      RETURN_IF_ERROR(fn(e));
    }
    if (!page.is_truncated) return Status::OK();
    if (page.next_continuation_token == token) {
      return UnavailableError("S3 repeated a continuation token while listing '" + prefix +
                              "' in " + redacted_uri_);
    }
    token = page.next_continuation_token;
  }
}

Status S3Storage::Delete(const std::string& path) {
  ASSIGN_OR_RETURN(std::string key, KeyFor(path));
  return client_->DeleteObject(key);
}

Status S3Storage::DeleteMany(const std::vector<std::string>& paths) {
  std::vector<std::string> keys;
  keys.reserve(paths.size());
  for (const std::string& p : paths) {
    ASSIGN_OR_RETURN(std::string key, KeyFor(p));
    keys.push_back(std::move(key));
  }
  return client_->DeleteObjects(keys);
}

StatusOr<std::unique_ptr<S3Storage>> OpenS3Storage(const Uri& uri, const S3Settings& settings) {
  const std::string redacted = uri.Redacted(SecretUriParams());
  if (uri.scheme != "s3") {
    return InvalidArgumentError("'" + redacted + "' is not an s3:// URI");
  }
  RETURN_IF_ERROR(CheckKnownUriParams(uri, S3UriParams(), "s3", redacted));
  RETURN_IF_ERROR(settings.Validate());
  if (uri.host.empty()) {
    return InvalidArgumentError("s3 URI '" + redacted +
                                "' names no bucket; use s3://bucket/path?...");
  }

  std::string_view path = uri.path;
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  std::string base_prefix;
  if (!path.empty()) {
    RETURN_IF_ERROR(ValidateObjectPath(path, redacted).Annotate("base path of the s3 URI"));
    base_prefix = std::string(path) + "/";
  }

  ASSIGN_OR_RETURN(AwsAuthMode mode, ParseAwsAuthMode(uri.Param("AUTH"), redacted));
  AwsCredentialParams given;
  given.access_key_id = uri.Param("AWS_ACCESS_KEY_ID");
  given.secret_access_key = uri.Param("AWS_SECRET_ACCESS_KEY");
  given.session_token = uri.Param("AWS_SESSION_TOKEN");

  S3ClientConfig config;
  ASSIGN_OR_RETURN(config.credentials, ResolveAwsCredentials(mode, given, redacted, settings.env));
  config.bucket = uri.host;
  config.region = uri.Param("AWS_REGION").value_or("");
  if (config.region.empty()) config.region = ImplicitAwsRegion(settings.env).value_or("us-east-1");
  config.endpoint = uri.Param("AWS_ENDPOINT").value_or("");
  if (auto ps = uri.Param("AWS_USE_PATH_STYLE")) {
    std::string v = AsciiLower(*ps);
    if (v == "true" || v == "1") {
      config.path_style = true;
    } else if (v == "false" || v == "0" || v.empty()) {
      config.path_style = false;
    } else {
      return InvalidArgumentError("AWS_USE_PATH_STYLE=" + *ps + " in '" + redacted +
                                  "' must be true or false");
    }
  } else {
    config.path_style = !config.endpoint.empty() && IsIpOrLocalhost(config.endpoint);
  }
  std::string storage_class = uri.Param("S3_STORAGE_CLASS").value_or("");
  if (storage_class.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
      std::string::npos) {
    return InvalidArgumentError("S3_STORAGE_CLASS=" + storage_class + " in '" + redacted +
                                "' is not a storage class; use e.g. STANDARD, STANDARD_IA, "
                                "INTELLIGENT_TIERING, GLACIER_IR");
  }
  config.retry = settings.retry;
  config.connect_timeout = settings.connect_timeout;
  config.stall_timeout = settings.stall_timeout;
  config.ca_file = settings.ca_file;
  config.display = redacted;
  ASSIGN_OR_RETURN(std::unique_ptr<S3Client> client, S3Client::New(std::move(config)));
  return std::make_unique<S3Storage>(std::shared_ptr<S3Client>(std::move(client)),
                                     std::move(base_prefix), std::move(storage_class), settings,
                                     redacted);
}

StatusOr<std::unique_ptr<ExternalStorage>> NewS3Storage(const Uri& uri,
                                                        const S3Settings& settings) {
  ASSIGN_OR_RETURN(std::unique_ptr<S3Storage> s, OpenS3Storage(uri, settings));
  return std::unique_ptr<ExternalStorage>(std::move(s));
}

}  // namespace cofre
