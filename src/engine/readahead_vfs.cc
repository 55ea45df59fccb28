#include "engine/readahead_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>

namespace cofre {

namespace {

std::atomic<uint64_t> g_file_reads{0};
std::atomic<uint64_t> g_served_reads{0};

// What a main database file keeps between reads.
struct RunBuffer {
  std::unique_ptr<char[]> bytes;  // kMaxRunBytes, allocated at the first run
  sqlite3_int64 start = 0;        // the buffer holds [start, start + size) when size > 0
  size_t size = 0;
  sqlite3_int64 next = -1;  // where a read continuing the previous one starts
  size_t run = 0;           // the length of the previous read
};

// The file object SQLite allocates (szOsFile bytes): ours, then the default VFS's right after it.
struct File {
  sqlite3_file base;   // base.pMethods: kMethods once opened
  sqlite3_file* real;  // the default VFS's file object
  RunBuffer* buffer;   // main database files only; null for the others
};

sqlite3_vfs* Real(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }
sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<File*>(f)->real; }

void Drop(sqlite3_file* f) {
  RunBuffer* b = reinterpret_cast<File*>(f)->buffer;
  if (b) {
    b->size = 0;
    b->next = -1;
    b->run = 0;
  }
}

int Read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  File* file = reinterpret_cast<File*>(f);
  sqlite3_file* real = file->real;
  RunBuffer* b = file->buffer;
  if (!b || amount <= 0) return real->pMethods->xRead(real, out, amount, offset);
  const size_t n = static_cast<size_t>(amount);
  if (b->size > 0 && offset >= b->start &&
      static_cast<uint64_t>(offset - b->start) + n <= b->size) {
    std::memcpy(out, b->bytes.get() + (offset - b->start), n);
    g_served_reads.fetch_add(1, std::memory_order_relaxed);
    return SQLITE_OK;
  }
  const size_t run =
      offset == b->next ? std::min(std::max(b->run * 2, n), ReadAheadVfs::kMaxRunBytes) : n;
  g_file_reads.fetch_add(1, std::memory_order_relaxed);
  if (run > n) {
    if (!b->bytes) b->bytes = std::make_unique<char[]>(ReadAheadVfs::kMaxRunBytes);
    const int rc = real->pMethods->xRead(real, b->bytes.get(), static_cast<int>(run), offset);
    if (rc == SQLITE_OK) {
      b->start = offset;
      b->size = run;
      b->next = offset + static_cast<sqlite3_int64>(run);
      b->run = run;
      std::memcpy(out, b->bytes.get(), n);
      return SQLITE_OK;
    }
    // The run crosses the end of the file, or failed: nothing of it is kept.
    b->size = 0;
    g_file_reads.fetch_add(1, std::memory_order_relaxed);
  }
  const int rc = real->pMethods->xRead(real, out, amount, offset);
  b->size = 0;
  b->next = offset + amount;
  b->run = n;
  return rc;
}

int Close(sqlite3_file* f) {
  File* file = reinterpret_cast<File*>(f);
  delete file->buffer;
  file->buffer = nullptr;
  return file->real->pMethods->xClose(file->real);
}

// Every other method calls the default VFS's. Those that can change what the file holds, or
// that start or end a transaction, drop the buffer first (kDrop).
template <auto kMethod, bool kDrop, typename = decltype(kMethod)>
struct Forward;
template <auto kMethod, bool kDrop, typename R, typename... Args>
struct Forward<kMethod, kDrop, R (*sqlite3_io_methods::*)(sqlite3_file*, Args...)> {
  static R Call(sqlite3_file* f, Args... args) {
    if constexpr (kDrop) Drop(f);
    return (Real(f)->pMethods->*kMethod)(Real(f), args...);
  }
};

