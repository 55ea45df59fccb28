#!/usr/bin/env bash
# Checks that every C/C++ source of the project is formatted as .clang-format says (clang-format
# 14, Google style). Prints the files that are not and exits 1; `scripts/check-format.sh --fix`
# formats them in place.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CLANG_FORMAT="${CLANG_FORMAT:-clang-format-14}"
command -v "$CLANG_FORMAT" >/dev/null || { echo "$CLANG_FORMAT is missing (apt-get install clang-format-14)" >&2; exit 1; }
bad=()
while IFS= read -r f; do
  if [ "${1:-}" = "--fix" ]; then
    "$CLANG_FORMAT" -i "$f"
  elif ! "$CLANG_FORMAT" --dry-run --Werror "$f" >/dev/null 2>&1; then
    bad+=("$f")
  fi
done < <(git ls-files 'src/*.cc' 'src/*.h' 'bench/*.cc' 'bench/*.h' 'fuzz/*.cc' 'tests/tools/*.c')
if [ ${#bad[@]} -gt 0 ]; then
  printf 'not formatted (scripts/check-format.sh --fix): %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "format: every source file is formatted"
