// The record encoder against the bytes SQLite itself stores: each case is inserted by SQLite into
// a table without column affinity, and the payload of its single cell is read from the file.
#include "engine/sqlite_record.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "engine/sqlite.h"
#include "engine/sqlite_varint.h"
#include "util/status_matchers.h"

namespace cofre {
namespace {

using sqlite_record::Type;
using sqlite_record::Value;
Value Null() { return Value{}; }

// The payload SQLite stores for `values` as the only row of a fresh table.
std::string SqliteRecord(const std::vector<Value>& values) {
  const std::string dir = ::testing::TempDir() + "/record_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/r.db";
  std::filesystem::remove(path);
  {
    auto db = SqliteDb::Open(path, /*create=*/true);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    std::string cols, params;
    for (size_t i = 0; i < values.size(); ++i) {
      cols += (i ? ",c" : "c") + std::to_string(i);
      params += i ? ",?" : "?";
    }
    EXPECT_TRUE(db->Exec("PRAGMA page_size=65536; CREATE TABLE t(" + cols + ")").ok());
    auto st = db->Prepare("INSERT INTO t VALUES(" + params + ")");
    EXPECT_TRUE(st.ok());
    for (size_t i = 0; i < values.size(); ++i) {
      const Value& v = values[i];
      const int k = static_cast<int>(i) + 1;
      switch (v.type) {
        case Type::kNull:
          st->BindNull(k);
          break;
        case Type::kInteger:
          st->Bind(k, v.i);
          break;
        case Type::kReal:
          st->Bind(k, v.r);
          break;
        case Type::kText:
          st->Bind(k, v.bytes);
          break;
        case Type::kBlob:
          st->BindBlob(k, v.bytes);
          break;
      }
    }
    EXPECT_TRUE(st->Run().ok());
  }
  std::ifstream f(path, std::ios::binary);
  std::string file((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  // Page 2 is t's root leaf; its single cell: payload size, rowid, payload.
  const auto* page = reinterpret_cast<const uint8_t*>(file.data()) + 65536;
  EXPECT_EQ(page[0], 0x0d);
  const size_t cell = (size_t{page[8]} << 8) | page[9];
  uint64_t size, rowid;
  size_t n = sqlite_varint::Get(page + cell, 9, &size);
  n += sqlite_varint::Get(page + cell + n, 9, &rowid);
  std::filesystem::remove_all(dir);
  return std::string(reinterpret_cast<const char*>(page + cell + n), size);
}

std::string Encode(const std::vector<Value>& values) {
  std::string out = "prefix";
  sqlite_record::Append(values, &out);
  EXPECT_EQ(out.substr(0, 6), "prefix");
  return out.substr(6);
}

TEST(SqliteRecordTest, MatchesSqliteForEveryIntegerWidth) {
  std::vector<Value> values;
  for (int64_t v : {int64_t{0},
                    int64_t{1},
                    int64_t{2},
                    int64_t{-1},
                    int64_t{127},
                    int64_t{128},
                    int64_t{-128},
                    int64_t{-129},
                    int64_t{32767},
                    int64_t{32768},
                    int64_t{-32769},
                    int64_t{8388607},
                    int64_t{8388608},
                    int64_t{-8388609},
                    int64_t{2147483647},
                    int64_t{2147483648},
                    int64_t{-2147483649},
                    int64_t{140737488355327},
                    int64_t{140737488355328},
                    int64_t{-140737488355329},
                    std::numeric_limits<int64_t>::max(),
                    std::numeric_limits<int64_t>::min()}) {
    values.push_back(Value::Integer(v));
  }
  EXPECT_EQ(Encode(values), SqliteRecord(values));
}

TEST(SqliteRecordTest, MatchesSqliteForRealsTextBlobsAndNulls) {
  const std::string big(300, 'x');  // a serial type needing a 2-byte varint
  const std::string bin("\0\x01\xff", 3);
  std::vector<Value> values = {Null(),
                               Value::Real(1.5),
                               Value::Real(-0.0),
                               Value::Real(1e300),
                               Value::Real(3.25),
                               Value::Text(""),
                               Value::Text("héllo"),
                               Value::Blob(""),
                               Value::Blob(bin),
                               Value::Text(big),
                               Value::Blob(big),
                               Null()};
  EXPECT_EQ(Encode(values), SqliteRecord(values));
}

TEST(SqliteRecordTest, HeaderSizeVarintGrowsPastOneByte) {
  // 70 two-byte serial types: the header (141+ bytes) needs a 2-byte size varint.
  const std::string s(100, 'y');
  std::vector<Value> values(70, Value::Text(s));
  const std::string rec = Encode(values);
  EXPECT_EQ(rec, SqliteRecord(values));
  EXPECT_TRUE(sqlite_record::Validate(rec).ok());
}

TEST(SqliteRecordTest, EmptyRecordIsOneByte) { EXPECT_EQ(Encode({}), std::string("\x01", 1)); }

TEST(SqliteRecordTest, ValidateRejectsMalformedRecords) {
  std::string good = Encode({Value::Integer(5), Value::Text("abc")});
  EXPECT_TRUE(sqlite_record::Validate(good).ok());
  EXPECT_FALSE(sqlite_record::Validate("").ok());
  EXPECT_FALSE(sqlite_record::Validate(good.substr(0, good.size() - 1)).ok());  // body short
  EXPECT_FALSE(sqlite_record::Validate(good + "z").ok());                       // body long
  std::string reserved = "\x02\x0a";  // serial type 10 is reserved
  EXPECT_FALSE(sqlite_record::Validate(reserved).ok());
  std::string header_past_end = "\x05\x01";
  Status s = sqlite_record::Validate(header_past_end);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("header size 5"), std::string::npos) << s.message();
}

// `n` random values of every type: NULLs, integers of every width (0, 1, small, and near each
// serial type's bounds), reals (-0.0 among them), texts and blobs that are prefixes of `text` and
// `blob`.
std::vector<Value> RandomValues(std::mt19937_64& rng, size_t n, std::string_view text,
                                std::string_view blob) {
  std::vector<Value> values(n);
  for (Value& v : values) {
    switch (rng() % 5) {
      case 0:
        break;  // NULL
      case 1: {
        v.type = Type::kInteger;
        const int bits = static_cast<int>(rng() % 64);
        v.i = static_cast<int64_t>(rng()) >> bits;
        if (rng() % 4 == 0) v.i = static_cast<int64_t>(rng() % 3) - 1;
        break;
      }
      case 2:
        v.type = Type::kReal;
        v.r = rng() % 3 == 0 ? -0.0 : std::bit_cast<double>(rng());
        break;
      case 3:
        v.type = Type::kText;
        v.bytes = text.substr(0, rng() % (text.size() + 1));
        break;
      default:
        v.type = Type::kBlob;
        v.bytes = blob.substr(0, rng() % (blob.size() + 1));
        break;
    }
  }
  return values;
}

TEST(SqliteRecordTest, ParseGivesBackWhatAppendEncoded) {
  std::mt19937_64 rng(19);
  const std::string text = "caf\xc3\xa9 and more", blob("\x00\x01\xff", 3);
  for (int round = 0; round < 2000; ++round) {
    std::vector<Value> values = RandomValues(rng, rng() % 12, text, blob);
    std::string record;
    sqlite_record::Append(values, &record);
    std::vector<Value> parsed;
    ASSERT_THAT(sqlite_record::Parse(record, &parsed), IsOk());
    ASSERT_EQ(parsed.size(), values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      EXPECT_EQ(parsed[i].type, values[i].type);
      if (values[i].type == Type::kInteger) {
        EXPECT_EQ(parsed[i].i, values[i].i);
      }
      if (values[i].type == Type::kReal) {
        EXPECT_EQ(std::bit_cast<uint64_t>(parsed[i].r), std::bit_cast<uint64_t>(values[i].r));
      }
      if (values[i].type == Type::kText || values[i].type == Type::kBlob) {
        EXPECT_EQ(parsed[i].bytes, values[i].bytes);
      }
    }
    std::string again;
    sqlite_record::Append(parsed, &again);
    EXPECT_EQ(again, record);
  }
  std::vector<Value> parsed;
  EXPECT_THAT(sqlite_record::Parse(std::string("\x03\x01\x01", 3), &parsed),
              StatusIs(StatusCode::kInvalidArgument));
}

TEST(SqliteRecordTest, ParseRefusesWhatValidateRefuses) {
  // Records cut short, lengthened, or with a byte changed: Parse accepts exactly what Validate
  // accepts, and refuses the rest with Validate's error.
  std::mt19937_64 rng(29);
  const std::string text(150, 't'), blob("\x00\x01\xff", 3);
  size_t refused = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string record;
    sqlite_record::Append(RandomValues(rng, rng() % 10, text, blob), &record);
    switch (rng() % 3) {
      case 0:
        record.resize(rng() % (record.size() + 1));
        break;
      case 1:
        record.append(1 + rng() % 3, static_cast<char>(rng()));
        break;
      default:
        record[rng() % record.size()] = static_cast<char>(rng());
    }
    const Status valid = sqlite_record::Validate(record);
    std::vector<Value> parsed;
    const Status st = sqlite_record::Parse(record, &parsed);
    ASSERT_EQ(st.ok(), valid.ok()) << round;
    if (!valid.ok()) {
      ++refused;
      EXPECT_THAT(st, StatusIs(StatusCode::kInvalidArgument));
      EXPECT_EQ(st.message(), valid.message());
    }
  }
  EXPECT_GT(refused, 1000u);
}

TEST(SqliteRecordTest, RecordLayoutWritesWhatAppendWritesOfAnySubset) {
  std::mt19937_64 rng(23);
  // Texts long enough for two-byte serial types, and rows wide enough for a two-byte header size.
  const std::string text(300, 'x'), blob(200, '\x01');
  sqlite_record::RecordLayout layout;  // reused across rows, as a restore's encoder does
  for (int round = 0; round < 3000; ++round) {
    const size_t n = round % 10 == 0 ? 100 + rng() % 200 : rng() % 12;
    std::vector<Value> values = RandomValues(rng, n, text, blob);
    layout.Reset(values);
    std::string want;
    sqlite_record::Append(values, &want);
    ASSERT_EQ(layout.Size(), want.size());
    std::string got(want.size() + 1, '#');
    EXPECT_EQ(layout.Write(got.data()), got.data() + want.size());
    EXPECT_EQ(got, want + "#");  // exactly Size() bytes written
    // A subset (the columns an index reads), in order, and its record.
    std::vector<int> columns;
    std::vector<Value> subset;
    for (size_t i = 0; i < n; ++i) {
      if (rng() % 3 == 0) {
        columns.push_back(static_cast<int>(i));
        subset.push_back(values[i]);
      }
    }
    std::string want_subset;
    sqlite_record::Append(subset, &want_subset);
    ASSERT_EQ(layout.Size(columns), want_subset.size());
    std::string got_subset(want_subset.size(), '#');
    layout.Write(columns, got_subset.data());
    EXPECT_EQ(got_subset, want_subset);
  }
}

}  // namespace
}  // namespace cofre
