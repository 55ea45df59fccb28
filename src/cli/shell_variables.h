// ShellVariables: psql-style variables of `cofre sql`, so that a secret (an encryption
// passphrase) can reach a statement without appearing on the command line (/proc/PID/cmdline),
// in the shell history or in a script file.
//
// Values come from `-v/--set name=value`, `--set-file name=path` (the file's contents, one
// trailing newline removed), `--set-env name=VAR` (an environment variable), or the shell
// commands `\set name value...`, `\unset name` and `\getenv name VAR` (psql's). Statements use
// them as `:name` (as written), `:'name'` (a string literal) or `:"name"` (a quoted identifier),
// outside literals and comments (sql::InterpolateVariables). Values are never printed: `\set`
// alone lists the names only. Values are wiped (OPENSSL_cleanse) when replaced, removed or
// destroyed, and so are the buffers that held a command line or an interpolated statement
// (WipeText), so that a passphrase does not linger in freed memory.
// Thread-safety: one thread at a time.
#ifndef COFRE_CLI_SHELL_VARIABLES_H_
#define COFRE_CLI_SHELL_VARIABLES_H_

#include <cstdio>
#include <map>
#include <string>
#include <string_view>

#include "util/status.h"

namespace cofre::cli {

// Overwrites the `size` bytes at `data` with zeros (OPENSSL_cleanse).
void WipeText(char* data, size_t size);
// Wipes the whole buffer of `text` (its capacity) and empties it.
void WipeText(std::string* text);

class ShellVariables {
 public:
  ShellVariables() = default;
  ShellVariables(ShellVariables&&) = default;
  ShellVariables& operator=(ShellVariables&&) = default;
  ~ShellVariables();

  // InvalidArgument when `name` is not letters, digits and '_'.
  Status Set(std::string_view name, std::string value);
  // `text` with its variable references replaced (unknown names stay as written).
  std::string Interpolate(std::string_view text) const;

  // True when `line` is a shell command this class runs (\set, \unset, \getenv).
  static bool IsCommand(std::string_view line);
  // Runs a \set, \unset or \getenv line (`\set` alone writes the names to `out`).
  // InvalidArgument for a malformed command; NotFound for \getenv of an unset variable.
  Status RunCommand(std::string_view line, std::FILE* out);  // unknown command: InvalidArgument

  // Reads the value of `--set-file`: the file's contents (at most 1 MiB) without one trailing
  // "\n" or "\r\n". Errors name the file, never its contents.
  static StatusOr<std::string> ReadValueFile(const std::string& path);

 private:
  void Erase(std::string_view name);

  std::map<std::string, std::string, std::less<>> values_;
};

}  // namespace cofre::cli

#endif  // COFRE_CLI_SHELL_VARIABLES_H_
