#include "util/shared_library.h"

#include <dlfcn.h>

namespace cofre {

StatusOr<SharedLibrary> SharedLibrary::Open(const std::string& soname, const std::string& package) {
  // RTLD_NOW: a missing symbol of the library's own dependencies is found here, not mid-request.
  void* handle = ::dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return FailedPreconditionError("cannot load " + soname + " (" +
                                   (why != nullptr ? why : "unknown error") +
                                   "); install the package " + package);
  }
  return SharedLibrary(handle, soname, package);
}

StatusOr<void*> SharedLibrary::Symbol(const char* name) const {
  ::dlerror();  // clears an earlier error: a symbol's address may legitimately be null
  void* address = ::dlsym(handle_, name);
  if (address == nullptr && ::dlerror() != nullptr) {
    return FailedPreconditionError(soname_ + " has no symbol " + name +
                                   "; install a current version of the package " + package_);
  }
  return address;
}

}  // namespace cofre
