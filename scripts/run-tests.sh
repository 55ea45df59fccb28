#!/usr/bin/env bash
# Runs the cofre suite (make test). Steps, all by default, or those named as arguments:
#   format      every C/C++ source is clang-format-14 clean (scripts/check-format.sh)
#   tests       every unit and end-to-end test of $BUILD (default build/) through ctest
#   asan        builds $BUILD_ASAN (default build-asan/: clang-14, AddressSanitizer + UBSan, fuzz
#               targets) and runs every unit test there under the sanitizers
#   tsan        builds $BUILD_TSAN (default build-tsan/: clang-14, ThreadSanitizer) and runs the
#               threaded paths there: the unit tests of the layers that start threads, and the
#               server, jobs and pgbench end-to-end tests against the sanitized binary. Any report
#               (a data race, a lock-order inversion) fails the step.
#   fuzz-smoke  runs each fuzz target of $BUILD_ASAN for $FUZZ_SMOKE_SECONDS (default 5), $JOBS
#               at a time, on its seed corpus with libFuzzer seed $FUZZ_SEED (default 1: reruns
#               explore the same inputs) (builds $BUILD_ASAN first if the asan step did not)
# The moto servers on 127.0.0.1 run while the tests and asan steps run and are stopped whatever
# happens. Every step runs even if an earlier one failed; exits non-zero when anything failed.
# Prints how long each step took. (Longer fuzzing: make fuzz.)
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${BUILD:-$ROOT/build}"
BUILD_ASAN="${BUILD_ASAN:-$ROOT/build-asan}"
case "$BUILD_ASAN" in /*) ;; *) BUILD_ASAN="$ROOT/$BUILD_ASAN" ;; esac
BUILD_TSAN="${BUILD_TSAN:-$ROOT/build-tsan}"
case "$BUILD_TSAN" in /*) ;; *) BUILD_TSAN="$ROOT/$BUILD_TSAN" ;; esac
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
JOBS="${JOBS:-$(nproc)}"
cd "$ROOT"

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(format tests asan tsan fuzz-smoke)
wants() { local s; for s in "${steps[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }
for s in "${steps[@]}"; do
  case "$s" in format|tests|asan|tsan|fuzz-smoke) ;; *) echo "unknown step '$s' (format, tests, asan, tsan, fuzz-smoke)" >&2; exit 2 ;; esac
done

failed=0
timings=()
# Runs "$@" as step $1 (the rest is the command), recording its duration and failure.
step() {
  local name="$1" start=$SECONDS
  shift
  echo "=== $name"
  if ! "$@"; then
    echo "=== $name FAILED" >&2
    failed=1
  fi
  timings+=("$(printf '%-22s %4ds' "$name" $((SECONDS - start)))")
}

servers_up=0
start_servers() {
  [ $servers_up = 1 ] && return 0
  if ! command -v moto_server >/dev/null 2>&1; then
    echo "moto_server is missing: the S3/KMS tests need moto 5 (python3 -m pip install 'moto[server]')" >&2
    python3 -m pip install -q 'moto[server]>=5' boto3 || exit 1
  fi
  mkdir -p "$BUILD"
  BUILD="$BUILD" scripts/test-servers.sh start || { echo "cannot start the test servers" >&2; exit 1; }
  trap 'BUILD="$BUILD" scripts/test-servers.sh stop >/dev/null 2>&1' EXIT
  # shellcheck disable=SC1090
  set -a; source "$BUILD/test-servers.env"; set +a
  servers_up=1
}

asan_built=0
build_asan() {
  CC=clang-14 CXX=clang++-14 cmake -S "$ROOT" -B "$BUILD_ASAN" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOFRE_FUZZ=ON >/dev/null &&
    ninja -C "$BUILD_ASAN" -j "$JOBS" check_targets && asan_built=1
}

# The GoogleTest binaries (<layer>_test) only: the e2e suites and benchmark smoke runs need
# binaries check_targets does not build. Leaks fail the run; any UBSan report stops the test
# with a stack trace.
sanitized_ctest() {
  ASAN_OPTIONS="detect_leaks=1" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
    ctest --test-dir "$BUILD_ASAN" -R '_test$' -E '^e2e_' --output-on-failure -j "${CTEST_JOBS:-2}" \
      --timeout 900
}

tsan_built=0
build_tsan() {
  CC=clang-14 CXX=clang++-14 cmake -S "$ROOT" -B "$BUILD_TSAN" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCOFRE_TSAN=ON >/dev/null &&
    ninja -C "$BUILD_TSAN" -j "$JOBS" tsan_targets && tsan_built=1
}

# Every process of the run (the unit tests, the server and the clients the e2e tests start)
# writes its reports under $BUILD_TSAN/reports; the step fails when any test fails or any
# report was written, and prints the reports. The parts (four unit test binaries, four e2e
# suites, the longest in two shares; restore_differential for the restore's loading threads)
# run $JOBS at a time, each into a log of its own that is printed when it ends (the e2e suites
# already run side by side under ctest, so they share nothing but the moto servers).
tsan_run() {
  local reports="$BUILD_TSAN/reports" logs="$BUILD_TSAN/tsan-logs" rc=0 t
  rm -rf "$reports" "$logs" && mkdir -p "$reports" "$logs"
  export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1 log_path=$reports/report"
  # Longest first: the jobs suite, in two shares (COFRE_TEST_SHARD, server_testlib.main).
  local parts=(e2e:jobs:0/2 e2e:jobs:1/2 e2e:server e2e:pgbench e2e:restore_differential)
  for t in backup storage util jobs; do parts+=("unit:$t"); done
  parts+=(unit:engine-threads)
  # Runs one part into its log; its exit status is the part's.
  run_part() {
    case "$1" in
      # The engine layer's threaded paths only: the page writer's syncing thread, concurrent
      # b-tree builders, tables built in parts on threads of their own.
      unit:engine-threads) "$BUILD_TSAN/engine_test" --gtest_brief=1 \
        --gtest_filter='WriteBehindTest.*:BulkBtreeTest.ConcurrentBuildersOnManyThreads:BulkBtreeTest.TablesBuiltInParts*' ;;
      unit:*) "$BUILD_TSAN/${1#unit:}_test" --gtest_brief=1 ;;
      e2e:*:*) local suite="${1#e2e:}"
        COFRE_TEST_SHARD="${suite#*:}" COFRE_BIN="$BUILD_TSAN/cofre" \
          "${PYTHON3:-python3}" "$ROOT/tests/${suite%%:*}_test.py" ;;
      e2e:*) COFRE_BIN="$BUILD_TSAN/cofre" "${PYTHON3:-python3}" "$ROOT/tests/${1#e2e:}_test.py" ;;
    esac
  }
  local -A pid_of=()
  local running=0 p name
  finish_one() {
    local done_pid status
    wait -n -p done_pid; status=$?
    for name in "${!pid_of[@]}"; do
      if [ "${pid_of[$name]}" = "$done_pid" ]; then
        echo "--- $name (ThreadSanitizer binary): exit $status"
        cat "$logs/${name//[:\/]/_}.log"
        [ "$status" = 0 ] || rc=1
        unset "pid_of[$name]"
      fi
    done
    running=$((running - 1))
  }
  for p in "${parts[@]}"; do
    [ $running -ge "$JOBS" ] && finish_one
    run_part "$p" >"$logs/${p//[:\/]/_}.log" 2>&1 &
    pid_of[$p]=$!
    running=$((running + 1))
  done
  while [ $running -gt 0 ]; do finish_one; done
  unset TSAN_OPTIONS
  if compgen -G "$reports/report*" >/dev/null; then
    echo "ThreadSanitizer reports:" >&2
    cat "$reports"/report* >&2
    rc=1
  fi
  return $rc
}

if wants format; then
  step "format" bash "$ROOT/scripts/check-format.sh"
fi
if wants tests; then
  start_servers
  step "unit + e2e tests" ctest --test-dir "$BUILD" --output-on-failure -j "${CTEST_JOBS:-2}" --timeout 900
fi
if wants asan; then
  step "asan build" build_asan
  if [ $asan_built = 1 ]; then
    start_servers
    step "asan unit tests" sanitized_ctest
  fi
fi
if wants tsan; then
  step "tsan build" build_tsan
  if [ $tsan_built = 1 ]; then
    start_servers
    step "tsan threaded paths" tsan_run
  fi
fi
if wants fuzz-smoke; then
  [ $asan_built = 1 ] || step "asan build" build_asan
  if [ $asan_built = 1 ]; then
    step "fuzz smoke" env FUZZ_SECONDS="${FUZZ_SMOKE_SECONDS:-5}" FUZZ_SEED="${FUZZ_SEED:-1}" \
      FUZZ_JOBS="${FUZZ_JOBS:-$JOBS}" bash scripts/fuzz.sh "$BUILD_ASAN"
  fi
fi

echo "=== timings"
printf '%s\n' "${timings[@]}"
exit $failed
