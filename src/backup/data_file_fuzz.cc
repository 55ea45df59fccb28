// libFuzzer target for the data file decoder (backup/data_file_reader.h: magic "CFD1", zstd
// stream of length-prefixed records, end record) and the row codec (backup/row_codec.h).
//
// Input: a flags byte, then the body. Flags bit 0: store the file encrypted (a fixed chain key).
// Bit 1: the body is the decompressed record stream, and the target frames it (magic + one zstd
// frame) so that mutations reach the record decoding instead of failing in zstd; otherwise the
// body is the whole plaintext file. Bit 2: the manifest's size for the file is off by one.
// Bit 3: the file has a frame index (backup/data_file_frames.h) from the last "CFX1" on, whose
// place, size and SHA-256 the manifest entry gets, and it is also read in some frames only.
// Bit 4: the manifest entry says the frames after the first use its content as their dictionary.
// The file is stored in an in-memory storage and read with a manifest entry holding its real
// size and SHA-256, as restore reads it. The body is also decoded as a single record.
// Invariants besides no crash, leak or undefined behaviour: errors are DataLoss naming the file;
// a wrong manifest size never yields a clean end; every decoded row or tombstone has a key that
// decodes on its own; every decoded value, bound to SQLite and encoded again, gives back its
// encoding (a NaN REAL excepted: SQLite stores it as NULL).
//
// Build: CC=clang-14 CXX=clang++-14 cmake -S . -B build-asan -G Ninja -DCOFRE_FUZZ=ON
//        ninja -C build-asan data_file_fuzz
// Run:   build-asan/data_file_fuzz -max_total_time=60 fuzz/corpus/data_file
#include <sqlite3.h>
#include <zstd.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "backup/data_file_format.h"
#include "backup/data_file_frames.h"
#include "backup/data_file_reader.h"
#include "backup/key_order.h"
#include "backup/row_codec.h"
#include "backup/stored_file.h"
#include "storage/memory_storage.h"
#include "util/sha256.h"

namespace {

namespace fmt = cofre::data_file_format;
namespace rowcodec = cofre::rowcodec;

void Check(bool ok) {
  if (!ok) std::abort();
}

constexpr char kPath[] = "2026/11/28-170600.41/data/1.cfd";

const cofre::ChainCrypto& FuzzCrypto() {
  static const cofre::SecretBytes* const key = new cofre::SecretBytes(std::string(32, '\x42'));
  static const cofre::ChainCrypto* const crypto =
      new cofre::ChainCrypto{key, std::string(16, '\x17')};
  return *crypto;
}

// "SELECT ?1" on an in-memory database, to round-trip values through SQLite as restore does.
sqlite3_stmt* SelectParam() {
  static sqlite3_stmt* stmt = [] {
    sqlite3* db = nullptr;
    Check(sqlite3_open(":memory:", &db) == SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    Check(sqlite3_prepare_v2(db, "SELECT ?1", -1, &s, nullptr) == SQLITE_OK);
    return s;
  }();
  return stmt;
}

std::string EncodeValue(const rowcodec::ValueRef& v) {
  std::string out;
  out.push_back(static_cast<char>(v.tag));
  switch (v.tag) {
    case fmt::kInteger:
      out.clear();
      rowcodec::AppendInteger(&out, v.i);
      break;
    case fmt::kReal: {
      uint64_t bits;
      std::memcpy(&bits, &v.d, 8);
      for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(bits >> (8 * i)));
      break;
    }
    case fmt::kText:
    case fmt::kBlob:
      rowcodec::PutVarint(&out, v.bytes.size());
      out.append(v.bytes);
      break;
  }
  return out;
}

void CheckValue(const rowcodec::ValueRef& v) {
  (void)rowcodec::ValueToText(v);
  sqlite3_stmt* stmt = SelectParam();
  sqlite3_reset(stmt);
  rowcodec::BindValue(stmt, 1, v);
  Check(sqlite3_step(stmt) == SQLITE_ROW);
  std::string again;
  rowcodec::AppendColumn(&again, stmt, 0);
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  if (v.tag == fmt::kReal && std::isnan(v.d)) {
    Check(again == std::string(1, static_cast<char>(fmt::kNull)));
    return;
  }
  Check(again == EncodeValue(v));
}

void CheckRecord(const rowcodec::Record& rec) {
  Check(rec.kind == fmt::kRecordRow || rec.kind == fmt::kRecordTombstone);
  std::vector<rowcodec::ValueRef> key;
  Check(rowcodec::DecodeKey(rec.key, &key).ok());
  Check(key.size() == rec.key_values.size());
  (void)rowcodec::PrettyKey(rec.key);
  for (const auto& v : rec.key_values) CheckValue(v);
  for (const auto& v : rec.values) CheckValue(v);
  if (rec.kind == fmt::kRecordTombstone) Check(rec.values.empty());
}

// The body framed as a data file's plaintext: magic, then one zstd frame of `records` (one-shot
// compression: cheaper per input than a streaming context).
std::string Frame(std::string_view records) {
  std::string out(fmt::kMagic, 4);
  out.resize(4 + ZSTD_compressBound(records.size()));
  size_t n = ZSTD_compress(out.data() + 4, out.size() - 4, records.data(), records.size(), 1);
  Check(!ZSTD_isError(n));
  out.resize(4 + n);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);

