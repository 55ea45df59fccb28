// SharedLibrary: a system library that only some commands need (libcurl for object storage and
// KMS, libpq for `cofre sql --url`, libedit for the interactive shell), loaded with dlopen when
// one of them first needs it instead of by the dynamic loader at the process's start. Linked
// in, libcurl and libpq pull in about thirty more libraries (GnuTLS, Kerberos, LDAP, ...), and
// loading them from a cold page cache took about 30 ms of every cofre command's start, a local
// RESTORE's included (docs/performance.md, "Sorting threads of their own at table ends,
// libraries loaded when needed").
//
// A library that cannot be loaded, or lacks a symbol, is a FailedPrecondition naming the library
// and the Debian package that provides it. A loaded library is never unloaded: a SharedLibrary is
// a handle to it, and its functions stay callable after the handle is gone.
// Thread-safety: Open and Bind may be called from any thread.
#ifndef COFRE_UTIL_SHARED_LIBRARY_H_
#define COFRE_UTIL_SHARED_LIBRARY_H_

#include <string>
#include <utility>

#include "util/status.h"

namespace cofre {

class SharedLibrary {
 public:
  // Loads `soname` (such as "libcurl.so.4"); `package` names what installs it, for the error.
  static StatusOr<SharedLibrary> Open(const std::string& soname, const std::string& package);

  // Sets `*out` to the address of the library's symbol `name` (a function or a variable).
  template <typename T>
  Status Bind(const char* name, T** out) const {
    ASSIGN_OR_RETURN(void* address, Symbol(name));
    *out = reinterpret_cast<T*>(address);
    return Status::OK();
  }

 private:
  SharedLibrary(void* handle, std::string soname, std::string package)
      : handle_(handle), soname_(std::move(soname)), package_(std::move(package)) {}
  StatusOr<void*> Symbol(const char* name) const;

  void* handle_;  // never closed: the library's functions may be in use until the exit
  std::string soname_;
  std::string package_;
};

// The value `Load` returns on the first call, kept for the process's life: each later call
// returns it, or its error. Thread-safe (a function-local static).
template <typename T, StatusOr<T> (*Load)()>
StatusOr<const T*> LoadOnce() {
  static const StatusOr<T> loaded = Load();
  if (!loaded.ok()) return loaded.status();
  return &*loaded;
}

}  // namespace cofre

// For an X-macro list of a library's symbols: binds the field `name` of a struct named `out` to
// the symbol `name` of the SharedLibrary named `lib`, or returns the error.
#define COFRE_BIND_SYMBOL(name) RETURN_IF_ERROR(lib.Bind(#name, &out.name));

#endif  // COFRE_UTIL_SHARED_LIBRARY_H_
