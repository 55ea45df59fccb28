#include "backup/stored_file.h"

#include "crypto/random_access_decryptor.h"
#include "crypto/streaming_aead.h"
#include "util/sha256.h"

namespace cofre {
namespace {

// Counts and digests the bytes going to storage.
class IntegritySink : public ByteSink {
 public:
  IntegritySink(std::unique_ptr<ByteSink> dest, StoredFileInfo* info)
      : dest_(std::move(dest)), info_(info) {}
  Status Append(std::string_view data) override {
    sha_.Update(data);
    bytes_ += data.size();
    return dest_->Append(data);
  }
  Status Close() override {
    RETURN_IF_ERROR(dest_->Close());
    if (info_) *info_ = StoredFileInfo{bytes_, sha_.Finish()};
    return Status::OK();
  }
  uint64_t BytesAppended() const override { return bytes_; }

 private:
  std::unique_ptr<ByteSink> dest_;
  StoredFileInfo* info_;
  Sha256 sha_;
  uint64_t bytes_ = 0;
};

Status WrongSizeError(const std::string& path, uint64_t expected_bytes) {
  return DataLossError("backup file " + path + " has the wrong size (manifest says " +
                       std::to_string(expected_bytes) +
                       " bytes): it was truncated, extended or replaced");
}

// Checks the stored bytes against the manifest at end of stream, and names the file in errors.
class CheckedSource : public ByteSource {
 public:
  CheckedSource(std::unique_ptr<ByteSource> src, std::string path,
                std::optional<StoredFileInfo> expected)
      : src_(std::move(src)), path_(std::move(path)), expected_(std::move(expected)) {}
  StatusOr<size_t> Read(char* buf, size_t n) override {
    auto r = src_->Read(buf, n);
    if (!r.ok()) return r.status().Annotate("backup file " + path_);
    if (!expected_) return r;
    if (*r > 0) {
      sha_.Update(std::string_view(buf, *r));
      bytes_ += *r;
      if (bytes_ > expected_->bytes) return SizeError();
      return r;
    }
    if (bytes_ != expected_->bytes) return SizeError();
    if (!checked_) {
      checked_ = true;
      if (sha_.Finish() != expected_->sha256) {
        return DataLossError("backup file " + path_ +
                             " does not match the checksum in its manifest: it was modified or "
                             "replaced");
      }
    }
    return r;
  }

 private:
  Status SizeError() const { return WrongSizeError(path_, expected_->bytes); }
  std::unique_ptr<ByteSource> src_;
  std::string path_;
  std::optional<StoredFileInfo> expected_;
  Sha256 sha_;
  uint64_t bytes_ = 0;
  bool checked_ = false;
};

// Names the file in errors from the decryption layer.
class NamingSource : public ByteSource {
 public:
  NamingSource(std::unique_ptr<ByteSource> src, std::string path)
      : src_(std::move(src)), path_(std::move(path)) {}
  StatusOr<size_t> Read(char* buf, size_t n) override {
    auto r = src_->Read(buf, n);
    if (!r.ok() && r.status().message().find(path_) == std::string::npos) {
      return r.status().Annotate("backup file " + path_);
    }
    return r;
  }

 private:
  std::unique_ptr<ByteSource> src_;
  std::string path_;
};

}  // namespace

StatusOr<std::unique_ptr<ByteSink>> OpenStoredFileWriter(ExternalStorage& storage,
                                                         const std::string& path,
                                                         const ChainCrypto& crypto,
                                                         StoredFileInfo* info) {
  ASSIGN_OR_RETURN(std::unique_ptr<ByteSink> raw, storage.NewWriter(path));
  std::unique_ptr<ByteSink> sink = std::make_unique<IntegritySink>(std::move(raw), info);
  if (crypto.encrypted()) {
    ASSIGN_OR_RETURN(sink, NewEncryptingSink(std::move(sink), *crypto.data_key,
                                             FileContext(crypto.chain_id, path)));
  }
  return sink;
}

namespace {

// A backup file opened with the size its manifest gives, which spares object stores a size
// lookup (ReaderOptions in storage/external_storage.h): such a store learns at the first read
// that the file is missing or of another size. Those errors say so as they would at the open;
// the reader's consumer names the file.
class ManifestSizedSource : public RandomAccessSource {
 public:
  ManifestSizedSource(std::unique_ptr<RandomAccessSource> src, std::string uri,
                      uint64_t expected_bytes)
      : src_(std::move(src)), uri_(std::move(uri)), expected_bytes_(expected_bytes) {}
  uint64_t Size() const override { return src_->Size(); }
  StatusOr<size_t> Read(char* buf, size_t n) override { return Named(src_->Read(buf, n)); }
  StatusOr<size_t> ReadAt(uint64_t offset, char* buf, size_t n) override {
    return Named(src_->ReadAt(offset, buf, n));
  }