  rowcodec::Record single;
  if (rowcodec::DecodeRecord(body, &single).ok() && single.kind != fmt::kRecordEnd) {
    CheckRecord(single);
  }

  const bool encrypted = flags & 1;
  const std::string file = (flags & 2) ? Frame(body) : std::string(body);
  const bool wrong_size = flags & 4;
  rowcodec::Record rec;
  const cofre::ChainCrypto plain;
  const cofre::ChainCrypto& crypto = encrypted ? FuzzCrypto() : plain;
  cofre::MemoryStorage storage("mem://fuzz");
  cofre::StoredFileInfo stored;
  Check(cofre::WriteStoredFile(storage, kPath, crypto, file, &stored).ok());
  cofre::proto::DataFile entry;
  entry.set_path(kPath);
  entry.set_file_bytes(stored.bytes + (wrong_size ? 1 : 0));
  entry.set_sha256(stored.sha256);
  size_t index_at = file.rfind(std::string_view(fmt::kFrameIndexMagic, 4));
  const size_t v1_at = file.rfind(std::string_view(fmt::kFrameIndexMagicV1, 4));
  if (index_at == std::string::npos || (v1_at != std::string::npos && v1_at > index_at)) {
    index_at = v1_at;
  }
  entry.set_first_frame_dictionary(flags & 16);
  if ((flags & 8) && index_at != std::string::npos) {
    entry.set_frame_index_offset(index_at);
    entry.set_frame_index_bytes(file.size() - index_at);
    entry.set_frame_index_sha256(cofre::Sha256::Digest(std::string_view(file).substr(index_at)));
    entry.set_rows(1000);
    entry.set_logical_bytes(1 << 20);
  }

  auto fail = [&](const cofre::Status& st) {
    Check(st.code() == cofre::StatusCode::kDataLoss);
    Check(st.message().find(kPath) != std::string::npos);
    return 0;
  };
  if (cofre::HasFrameIndex(entry)) {
    std::string lo, hi;
    rowcodec::PutVarint(&lo, 1);
    rowcodec::AppendInteger(&lo, 10);
    rowcodec::PutVarint(&hi, 1);
    rowcodec::AppendInteger(&hi, 20);
    const cofre::KeyOrder order;
    for (const cofre::KeyRanges& keys :
         {cofre::KeyRanges{{"", ""}}, cofre::KeyRanges{{lo, hi}, {hi + '\x01', ""}}}) {
      auto frames = cofre::DataFileReader::OpenFrames(storage, entry, crypto, order, keys);
      if (!frames.ok()) {
        fail(frames.status());
        continue;
      }
      std::string_view got;
      while (true) {
        cofre::StatusOr<bool> more = (*frames)->NextBody(&got);
        if (!more.ok()) {
          fail(more.status());
          break;
        }
        if (!*more) break;
        if (rowcodec::DecodeRecord(got, &rec).ok() && rec.kind != fmt::kRecordEnd) {
          CheckRecord(rec);
        }
      }
    }
  }
  auto reader = cofre::DataFileReader::Open(storage, entry, crypto);
  if (!reader.ok()) return fail(reader.status());
  while (true) {
    cofre::StatusOr<bool> more = (*reader)->Next(&rec);
    if (!more.ok()) return fail(more.status());
    if (!*more) break;
    CheckRecord(rec);
  }
  Check(!wrong_size);
  // The end is sticky.
  cofre::StatusOr<bool> after = (*reader)->Next(&rec);
  Check(after.ok() && !*after);
  return 0;
}
