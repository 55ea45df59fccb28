#include "cli/edit_library.h"

#include "util/shared_library.h"

namespace cofre::cli {
namespace {

StatusOr<EditLibrary> LoadEdit() {
  ASSIGN_OR_RETURN(SharedLibrary lib, SharedLibrary::Open("libedit.so.2", "libedit2"));
  EditLibrary out;
  COFRE_EDIT_FUNCTIONS(COFRE_BIND_SYMBOL)
  COFRE_BIND_SYMBOL(rl_readline_name)
  COFRE_BIND_SYMBOL(rl_inhibit_completion)
  return out;
}

}  // namespace

StatusOr<const EditLibrary*> EditLibrary::Get() { return LoadOnce<EditLibrary, LoadEdit>(); }

}  // namespace cofre::cli
