// write_fault: an LD_PRELOAD shim that injects crashes and full-disk errors into the file writes
// of a process, for cofre's end-to-end crash and fault tests (tests/crash_test.py,
// tests/fault_test.py). It changes no product code: the tests run the built binary with
//   LD_PRELOAD=<build>/libwrite_fault.so
//
// It counts the bytes the process passes to write, pwrite, pwrite64, writev, pwritev and
// pwritev64 on regular files (sockets, pipes and terminals are not counted), optionally only on
// files whose path starts with WRITE_FAULT_PATH_PREFIX (the fd is resolved via /proc/self/fd).
//
// Environment:
//   WRITE_FAULT_KILL_AFTER=N    when the count reaches N bytes, the write that crosses N writes
//                               only the bytes up to N (a torn write), then the process raises
//                               SIGKILL on itself: a crash at exactly byte N.
//   WRITE_FAULT_ENOSPC_AFTER=N  the write that crosses N writes the bytes up to N and returns a
//                               short count; every later counted write fails with ENOSPC (a full
//                               disk). fsync/fdatasync on counted files keep working.
//   WRITE_FAULT_PATH_PREFIX=P   count only files whose absolute path starts with P.
//   WRITE_FAULT_REPORT=FILE     at exit, write the number of counted bytes to FILE (to measure
//                               how many bytes a statement writes before choosing fault points).
//   WRITE_FAULT_NO_FSYNC=1      fsync, fdatasync and syncfs return 0 without syncing. The tests
//                               model a crash of the process (kill -9), which the kernel's page
//                               cache survives, not a power cut; skipping the syncs keeps a
//                               matrix of hundreds of runs fast. (Power loss is not modelled.)
//
// Thread-safety: the counter is atomic; concurrent writes race only on which one crosses N.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

typedef ssize_t (*write_fn)(int, const void*, size_t);
typedef ssize_t (*pwrite_fn)(int, const void*, size_t, off_t);
typedef ssize_t (*pwrite64_fn)(int, const void*, size_t, off64_t);
typedef ssize_t (*writev_fn)(int, const struct iovec*, int);
typedef ssize_t (*pwritev_fn)(int, const struct iovec*, int, off_t);
typedef ssize_t (*pwritev64_fn)(int, const struct iovec*, int, off64_t);

static write_fn real_write;
static pwrite_fn real_pwrite;
static pwrite64_fn real_pwrite64;
static writev_fn real_writev;
static pwritev_fn real_pwritev;
static pwritev64_fn real_pwritev64;

static long long kill_after = -1;
static long long enospc_after = -1;
static char prefix[4096];
static size_t prefix_len;
static char report_path[4096];
static _Atomic long long counted;
static _Atomic int disk_full;
static int no_fsync;

static long long env_ll(const char* name) {
  const char* v = getenv(name);
  if (v == NULL || *v == '\0') return -1;
  return strtoll(v, NULL, 10);
}

__attribute__((constructor)) static void write_fault_init(void) {
  real_write = (write_fn)dlsym(RTLD_NEXT, "write");
  real_pwrite = (pwrite_fn)dlsym(RTLD_NEXT, "pwrite");
  real_pwrite64 = (pwrite64_fn)dlsym(RTLD_NEXT, "pwrite64");
  real_writev = (writev_fn)dlsym(RTLD_NEXT, "writev");
  real_pwritev = (pwritev_fn)dlsym(RTLD_NEXT, "pwritev");
  real_pwritev64 = (pwritev64_fn)dlsym(RTLD_NEXT, "pwritev64");
  kill_after = env_ll("WRITE_FAULT_KILL_AFTER");
  enospc_after = env_ll("WRITE_FAULT_ENOSPC_AFTER");
  const char* p = getenv("WRITE_FAULT_PATH_PREFIX");
  if (p != NULL && strlen(p) < sizeof(prefix)) {
    strcpy(prefix, p);
    prefix_len = strlen(prefix);
  }
  const char* nf = getenv("WRITE_FAULT_NO_FSYNC");
  no_fsync = nf != NULL && strcmp(nf, "1") == 0;
  const char* r = getenv("WRITE_FAULT_REPORT");
  if (r != NULL && strlen(r) < sizeof(report_path)) strcpy(report_path, r);
}

__attribute__((destructor)) static void write_fault_report(void) {
  if (report_path[0] == '\0') return;
  FILE* f = fopen(report_path, "w");
  if (f == NULL) return;
  fprintf(f, "%lld\n", (long long)atomic_load(&counted));
  fclose(f);
}

// True when writes to `fd` are counted: a regular file, under the prefix when one is set.
static int counted_fd(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return 0;
  if (prefix_len == 0) return 1;
  char link[64], path[4096];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof(path) - 1);
  if (n < 0) return 0;
  path[n] = '\0';
  return strncmp(path, prefix, prefix_len) == 0;
}

// Decides how many of `len` bytes a counted write may write. Returns -1 with errno = ENOSPC when
// the disk is "full"; does not return when the process is to crash now.
static ssize_t admit(size_t len, size_t* allowed) {
  *allowed = len;
  if (atomic_load(&disk_full)) {
    errno = ENOSPC;
    return -1;
  }
  long long before = atomic_fetch_add(&counted, (long long)len);
  long long after = before + (long long)len;
  if (kill_after >= 0 && after >= kill_after) {
    *allowed = before >= kill_after ? 0 : (size_t)(kill_after - before);
    return 1;  // the caller writes `allowed` bytes, then crashes
  }
  if (enospc_after >= 0 && after >= enospc_after) {
    atomic_store(&disk_full, 1);
    if (before >= enospc_after) {
      errno = ENOSPC;
      return -1;
    }
    *allowed = (size_t)(enospc_after - before);
    if (*allowed == 0) {
      errno = ENOSPC;
      return -1;
    }
  }
  return 0;
}

