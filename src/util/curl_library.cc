#include "util/curl_library.h"

#include "util/shared_library.h"

namespace cofre {
namespace {

StatusOr<CurlLibrary> LoadCurl() {
  ASSIGN_OR_RETURN(SharedLibrary lib, SharedLibrary::Open("libcurl.so.4", "libcurl4"));
  CurlLibrary out;
  COFRE_CURL_FUNCTIONS(COFRE_BIND_SYMBOL)
  if (out.curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    return InternalError("libcurl failed to initialize (curl_global_init)");
  }
  return out;
}

}  // namespace

StatusOr<const CurlLibrary*> CurlLibrary::Get() { return LoadOnce<CurlLibrary, LoadCurl>(); }

}  // namespace cofre
