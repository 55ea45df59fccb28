#include "cli/edit_library.h"

#include "util/shared_library.h"

namespace cofre::cli {
namespace {

StatusOr<EditLibrary> LoadEdit() {
  ASSIGN_OR_RETURN(SharedLibrary lib, SharedLibrary::Open("libedit.so.2", "libedit2"));
  EditLibrary edit;
#define COFRE_EDIT_BIND(name) RETURN_IF_ERROR(lib.Bind(#name, &edit.name));
  COFRE_EDIT_FUNCTIONS(COFRE_EDIT_BIND)
#undef COFRE_EDIT_BIND
  RETURN_IF_ERROR(lib.Bind("rl_readline_name", &edit.rl_readline_name));
  RETURN_IF_ERROR(lib.Bind("rl_inhibit_completion", &edit.rl_inhibit_completion));
  return edit;
}

}  // namespace

StatusOr<const EditLibrary*> EditLibrary::Get() {
  static const StatusOr<EditLibrary> loaded = LoadEdit();
  if (!loaded.ok()) return loaded.status();
  return &*loaded;
}

}  // namespace cofre::cli
