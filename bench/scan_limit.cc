// scan_limit: the SQLite scan limit of the benchmark.
//
//   scan_limit FILE > stream
//
// Reads every row of every table of the SQLite database FILE in key order
// (rowid, or the primary key of a WITHOUT ROWID table), tables by name, and
// writes the logical row stream to stdout: a sequence of records, each a
// LEB128 varint length followed by that many bytes. A table begins with a
// record 'T' <name>; each row is a record 'R' <column>..., where a column is
// a type byte then its value: 0 NULL; 1 integer as zigzag varint; 2 real as
// 8 little-endian bytes; 3 text and 4 blob as varint length + bytes. The
// key comes first (the rowid, unless a column aliases it). A summary goes to
// stderr. This is the least work any logical backup of FILE must do.
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "sqlite_util.h"

namespace cofre::bench {
namespace {

constexpr size_t kFlushBytes = 1 << 20;

// Accumulates the stream and writes it to stdout in large chunks.
class StreamWriter {
 public:
  StreamWriter() { buffer_.reserve(kFlushBytes * 2); }
  ~StreamWriter() { Flush(); }

  void Varint(uint64_t v) {
    while (v >= 0x80) {
      buffer_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    buffer_.push_back(static_cast<char>(v));
  }

  void Record(const std::string& body) {
    Varint(body.size());
    buffer_.append(body);
    if (buffer_.size() >= kFlushBytes) Flush();
  }

  void Flush() {
    size_t done = 0;
    while (done < buffer_.size()) {
      const ssize_t n = write(1, buffer_.data() + done, buffer_.size() - done);
      if (n <= 0) Fatal("cannot write the row stream to stdout");
      done += static_cast<size_t>(n);
    }
    written_ += buffer_.size();
    buffer_.clear();
  }

  uint64_t written() const { return written_ + buffer_.size(); }

 private:
  std::string buffer_;
  uint64_t written_ = 0;
};

void AppendVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Encodes the current row of `stmt` into `out` (cleared first).
void EncodeRow(sqlite3_stmt* stmt, std::string* out) {
  out->clear();
  out->push_back('R');
  const int columns = sqlite3_column_count(stmt);
  for (int i = 0; i < columns; ++i) {
    switch (sqlite3_column_type(stmt, i)) {
      case SQLITE_NULL:
        out->push_back(0);
        break;
      case SQLITE_INTEGER: {
        const int64_t v = sqlite3_column_int64(stmt, i);
        out->push_back(1);
        AppendVarint(out, (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
        break;
      }
      case SQLITE_FLOAT: {
        const double v = sqlite3_column_double(stmt, i);
        char bytes[8];
        std::memcpy(bytes, &v, 8);
        out->push_back(2);
        out->append(bytes, 8);
        break;
      }
      default: {
        const bool text = sqlite3_column_type(stmt, i) == SQLITE_TEXT;
        const void* data = text ? static_cast<const void*>(sqlite3_column_text(stmt, i))
                                : sqlite3_column_blob(stmt, i);
        const int size = sqlite3_column_bytes(stmt, i);
        out->push_back(text ? 3 : 4);
        AppendVarint(out, static_cast<uint64_t>(size));
        out->append(static_cast<const char*>(data), size);
        break;
      }
    }
  }
}

std::string Quote(const std::string& name) {
  std::string quoted = "\"";
  for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

// The query that reads `table` in key order.
std::string ScanSql(Db& db, const std::string& table) {
  const std::string quoted = Quote(table);
  sqlite3_stmt* probe = nullptr;
  const bool has_rowid = sqlite3_prepare_v2(db.handle(), ("SELECT rowid FROM " + quoted).c_str(),
                                            -1, &probe, nullptr) == SQLITE_OK;
  sqlite3_finalize(probe);
  if (!has_rowid) return "SELECT * FROM " + quoted;  // primary-key order
  // A single INTEGER PRIMARY KEY column aliases the rowid: don't repeat it.
  Stmt info(db,
            "SELECT count(*) FILTER (WHERE pk > 0), "
            "max(pk = 1 AND upper(type) = 'INTEGER') "
            "FROM pragma_table_info(?)");
  info.BindText(1, table);
  info.Step();
  const bool aliased =
      sqlite3_column_int(info.handle(), 0) == 1 && sqlite3_column_int(info.handle(), 1) == 1;
  return std::string(aliased ? "SELECT * FROM " : "SELECT rowid, * FROM ") + quoted +
         " ORDER BY rowid";
}

int Run(const std::string& path) {
  const auto start = std::chrono::steady_clock::now();
  // A read-only connection to a WAL database leaves the -wal and -shm files
  // it creates behind; a read-write one removes them when it closes. So open
  // writable files read-write, and forbid writes with query_only.
  const bool writable = access(path.c_str(), W_OK) == 0;
  Db db(path, writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY);
  db.Exec("PRAGMA query_only = ON; PRAGMA cache_size = -8192");
  std::vector<std::string> tables;
  {
    Stmt list(db,
              "SELECT name FROM sqlite_schema WHERE type = 'table' AND "
              "name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name");
    while (list.Step()) {
      tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(list.handle(), 0)));
    }
  }
  StreamWriter writer;
  std::string record;
  uint64_t rows = 0;
  for (const std::string& table : tables) {
    writer.Record("T" + table);
    Stmt scan(db, ScanSql(db, table));
    while (scan.Step()) {
      EncodeRow(scan.handle(), &record);
      writer.Record(record);
      ++rows;
    }
  }
  writer.Flush();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "scanned %zu tables, %llu rows, %llu bytes in %.2f s\n", tables.size(),
               static_cast<unsigned long long>(rows),
               static_cast<unsigned long long>(writer.written()), seconds);
  return 0;
}

}  // namespace
}  // namespace cofre::bench

int main(int argc, char** argv) {
  if (argc != 2 || argv[1][0] == '-') {
    std::fputs("usage: scan_limit FILE > stream\n", stderr);
    return 2;
  }
  return cofre::bench::Run(argv[1]);
}
