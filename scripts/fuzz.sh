#!/usr/bin/env bash
# Runs every libFuzzer target built in BUILD_DIR (argument 1, default build-asan, the build make
# test makes) for FUZZ_SECONDS each (default 60) on a scratch copy of its checked-in seed corpus
# fuzz/corpus/<target without _fuzz>/, and prints per target the executions, libFuzzer's coverage
# (cov: edges, ft: features) and the final corpus (inputs/bytes).
# A crash leaves its input under fuzz/artifacts/<target>/ and makes the script fail.
# FUZZ_JOBS runs that many targets at a time (default 1; make test's smoke run uses 2).
# FUZZ_SEED fixes libFuzzer's seed (make test's smoke run uses 1, so that a rerun of the same
# commit explores the same inputs first); unset, every run starts from a new random seed.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${1:-$ROOT/build-asan}"
SECONDS_EACH="${FUZZ_SECONDS:-60}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
failed=0
shopt -s nullglob
targets=("$BUILD_DIR"/*_fuzz)
if [ ${#targets[@]} -eq 0 ]; then
  echo "no fuzz targets in $BUILD_DIR: build them with make fuzz" >&2
  exit 1
fi
# Runs one target; its summary line goes to $WORK/<name>.summary, its exit status is the target's.
fuzz_one() {
  local bin="$1" name corpus log status execs cov ft corp
  name="$(basename "$bin")"
  corpus="$ROOT/fuzz/corpus/${name%_fuzz}"
  mkdir -p "$WORK/$name" "$ROOT/fuzz/artifacts/$name"
  [ -d "$corpus" ] && cp -r "$corpus"/. "$WORK/$name"/
  log="$WORK/$name.log"
  # -timeout: an input that takes longer than 25 s is a hang, and a failure.
  local seed=()
  [ -n "${FUZZ_SEED:-}" ] && seed=(-seed="$FUZZ_SEED")
  if "$bin" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -timeout=25 "${seed[@]}" \
      -artifact_prefix="$ROOT/fuzz/artifacts/$name/" "$WORK/$name" >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$')
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$')
  corp=$(grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' "$log" | tail -n 1 | cut -d' ' -f2)
  printf '%-22s %-6s executions %-9s cov %-5s ft %-6s corpus %s\n' "$name" "$status" \
    "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" >"$WORK/$name.summary"
  [ "$status" = ok ]
}
# FUZZ_JOBS targets at a time (default 1; each libFuzzer process uses one core).
running=0
for bin in "${targets[@]}"; do
  if [ $running -ge "${FUZZ_JOBS:-1}" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
  fuzz_one "$bin" &
  running=$((running + 1))
done
while [ $running -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
for bin in "${targets[@]}"; do
  name="$(basename "$bin")"
  cat "$WORK/$name.summary"
  grep -q ' FAILED ' "$WORK/$name.summary" && tail -n 30 "$WORK/$name.log" >&2
done
exit $failed
