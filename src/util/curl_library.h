// CurlLibrary: the libcurl functions cofre calls, bound from libcurl.so.4 on first use
// (util/shared_library.h) rather than linked: only requests to object storage, KMS and other
// HTTP servers need libcurl, and linked it cost every command's start about 30 ms with its
// dependencies. Each field is named after the libcurl function it points to; curl_global_init
// has run once the library is returned.
// Thread-safety: Get may be called from any thread; the functions are libcurl's own.
#ifndef COFRE_UTIL_CURL_LIBRARY_H_
#define COFRE_UTIL_CURL_LIBRARY_H_

#include <curl/curl.h>

#include "util/status.h"

namespace cofre {

// clang-format off
#define COFRE_CURL_FUNCTIONS(X)                                                                 \
  X(curl_global_init) X(curl_easy_init) X(curl_easy_cleanup) X(curl_easy_reset)                 \
  X(curl_easy_setopt) X(curl_easy_getinfo) X(curl_easy_perform) X(curl_easy_pause)             \
  X(curl_easy_strerror) X(curl_slist_append) X(curl_slist_free_all) X(curl_multi_init)          \
  X(curl_multi_cleanup) X(curl_multi_add_handle) X(curl_multi_remove_handle)                    \
  X(curl_multi_perform) X(curl_multi_poll) X(curl_multi_info_read) X(curl_multi_strerror)
// clang-format on

struct CurlLibrary {
#define COFRE_CURL_FIELD(name) decltype(&::name) name = nullptr;
  COFRE_CURL_FUNCTIONS(COFRE_CURL_FIELD)
#undef COFRE_CURL_FIELD

  // Loads and initializes libcurl once; later calls return the same library, or the same error
  // (FailedPrecondition naming libcurl.so.4 and its package).
  static StatusOr<const CurlLibrary*> Get();
};

}  // namespace cofre

#endif  // COFRE_UTIL_CURL_LIBRARY_H_