static void crash_now(void) {
  raise(SIGKILL);
  _exit(137);  // not reached
}

// Shortens an iovec array to its first `allowed` bytes (into `out`, at most 64 entries).
static int clip_iov(const struct iovec* iov, int cnt, size_t allowed, struct iovec* out) {
  int n = 0;
  for (int i = 0; i < cnt && allowed > 0 && n < 64; i++) {
    size_t take = iov[i].iov_len < allowed ? iov[i].iov_len : allowed;
    out[n].iov_base = iov[i].iov_base;
    out[n].iov_len = take;
    allowed -= take;
    n++;
  }
  return n;
}

static size_t iov_total(const struct iovec* iov, int cnt) {
  size_t total = 0;
  for (int i = 0; i < cnt; i++) total += iov[i].iov_len;
  return total;
}

ssize_t write(int fd, const void* buf, size_t len) {
  if (!real_write) real_write = (write_fn)dlsym(RTLD_NEXT, "write");
  if (len == 0 || !counted_fd(fd)) return real_write(fd, buf, len);
  size_t allowed;
  ssize_t a = admit(len, &allowed);
  if (a < 0) return -1;
  ssize_t r = allowed ? real_write(fd, buf, allowed) : 0;
  if (a == 1) crash_now();
  return r;
}

ssize_t pwrite(int fd, const void* buf, size_t len, off_t off) {
  if (!real_pwrite) real_pwrite = (pwrite_fn)dlsym(RTLD_NEXT, "pwrite");
  if (len == 0 || !counted_fd(fd)) return real_pwrite(fd, buf, len, off);
  size_t allowed;
  ssize_t a = admit(len, &allowed);
  if (a < 0) return -1;
  ssize_t r = allowed ? real_pwrite(fd, buf, allowed, off) : 0;
  if (a == 1) crash_now();
  return r;
}

ssize_t pwrite64(int fd, const void* buf, size_t len, off64_t off) {
  if (!real_pwrite64) real_pwrite64 = (pwrite64_fn)dlsym(RTLD_NEXT, "pwrite64");
  if (len == 0 || !counted_fd(fd)) return real_pwrite64(fd, buf, len, off);
  size_t allowed;
  ssize_t a = admit(len, &allowed);
  if (a < 0) return -1;
  ssize_t r = allowed ? real_pwrite64(fd, buf, allowed, off) : 0;
  if (a == 1) crash_now();
  return r;
}

ssize_t writev(int fd, const struct iovec* iov, int cnt) {
  if (!real_writev) real_writev = (writev_fn)dlsym(RTLD_NEXT, "writev");
  size_t len = iov_total(iov, cnt);
  if (len == 0 || !counted_fd(fd)) return real_writev(fd, iov, cnt);
  size_t allowed;
  ssize_t a = admit(len, &allowed);
  if (a < 0) return -1;
  struct iovec clipped[64];
  int n = clip_iov(iov, cnt, allowed, clipped);
  ssize_t r = allowed ? real_writev(fd, clipped, n) : 0;
  if (a == 1) crash_now();
  return r;
}

ssize_t pwritev(int fd, const struct iovec* iov, int cnt, off_t off) {
  if (!real_pwritev) real_pwritev = (pwritev_fn)dlsym(RTLD_NEXT, "pwritev");
  size_t len = iov_total(iov, cnt);
  if (len == 0 || !counted_fd(fd)) return real_pwritev(fd, iov, cnt, off);
  size_t allowed;
  ssize_t a = admit(len, &allowed);
  if (a < 0) return -1;
  struct iovec clipped[64];
  int n = clip_iov(iov, cnt, allowed, clipped);
  ssize_t r = allowed ? real_pwritev(fd, clipped, n, off) : 0;
  if (a == 1) crash_now();
  return r;
}

ssize_t pwritev64(int fd, const struct iovec* iov, int cnt, off64_t off) {
  if (!real_pwritev64) real_pwritev64 = (pwritev64_fn)dlsym(RTLD_NEXT, "pwritev64");
  size_t len = iov_total(iov, cnt);
  if (len == 0 || !counted_fd(fd)) return real_pwritev64(fd, iov, cnt, off);
  size_t allowed;
  ssize_t a = admit(len, &allowed);
  if (a < 0) return -1;
  struct iovec clipped[64];
  int n = clip_iov(iov, cnt, allowed, clipped);
  ssize_t r = allowed ? real_pwritev64(fd, clipped, n, off) : 0;
  if (a == 1) crash_now();
  return r;
}

typedef int (*sync_fn)(int);

int fsync(int fd) {
  if (no_fsync) return 0;
  static sync_fn real;
  if (!real) real = (sync_fn)dlsym(RTLD_NEXT, "fsync");
  return real(fd);
}

int fdatasync(int fd) {
  if (no_fsync) return 0;
  static sync_fn real;
  if (!real) real = (sync_fn)dlsym(RTLD_NEXT, "fdatasync");
  return real(fd);
}

int syncfs(int fd) {
  if (no_fsync) return 0;
  static sync_fn real;
  if (!real) real = (sync_fn)dlsym(RTLD_NEXT, "syncfs");
  return real(fd);
}
