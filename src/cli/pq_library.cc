#include "cli/pq_library.h"

#include "util/shared_library.h"

namespace cofre::cli {
namespace {

StatusOr<PqLibrary> LoadPq() {
  ASSIGN_OR_RETURN(SharedLibrary lib, SharedLibrary::Open("libpq.so.5", "libpq5"));
  PqLibrary pq;
#define COFRE_PQ_BIND(name) RETURN_IF_ERROR(lib.Bind(#name, &pq.name));
  COFRE_PQ_FUNCTIONS(COFRE_PQ_BIND)
#undef COFRE_PQ_BIND
  return pq;
}

}  // namespace

StatusOr<const PqLibrary*> PqLibrary::Get() {
  static const StatusOr<PqLibrary> loaded = LoadPq();
  if (!loaded.ok()) return loaded.status();
  return &*loaded;
}

}  // namespace cofre::cli
