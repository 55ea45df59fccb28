// EditLibrary: the libedit (readline interface) functions and variables of the interactive
// shell, bound from libedit.so.2 when the shell starts (util/shared_library.h) rather than
// linked: a `cofre sql -e`, a script on stdin or a server never loads it. Each field is named
// after the symbol it points to; the variables are pointers to libedit's own.
// Thread-safety: Get may be called from any thread; the shell uses the library from one.
#ifndef COFRE_CLI_EDIT_LIBRARY_H_
#define COFRE_CLI_EDIT_LIBRARY_H_

#include <editline/readline.h>

#include "util/status.h"

namespace cofre::cli {

#define COFRE_EDIT_FUNCTIONS(X) \
  X(readline) X(add_history) X(using_history) X(stifle_history) X(read_history) X(write_history)

struct EditLibrary {
#define COFRE_EDIT_FIELD(name) decltype(&::name) name = nullptr;
  COFRE_EDIT_FUNCTIONS(COFRE_EDIT_FIELD)
#undef COFRE_EDIT_FIELD
  decltype(&::rl_readline_name) rl_readline_name = nullptr;
  decltype(&::rl_inhibit_completion) rl_inhibit_completion = nullptr;

  // Loads libedit once; later calls return the same library, or the same error
  // (FailedPrecondition naming libedit.so.2 and its package).
  static StatusOr<const EditLibrary*> Get();
};

}  // namespace cofre::cli

#endif  // COFRE_CLI_EDIT_LIBRARY_H_
