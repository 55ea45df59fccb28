// CurlLibrary: the libcurl functions cofre calls, bound from libcurl.so.4 on first use
// (util/shared_library.h) rather than linked: only requests to object storage, KMS and other
// HTTP servers need libcurl, and linked it cost every command's start about 25 ms with its
// dependencies. curl_global_init has run once the library is returned.
// Thread-safety: Get may be called from any thread; the functions are libcurl's own.
#ifndef COFRE_UTIL_CURL_LIBRARY_H_
#define COFRE_UTIL_CURL_LIBRARY_H_

#include <curl/curl.h>

#include "util/status.h"

namespace cofre {

struct CurlLibrary {
  decltype(&::curl_global_init) global_init = nullptr;
  decltype(&::curl_easy_init) easy_init = nullptr;
  decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&::curl_easy_reset) easy_reset = nullptr;
  decltype(&::curl_easy_setopt) easy_setopt = nullptr;
  decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&::curl_easy_perform) easy_perform = nullptr;
  decltype(&::curl_easy_pause) easy_pause = nullptr;
  decltype(&::curl_easy_strerror) easy_strerror = nullptr;
  decltype(&::curl_slist_append) slist_append = nullptr;
  decltype(&::curl_slist_free_all) slist_free_all = nullptr;
  decltype(&::curl_multi_init) multi_init = nullptr;
  decltype(&::curl_multi_cleanup) multi_cleanup = nullptr;
  decltype(&::curl_multi_add_handle) multi_add_handle = nullptr;
  decltype(&::curl_multi_remove_handle) multi_remove_handle = nullptr;
  decltype(&::curl_multi_perform) multi_perform = nullptr;
  decltype(&::curl_multi_poll) multi_poll = nullptr;
  decltype(&::curl_multi_info_read) multi_info_read = nullptr;
  decltype(&::curl_multi_strerror) multi_strerror = nullptr;

  // Loads and initializes libcurl once; later calls return the same library, or the same error
  // (FailedPrecondition naming libcurl.so.4 and its package).
  static StatusOr<const CurlLibrary*> Get();
};

}  // namespace cofre

#endif  // COFRE_UTIL_CURL_LIBRARY_H_