 private:
  StatusOr<size_t> Named(StatusOr<size_t> r) const {
    if (r.ok()) return r;
    if (IsNotFound(r.status())) return NotFoundError("it is missing from " + uri_);
    if (r.status().detail() == ErrorDetail::kWrongObjectSize) {
      return DataLossError("it has the wrong size (manifest says " +
                           std::to_string(expected_bytes_) +
                           " bytes): it was truncated, extended or replaced");
    }
    return r;
  }

  std::unique_ptr<RandomAccessSource> src_;
  const std::string uri_;
  const uint64_t expected_bytes_;
};

// Opens `path` on `storage`, refusing a size other than `expected_bytes` (when given) before any
// of its bytes are decoded where the store knows the size at the open (at the first read on
// object stores: ManifestSizedSource), so that the error says what happened to the file
// (missing, truncated, extended, or swapped with another).
StatusOr<std::unique_ptr<RandomAccessSource>> OpenRaw(ExternalStorage& storage,
                                                      const std::string& path,
                                                      std::optional<uint64_t> expected_bytes) {
  ReaderOptions options;
  options.expected_size = expected_bytes;
  auto raw = storage.NewReader(path, options);
  if (!raw.ok()) {
    if (IsNotFound(raw.status())) {
      return NotFoundError("backup file " + path + " is missing from " + storage.RedactedUri());
    }
    return raw.status().Annotate("backup file " + path);
  }
  if (!expected_bytes) return std::move(*raw);
  if ((*raw)->Size() != *expected_bytes) return WrongSizeError(path, *expected_bytes);
  return std::unique_ptr<RandomAccessSource>(
      new ManifestSizedSource(std::move(*raw), storage.RedactedUri(), *expected_bytes));
}

// The plaintext of stored bytes read from `raw`: checked against `expected`, then decrypted.
StatusOr<std::unique_ptr<ByteSource>> StoredPlaintext(
    std::unique_ptr<ByteSource> raw, const std::string& path, const ChainCrypto& crypto,
    const std::optional<StoredFileInfo>& expected) {
  std::unique_ptr<ByteSource> src = std::make_unique<CheckedSource>(std::move(raw), path, expected);
  if (crypto.encrypted()) {
    // The header is read here: name the file in its errors too (bad magic, version, chunk size).
    auto decrypting =
        NewDecryptingSource(std::move(src), *crypto.data_key, FileContext(crypto.chain_id, path));
    if (!decrypting.ok()) {
      const Status& st = decrypting.status();
      return st.message().find(path) == std::string::npos ? st.Annotate("backup file " + path) : st;
    }
    src = std::make_unique<NamingSource>(std::move(*decrypting), path);
  }
  return src;
}

}  // namespace

StatusOr<std::unique_ptr<ByteSource>> OpenStoredFileReader(
    ExternalStorage& storage, const std::string& path, const ChainCrypto& crypto,
    const std::optional<StoredFileInfo>& expected) {
  ASSIGN_OR_RETURN(
      auto raw,
      OpenRaw(storage, path, expected ? std::optional<uint64_t>(expected->bytes) : std::nullopt));
  return StoredPlaintext(std::move(raw), path, crypto, expected);
}

namespace {

class PlainRanges : public StoredFileRanges {
 public:
  PlainRanges(std::unique_ptr<RandomAccessSource> src, std::string path)
      : src_(std::move(src)), path_(std::move(path)) {}
  uint64_t plaintext_size() const override { return src_->Size(); }
  Status Read(uint64_t offset, size_t n, std::string* out) override {
    if (offset > src_->Size() || n > src_->Size() - offset) {
      return DataLossError("backup file " + path_ + " is corrupt: a read past its end");
    }
    out->resize(n);
    auto got = ReadFullyAt(*src_, offset, out->data(), n);
    if (!got.ok()) return got.status().Annotate("backup file " + path_);
    if (*got != n) return DataLossError("backup file " + path_ + " is shorter than its size");
    return Status::OK();
  }

