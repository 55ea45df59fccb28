#!/usr/bin/env bash
# Checks that every C/C++ source of the project is formatted as .clang-format says (clang-format
# 14, Google style). Prints the files that are not and exits 1; `scripts/check-format.sh --fix`
# formats them in place.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
CLANG_FORMAT="${CLANG_FORMAT:-clang-format-14}"
command -v "$CLANG_FORMAT" >/dev/null || { echo "$CLANG_FORMAT is missing (apt-get install clang-format-14)" >&2; exit 1; }
mapfile -t files < <(git ls-files 'src/*.cc' 'src/*.h' 'bench/*.cc' 'bench/*.h' 'fuzz/*.cc' 'tests/tools/*.c')
if [ "${1:-}" = "--fix" ]; then
  "$CLANG_FORMAT" -i "${files[@]}"
  exit
fi
# One clang-format process for every file (one per file took most of a minute); it names each
# file it would change in a "file:line:col: error:" line.
bad=()
if ! out=$("$CLANG_FORMAT" --dry-run --Werror "${files[@]}" 2>&1); then
  mapfile -t bad < <(printf '%s\n' "$out" | grep -oE '^[^:]+:[0-9]+:[0-9]+: error' | cut -d: -f1 | sort -u)
  [ ${#bad[@]} -gt 0 ] || { printf '%s\n' "$out" >&2; exit 1; }
fi
if [ ${#bad[@]} -gt 0 ]; then
  printf 'not formatted (scripts/check-format.sh --fix): %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "format: every source file is formatted"
