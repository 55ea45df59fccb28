#include "util/curl_library.h"

#include <memory>

#include "util/shared_library.h"

namespace cofre {
namespace {

StatusOr<CurlLibrary> LoadCurl() {
  ASSIGN_OR_RETURN(std::unique_ptr<SharedLibrary> lib,
                   SharedLibrary::Open("libcurl.so.4", "libcurl4"));
  CurlLibrary c;
  RETURN_IF_ERROR(lib->Bind("curl_global_init", &c.global_init));
  RETURN_IF_ERROR(lib->Bind("curl_easy_init", &c.easy_init));
  RETURN_IF_ERROR(lib->Bind("curl_easy_cleanup", &c.easy_cleanup));
  RETURN_IF_ERROR(lib->Bind("curl_easy_reset", &c.easy_reset));
  RETURN_IF_ERROR(lib->Bind("curl_easy_setopt", &c.easy_setopt));
  RETURN_IF_ERROR(lib->Bind("curl_easy_getinfo", &c.easy_getinfo));
  RETURN_IF_ERROR(lib->Bind("curl_easy_perform", &c.easy_perform));
  RETURN_IF_ERROR(lib->Bind("curl_easy_pause", &c.easy_pause));
  RETURN_IF_ERROR(lib->Bind("curl_easy_strerror", &c.easy_strerror));
  RETURN_IF_ERROR(lib->Bind("curl_slist_append", &c.slist_append));
  RETURN_IF_ERROR(lib->Bind("curl_slist_free_all", &c.slist_free_all));
  RETURN_IF_ERROR(lib->Bind("curl_multi_init", &c.multi_init));
  RETURN_IF_ERROR(lib->Bind("curl_multi_cleanup", &c.multi_cleanup));
  RETURN_IF_ERROR(lib->Bind("curl_multi_add_handle", &c.multi_add_handle));
  RETURN_IF_ERROR(lib->Bind("curl_multi_remove_handle", &c.multi_remove_handle));
  RETURN_IF_ERROR(lib->Bind("curl_multi_perform", &c.multi_perform));
  RETURN_IF_ERROR(lib->Bind("curl_multi_poll", &c.multi_poll));
  RETURN_IF_ERROR(lib->Bind("curl_multi_info_read", &c.multi_info_read));
  RETURN_IF_ERROR(lib->Bind("curl_multi_strerror", &c.multi_strerror));
  lib.release();  // stays loaded for the process's life
  if (c.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
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