using M = sqlite3_io_methods;
const sqlite3_io_methods kMethods = {
    .iVersion = 3,
    .xClose = Close,
    .xRead = Read,
    .xWrite = Forward<&M::xWrite, true>::Call,
    .xTruncate = Forward<&M::xTruncate, true>::Call,
    .xSync = Forward<&M::xSync, true>::Call,
    .xFileSize = Forward<&M::xFileSize, false>::Call,
    .xLock = Forward<&M::xLock, true>::Call,
    .xUnlock = Forward<&M::xUnlock, true>::Call,
    .xCheckReservedLock = Forward<&M::xCheckReservedLock, false>::Call,
    .xFileControl = Forward<&M::xFileControl, true>::Call,
    .xSectorSize = Forward<&M::xSectorSize, false>::Call,
    .xDeviceCharacteristics = Forward<&M::xDeviceCharacteristics, false>::Call,
    .xShmMap = Forward<&M::xShmMap, true>::Call,
    .xShmLock = Forward<&M::xShmLock, true>::Call,
    .xShmBarrier = Forward<&M::xShmBarrier, true>::Call,
    .xShmUnmap = Forward<&M::xShmUnmap, true>::Call,
    .xFetch = Forward<&M::xFetch, false>::Call,
    .xUnfetch = Forward<&M::xUnfetch, false>::Call,
};

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  File* file = reinterpret_cast<File*>(f);
  file->base.pMethods = nullptr;
  file->real = reinterpret_cast<sqlite3_file*>(file + 1);
  file->buffer = nullptr;
  sqlite3_vfs* real = Real(vfs);
  const int rc = real->xOpen(real, name, file->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    // base.pMethods stays null, so SQLite will not call Close: close what the default VFS opened.
    if (file->real->pMethods) file->real->pMethods->xClose(file->real);
    return rc;
  }
  // The methods are version 3 only over a default VFS that provides them all.
  if (file->real->pMethods->iVersion < 3) {
    file->real->pMethods->xClose(file->real);
    return SQLITE_CANTOPEN;
  }
  if (flags & SQLITE_OPEN_MAIN_DB) file->buffer = new (std::nothrow) RunBuffer();
  file->base.pMethods = &kMethods;
  return SQLITE_OK;
}

// The VFS's own calls go to the default VFS as they are.
int Delete(sqlite3_vfs* v, const char* name, int sync) {
  return Real(v)->xDelete(Real(v), name, sync);
}
int Access(sqlite3_vfs* v, const char* name, int flags, int* out) {
  return Real(v)->xAccess(Real(v), name, flags, out);
}
int FullPathname(sqlite3_vfs* v, const char* name, int n, char* out) {
  return Real(v)->xFullPathname(Real(v), name, n, out);
}
void* DlOpen(sqlite3_vfs* v, const char* name) { return Real(v)->xDlOpen(Real(v), name); }
void DlError(sqlite3_vfs* v, int n, char* out) { Real(v)->xDlError(Real(v), n, out); }
void (*DlSym(sqlite3_vfs* v, void* h, const char* sym))(void) {
  return Real(v)->xDlSym(Real(v), h, sym);
}
void DlClose(sqlite3_vfs* v, void* h) { Real(v)->xDlClose(Real(v), h); }
int Randomness(sqlite3_vfs* v, int n, char* out) { return Real(v)->xRandomness(Real(v), n, out); }
int Sleep(sqlite3_vfs* v, int micros) { return Real(v)->xSleep(Real(v), micros); }
int CurrentTime(sqlite3_vfs* v, double* out) { return Real(v)->xCurrentTime(Real(v), out); }
int GetLastError(sqlite3_vfs* v, int n, char* out) {
  return Real(v)->xGetLastError(Real(v), n, out);
}
int CurrentTimeInt64(sqlite3_vfs* v, sqlite3_int64* out) {
  return Real(v)->xCurrentTimeInt64(Real(v), out);
}

}  // namespace

Status ReadAheadVfs::Register() {
  static std::once_flag once;
  static int rc = SQLITE_OK;
  std::call_once(once, [] {
    sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
    if (!real || real->iVersion < 2 || !real->xCurrentTimeInt64) {
      rc = SQLITE_ERROR;
      return;
    }
    static sqlite3_vfs vfs{};
    vfs.iVersion = 2;
    vfs.szOsFile = static_cast<int>(sizeof(File)) + real->szOsFile;
    vfs.mxPathname = real->mxPathname;
    vfs.zName = kName;
    vfs.pAppData = real;
    vfs.xOpen = Open;
    vfs.xDelete = Delete;
    vfs.xAccess = Access;
    vfs.xFullPathname = FullPathname;
    vfs.xDlOpen = DlOpen;
    vfs.xDlError = DlError;
    vfs.xDlSym = DlSym;
    vfs.xDlClose = DlClose;
    vfs.xRandomness = Randomness;
    vfs.xSleep = Sleep;
    vfs.xCurrentTime = CurrentTime;
    vfs.xGetLastError = GetLastError;
    vfs.xCurrentTimeInt64 = CurrentTimeInt64;
    rc = sqlite3_vfs_register(&vfs, /*makeDflt=*/0);
  });
  if (rc != SQLITE_OK) return InternalError("cannot register the read-ahead SQLite VFS");
  return Status::OK();
}

ReadAheadVfsStats ReadAheadVfs::Stats() {
  ReadAheadVfsStats s;
  s.file_reads = g_file_reads.load(std::memory_order_relaxed);
  s.served_reads = g_served_reads.load(std::memory_order_relaxed);
  return s;
}

}  // namespace cofre
