#include "cli/pq_library.h"

#include "util/shared_library.h"

namespace cofre::cli {
namespace {

StatusOr<PqLibrary> LoadPq() {
  ASSIGN_OR_RETURN(SharedLibrary lib, SharedLibrary::Open("libpq.so.5", "libpq5"));
  PqLibrary out;
  COFRE_PQ_FUNCTIONS(COFRE_BIND_SYMBOL)
  return out;
}

}  // namespace

StatusOr<const PqLibrary*> PqLibrary::Get() { return LoadOnce<PqLibrary, LoadPq>(); }

}  // namespace cofre::cli