 private:
  std::unique_ptr<RandomAccessSource> src_;
  std::string path_;
};

class DecryptedRanges : public StoredFileRanges {
 public:
  DecryptedRanges(std::unique_ptr<RandomAccessSource> src, std::string path)
      : src_(std::move(src)), path_(std::move(path)) {}
  Status Init(const ChainCrypto& crypto) {
    auto d = streaming_aead::RandomAccessDecryptor::New(src_.get(), src_->Size(), *crypto.data_key,
                                                        FileContext(crypto.chain_id, path_));
    if (!d.ok()) return d.status().Annotate("backup file " + path_);
    decryptor_ = std::move(*d);
    return Status::OK();
  }
  uint64_t plaintext_size() const override { return decryptor_->plaintext_size(); }
  Status Read(uint64_t offset, size_t n, std::string* out) override {
    Status st = decryptor_->Read(offset, n, out);
    return st.ok() ? st : st.Annotate("backup file " + path_);
  }

 private:
  std::unique_ptr<RandomAccessSource> src_;
  std::string path_;
  std::unique_ptr<streaming_aead::RandomAccessDecryptor> decryptor_;
};

}  // namespace

StatusOr<std::unique_ptr<StoredFileRanges>> OpenStoredFileRanges(ExternalStorage& storage,
                                                                 const std::string& path,
                                                                 const ChainCrypto& crypto,
                                                                 uint64_t stored_bytes) {
  ASSIGN_OR_RETURN(auto raw, OpenRaw(storage, path, stored_bytes));
  if (!crypto.encrypted()) {
    return std::unique_ptr<StoredFileRanges>(new PlainRanges(std::move(raw), path));
  }
  auto ranges = std::make_unique<DecryptedRanges>(std::move(raw), path);
  RETURN_IF_ERROR(ranges->Init(crypto));
  return std::unique_ptr<StoredFileRanges>(std::move(ranges));
}

Status WriteStoredFile(ExternalStorage& storage, const std::string& path, const ChainCrypto& crypto,
                       std::string_view contents, StoredFileInfo* info) {
  StoredFileInfo local;
  ASSIGN_OR_RETURN(auto sink, OpenStoredFileWriter(storage, path, crypto, info ? info : &local));
  RETURN_IF_ERROR(sink->Append(contents));
  return sink->Close();
}

StatusOr<std::string> FetchStoredFile(ExternalStorage& storage, const std::string& path,
                                      size_t max_bytes) {
  // Every stored form of `max_bytes` of plaintext that cofre writes fits this.
  const uint64_t stored_max = EncryptedSize(max_bytes);
  auto stored = storage.ReadSmall(path, static_cast<size_t>(stored_max));
  if (stored.ok()) return stored;
  if (IsNotFound(stored.status())) {
    return NotFoundError("backup file " + path + " is missing from " + storage.RedactedUri());
  }
  return stored.status().Annotate("backup file " + path);
}

StatusOr<std::string> DecodeStoredFile(std::string stored, const std::string& path,
                                       const ChainCrypto& crypto, size_t max_bytes) {
  ASSIGN_OR_RETURN(auto src, StoredPlaintext(std::make_unique<StringSource>(std::move(stored)),
                                             path, crypto, std::nullopt));
  return ReadAll(*src, max_bytes);
}

}  // namespace cofre
