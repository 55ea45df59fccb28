#include "util/curl_library.h"

#include "util/shared_library.h"

namespace cofre {
namespace {

StatusOr<CurlLibrary> LoadCurl() {
  ASSIGN_OR_RETURN(SharedLibrary lib, SharedLibrary::Open("libcurl.so.4", "libcurl4"));
  CurlLibrary c;
#define COFRE_CURL_BIND(name) RETURN_IF_ERROR(lib.Bind(#name, &c.name));
  COFRE_CURL_FUNCTIONS(COFRE_CURL_BIND)
#undef COFRE_CURL_BIND
  if (c.curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    return InternalError("libcurl failed to initialize (curl_global_init)");
  }
  return c;
}

}  // namespace

StatusOr<const CurlLibrary*> CurlLibrary::Get() {
  // A function-local static: loaded once, by the first caller, whatever the thread.
  static const StatusOr<CurlLibrary> loaded = LoadCurl();
  if (!loaded.ok()) return loaded.status();
  return &*loaded;
}

}  // namespace cofre
